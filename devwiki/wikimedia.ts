// devwiki's Wikimedia-like mode (`startDevwiki({ wikimedia: … })`, `npm run devwiki -- --wikimedia`,
// `DEVWIKI_MODE=wikimedia npm run dev`): what a client of a Wikimedia wiki sees in 2026 and a
// MediaWiki 1.39 wiki does not show. The default mode stays the recorded 1.39 behaviour; this file
// is the only place the differences live, with small hooks in server.ts, api.ts and rest.ts.
//
// - The traffic layer ("edge") answers api.php and rest.php requests before MediaWiki does:
//   a refused OAuth 2.0 Bearer token (expired, revoked, invalidated early) is HTTP 401 with
//   `WWW-Authenticate: Bearer realm=…, error="invalid_token"` (T419034; m3api-oauth2 be39075), and
//   requests over budget are HTTP 429 with Retry-After: anonymous ones per client IP, authenticated
//   ones per user (wikitech-l 2026-03-02; mediawiki.org "Wikimedia APIs/Rate limits"). OAuth 1.0a
//   requests count as authenticated only with a valid `sessionJwt` cookie ("Bot passwords and OAuth
//   1.0a will work if you send cookies, as this will send a JWT we can validate in the traffic
//   layers"), OAuth 2.0 ones by their Bearer token.
// - api.php sets `sessionJwt` for OAuth 1.0a and owner-only OAuth 2.0 requests, renews it when a
//   quarter of its life has passed, and refuses a request whose cookie names another user, or is
//   not the wiki's, with mwoauth-invalid-authorization-jwt (Extension:OAuth a87d4516, T417833; core
//   JwtSessionCookieHelper::verifyJwtCookie).
// - rest.php/oauth2/authorize maps `ui_locales` to `uselang` (Extension:OAuth 5cc52b0b, T412199).
// - Access tokens last 4 hours and refresh tokens 365 days (wmf-config: PT4H, P365D).
// - An operator can invalidate a user's access tokens early, as updating an authorization does
//   (Extension:OAuth 0bdc100a, T433732): the refresh token keeps working.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WikiContext, WikiRequest } from './context';
import type { WikiResponse } from './faults';
import { OAuth2Error, verifyBearer } from './oauth2';
import type { User } from './store';
import type { DevwikiConsumer, DevwikiRateBudget, DevwikiWikimediaOptions } from './types';

/** $wgOAuth2GrantExpirationInterval on Wikimedia wikis (wmf-config CommonSettings.php: PT4H). */
export const WIKIMEDIA_ACCESS_TOKEN_TTL_S = 4 * 3600;
/** $wgOAuth2RefreshTokenTTL on Wikimedia wikis (wmf-config CommonSettings.php: P365D). */
export const WIKIMEDIA_REFRESH_TOKEN_TTL_S = 365 * 86_400;
/**
 * How long devwiki's sessionJwt lasts ($wgSessionCookieJwtExpiration): Wikimedia's value is not in
 * the sources found, so devwiki picks 4 hours; tests change it with the `sessionJwtTtlS` option.
 */
export const DEFAULT_SESSION_JWT_TTL_S = 4 * 3600;
/** core's JwtSessionCookieHelper::JWT_COOKIE_NAME. */
export const SESSION_JWT_COOKIE = 'sessionJwt';
/** "Hundreds of requests an hour" for anonymous clients; devwiki's choice within that. */
export const DEFAULT_ANONYMOUS_BUDGET: DevwikiRateBudget = { requests: 500, windowS: 3600 };
/** "Thousands" for a user; devwiki's choice within that. */
export const DEFAULT_USER_BUDGET: DevwikiRateBudget = { requests: 5000, windowS: 3600 };

/** What the edge counted a request against: an IP (anonymous) or a user. */
export type EdgeIdentity = { kind: 'anonymous'; ip: string } | { kind: 'user'; userId: number };

interface Window {
  startMs: number;
  count: number;
}

function checkBudget(budget: DevwikiRateBudget, what: string): DevwikiRateBudget {
  const { requests, windowS } = budget;
  if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(windowS) || windowS < 1) {
    throw new Error(
      `devwiki: the ${what} budget must be whole numbers from 1, e.g. { requests: 20, windowS: 60 } ` +
        `(got ${JSON.stringify(budget)})`,
    );
  }
  return { requests, windowS };
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The part of the wiki's state this mode adds: budgets, counters, the sessionJwt key. */
export class WikimediaMode {
  anonymous: DevwikiRateBudget;
  user: DevwikiRateBudget;
  sessionJwtTtlS: number;
  /** HS256 key of the sessionJwt cookies (new each run: production's is the wiki farm's). */
  readonly #key = randomBytes(32);
  readonly #windows = new Map<string, Window>();
  /** What the edge let through and counted against, request by request (for tests). */
  readonly counted: EdgeIdentity[] = [];
  /** How many answers were 429 (for tests and the log). */
  refusals = 0;
  /** How many OAuth requests came with a sessionJwt of another user (refused; for tests). */
  crossUserCookies = 0;

  constructor(options: DevwikiWikimediaOptions) {
    this.anonymous = checkBudget(options.anonymousBudget ?? DEFAULT_ANONYMOUS_BUDGET, 'anonymous');
    this.user = checkBudget(options.userBudget ?? DEFAULT_USER_BUDGET, 'user');
    const ttl = options.sessionJwtTtlS ?? DEFAULT_SESSION_JWT_TTL_S;
    if (!Number.isInteger(ttl) || ttl < 1) {
      throw new Error(`devwiki: sessionJwtTtlS must be whole seconds from 1 (got ${String(ttl)})`);
    }
    this.sessionJwtTtlS = ttl;
  }

  setBudgets(budgets: { anonymousBudget?: DevwikiRateBudget; userBudget?: DevwikiRateBudget }): void {
    if (budgets.anonymousBudget !== undefined)
      this.anonymous = checkBudget(budgets.anonymousBudget, 'anonymous');
    if (budgets.userBudget !== undefined) this.user = checkBudget(budgets.userBudget, 'user');
    this.#windows.clear();
  }

  // --- sessionJwt ----------------------------------------------------------------------------------

  /** A sessionJwt for `user`, as core's setJwtCookie makes it (iss, sub, sxp, jti; no exp). */
  sessionJwt(ctx: WikiContext, user: User): string {
    const nowS = Math.floor(ctx.nowMs() / 1000);
    const head = b64({ typ: 'JWT', alg: 'HS256' });
    const body = b64({
      iss: ctx.origin,
      // CentralAuth's subject form, as production's tokens carry it (Extension:OAuth acb25b54, T399199).
      sub: `mw:CentralAuth::${user.id}`,
      iat: nowS,
      sxp: nowS + this.sessionJwtTtlS,
      jti: randomBytes(16).toString('base64'),
    });
    const sig = createHmac('sha256', this.#key).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${sig}`;
  }

  /** The claims of a sessionJwt this wiki signed, or a reason it is not one. */
  #readJwt(ctx: WikiContext, jwt: string): { sub: string; sxp: number } | string {
    const [head, body, sig, extra] = jwt.split('.');
    if (head === undefined || body === undefined || sig === undefined || extra !== undefined) {
      return 'JWT error: malformed';
    }
    const expected = createHmac('sha256', this.#key).update(`${head}.${body}`).digest();
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return 'JWT error: bad signature';
    }
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return 'JWT error: malformed';
    }
    if (typeof claims !== 'object' || claims === null) return 'JWT error: malformed';
    const sub: unknown = Reflect.get(claims, 'sub');
    const sxp: unknown = Reflect.get(claims, 'sxp');
    const iss: unknown = Reflect.get(claims, 'iss');
    if (iss !== ctx.origin) return 'JWT error: wrong issuer';
    if (typeof sub !== 'string' || typeof sxp !== 'number') return 'JWT error: malformed';
    return { sub, sxp };
  }

  /** The Set-Cookie of a new sessionJwt for `user`; Secure when the wiki is https (Wikimedia's are). */
  #setCookie(ctx: WikiContext, user: User): string {
    const expires = new Date(ctx.nowMs() + this.sessionJwtTtlS * 1000).toUTCString();
    const secure = ctx.origin.startsWith('https:') ? '; secure' : '';
    return `${SESSION_JWT_COOKIE}=${this.sessionJwt(ctx, user)}; expires=${expires}; Max-Age=${this.sessionJwtTtlS}; path=/${secure}; HttpOnly`;
  }

  /**
   * api.php, after Extension:OAuth's SessionProvider found the request's user (a87d4516): for an
   * OAuth 1.0a or owner-only OAuth 2.0 request, a sessionJwt that is not this wiki's or names another
   * user refuses the request (`refusal`: the text after "Invalid 'sessionJwt' cookie: "); a missing
   * one, or one past a quarter of its life (verifyJwtCookie: sxp < now + 0.75 × lifetime), is
   * (re)set (`setCookie`). Other requests are left alone: a matching cookie on an OAuth 2.0 user
   * token is ignored, as the commit says.
   */
  sessionCookie(
    ctx: WikiContext,
    req: WikiRequest,
    session: { user: User | null; consumer: DevwikiConsumer | null },
  ): { refusal: string | null; setCookie: string | null } {
    const { user, consumer } = session;
    if (user === null || consumer === null) return { refusal: null, setCookie: null };
    const oauth1 = consumer.oauthVersion !== '2.0';
    if (!oauth1 && !consumer.ownerOnly) return { refusal: null, setCookie: null };
    const jwt = req.cookies.get(SESSION_JWT_COOKIE);
    // PHP writes 'deleted' when it deletes a cookie; core reads that as no cookie (getCookie).
    if (jwt === undefined || jwt === '' || jwt === 'deleted') {
      return { refusal: null, setCookie: this.#setCookie(ctx, user) };
    }
    const claims = this.#readJwt(ctx, jwt);
    if (typeof claims === 'string') return { refusal: claims, setCookie: null };
    if (claims.sub !== `mw:CentralAuth::${user.id}`) {
      this.crossUserCookies++;
      return { refusal: 'JWT error: the subject does not match the session user', setCookie: null };
    }
    const nowS = ctx.nowMs() / 1000;
    const renew = claims.sxp < nowS + 0.75 * this.sessionJwtTtlS;
    return { refusal: null, setCookie: renew ? this.#setCookie(ctx, user) : null };
  }

  // --- the edge ------------------------------------------------------------------------------------

  /** Who the edge counts a request against: the Bearer token's user, a valid sessionJwt's, or the IP. */
  #identify(ctx: WikiContext, req: WikiRequest, ip: string): EdgeIdentity | 'refused' {
    const authorization = req.headers.authorization;
    if (authorization !== undefined && /^\s*Bearer\s/.test(authorization)) {
      try {
        return { kind: 'user', userId: verifyBearer(ctx, authorization).user.id };
      } catch (err) {
        if (err instanceof OAuth2Error) return 'refused';
        throw err;
      }
    }
    const jwt = req.cookies.get(SESSION_JWT_COOKIE);
    if (jwt !== undefined) {
      const claims = this.#readJwt(ctx, jwt);
      // The edge validates the JWT (signature, soft expiry); MediaWiki checks it names the token's user.
      if (typeof claims !== 'string' && claims.sxp > ctx.nowMs() / 1000) {
        const id = Number(/^mw:CentralAuth::(\d+)$/.exec(claims.sub)?.[1]);
        if (Number.isInteger(id)) return { kind: 'user', userId: id };
      }
    }
    return { kind: 'anonymous', ip };
  }

  /** Counts one request in its window; the seconds to wait when over budget, else null. */
  #spend(key: string, budget: DevwikiRateBudget, nowMs: number): number | null {
    let window = this.#windows.get(key);
    if (window === undefined || nowMs >= window.startMs + budget.windowS * 1000) {
      window = { startMs: nowMs, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= budget.requests) {
      return Math.max(1, Math.ceil((window.startMs + budget.windowS * 1000 - nowMs) / 1000));
    }
    window.count++;
    return null;
  }

  /**
   * The edge, before MediaWiki, for api.php and rest.php/oauth2/resource/profile (the APIs the
   * limits cover; the OAuth handshake endpoints are not counted): the 401 for a refused Bearer
   * token, the 429 over budget, or null to let MediaWiki answer.
   */
  edge(ctx: WikiContext, req: WikiRequest, ip: string): WikiResponse | null {
    const who = this.#identify(ctx, req, ip);
    if (who === 'refused') {
      return {
        status: 401,
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          'WWW-Authenticate': `Bearer realm="${new URL(ctx.origin).host}", error="invalid_token"`,
        },
        body: '',
      };
    }
    const wait =
      who.kind === 'anonymous'
        ? this.#spend(`ip:${who.ip}`, this.anonymous, ctx.nowMs())
        : this.#spend(`user:${who.userId}`, this.user, ctx.nowMs());
    if (wait === null) {
      this.counted.push(who);
      return null;
    }
    this.refusals++;
    return {
      status: 429,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': String(wait) },
      body:
        `Too many requests (${who.kind === 'anonymous' ? 'anonymous, per IP' : 'per user'}). ` +
        'See https://www.mediawiki.org/wiki/Wikimedia_APIs/Rate_limits\n',
    };
  }
}

/**
 * rest.php/oauth2/authorize's `ui_locales` (OIDC: a space-separated list of BCP 47 tags) as the
 * `uselang` of Special:OAuth/approve (5cc52b0b getUselangFromUiLocales): the first tag that looks
 * like a language code, lower-cased; devwiki knows no language list, so any well-formed tag goes.
 */
export function uselangFromUiLocales(uiLocales: string | null): string | null {
  for (const tag of (uiLocales ?? '').split(' ')) {
    if (/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/.test(tag)) return tag.toLowerCase();
  }
  return null;
}
