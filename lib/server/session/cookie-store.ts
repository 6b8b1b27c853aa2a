import 'server-only';
import { createHash } from 'node:crypto';
import { makeToken } from 'mwoauth';
import type { SessionConfig } from '../config';
import { AppError } from '../core/errors';
import { refreshTokenOf, type Credentials, type NewLogin } from '../login/credentials';
import type { CookieReader, CookieWriter } from './cookies';
import { loginRecord, toLoginSession } from './login-record';
import { onlySessionJwt } from '../wiki/cookies';
import { MAX_COOKIE_VALUE_LENGTH, seal, sealExpiryMs, unsealOrNull } from './seal';
import { globalMap, isEnded, markEnded, refreshOnce } from './cookie-refresh';
import { LOGIN_COOKIE, LOGIN_TTL_S, type LoginSession, type OpenSession, type SessionStore } from './store';

// The default session store: the login sealed in the login cookie (iron-session, SESSION_SECRET),
// no server state. It holds the credentials and the two identity fields pages need; nothing that
// grows: MediaWiki's `rights` list alone can overflow a 4 KB cookie.

/** Login cookies remembered as unsealed, at most (about 1 KB each: a bounded 1 MB or so). */
export const LOGIN_CACHE_SIZE = 1000;

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

function deepFrozen(login: LoginSession): LoginSession {
  Object.freeze(login.credentials);
  if (login.wikiCookies != null) Object.freeze(login.wikiCookies.list);
  return Object.freeze(login);
}

interface CachedLogin {
  readonly session: LoginSession;
  /** passwordsFingerprint() of the configuration the seal was opened with. */
  readonly passwords: string;
  /** The seal's own expiry (ms since the epoch), covered by its MAC. */
  readonly expiresAtMs: number;
}

// Why a cache: a page request reads the login cookie in proxy.ts and again in getCurrentUser() for
// the layout and page, and unsealing was the largest cost of a page request after Next itself
// (BENCHMARKS.md). proxy.ts and the pages are separate bundles, so the cache lives on globalThis.
// It can only hold what this process unsealed itself: keyed by the exact seal, used only before the
// seal's own expiry and under the same SESSION_SECRET list, bounded (least recently used dropped);
// only seals that opened and narrowed are kept. Only this store may have it: with a store on a
// server (Redis), a remembered session would outlive a logout made on another instance.
const LOGIN_CACHE_KEY = Symbol.for('next-mwoauth.login-session-cache');

const fingerprints = new WeakMap<SessionConfig, string>();

/** A digest of the password list (computed once per configuration object): never the secrets. */
function passwordsFingerprint(config: SessionConfig): string {
  let fingerprint = fingerprints.get(config);
  if (fingerprint === undefined) {
    const entries = Object.entries(config.passwords).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    fingerprint = createHash('sha256').update(JSON.stringify(entries)).digest('base64url');
    fingerprints.set(config, fingerprint);
  }
  return fingerprint;
}

async function readLogin(raw: string, config: SessionConfig): Promise<LoginSession | null> {
  const cache = globalMap<CachedLogin>(LOGIN_CACHE_KEY);
  const passwords = passwordsFingerprint(config);
  const cached = cache.get(raw);
  if (cached !== undefined) {
    cache.delete(raw);
    if (cached.passwords === passwords && Date.now() < cached.expiresAtMs) {
      cache.set(raw, cached); // most recently used last
      return cached.session;
    }
  }
  const data = await unsealOrNull(raw, config, 'login-cookie');
  const session = toLoginSession(data);
  const expiresAtMs = sealExpiryMs(raw);
  if (session === null) return null;
  // Frozen: one object is handed to every request that sends this cookie.
  const frozen = deepFrozen(session);
  if (expiresAtMs !== null) {
    if (cache.size >= LOGIN_CACHE_SIZE) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(raw, { session: frozen, passwords, expiresAtMs });
  }
  return frozen;
}

/** Seals `login` into the login cookie for `ttlS` seconds. */
async function writeLogin(
  to: CookieWriter,
  login: LoginSession,
  config: SessionConfig,
  ttlS: number,
): Promise<LoginSession> {
  let value = await seal(loginRecord(login), config, ttlS, 'login-cookie');
  // The wiki's cookies give way before the login does: first all but sessionJwt (the one the rate
  // limits read), then that too (requests then count as anonymous on Wikimedia, but work).
  const cookies = login.wikiCookies ?? null;
  if (value.length > MAX_COOKIE_VALUE_LENGTH && cookies !== null && cookies.list.length > 0) {
    for (const fewer of [onlySessionJwt(cookies), { ...cookies, list: [] }]) {
      login = { ...login, wikiCookies: fewer };
      value = await seal(loginRecord(login), config, ttlS, 'login-cookie');
      if (value.length <= MAX_COOKIE_VALUE_LENGTH) break;
    }
  }
  if (value.length > MAX_COOKIE_VALUE_LENGTH) {
    // unsealOrNull reads a longer value as "logged out" (and browsers drop cookies over 4 KB): the
    // user would be logged out at the next request, silently. OAuth 2.0 tokens grow with the
    // client's grants (each scope is in the access token's JWT and in the encrypted refresh token,
    // o2-06): about 20 grants fill the cookie.
    const problem =
      `The login (${value.length} characters sealed) does not fit in the login cookie (at most ${MAX_COOKIE_VALUE_LENGTH}): ` +
      'the wiki issued long OAuth 2.0 tokens (they grow with the grants the client asks for). ' +
      'Set SESSION_STORE=redis (the tokens are then kept in Redis, the cookie holds only an id), ' +
      'or register the client with fewer grants.';
    throw new AppError('session_too_large', problem, { problems: [problem] });
  }
  // iron-session's own convention: the cookie expires a minute before the seal does.
  to.set(LOGIN_COOKIE, value, ttlS - 60);
  return login;
}

/** The credentials as sealed: plain fields, the 1.0a token redacting again (makeToken). */
function copyCredentials(credentials: Credentials): Credentials {
  return credentials.protocol === '1.0a'
    ? {
        protocol: '1.0a',
        accessToken: makeToken(credentials.accessToken.key, credentials.accessToken.secret),
      }
    : { ...credentials };
}

/** The sealed-cookie session store (SESSION_STORE=cookie, the default). */
export function cookieStore(config: SessionConfig): SessionStore {
  function opened(raw: string | null, login: LoginSession | null): OpenSession {
    /** What this request saved last: a later save starts from it (a refresh, then the wiki's cookies). */
    let latest = login;
    return {
      login,
      stale: raw !== null && login === null,
      async save(to, credentials, wikiCookies) {
        if (login === null || latest === null)
          throw new Error('OpenSession.save: there is no login to save.');
        // The seal itself too: an OAuth 1.0a login has no refresh token, and proxy.ts may save its
        // renewed wiki cookies (lib/server/wiki/cookies.ts) while a logout of the same cookie runs.
        const sealEnded = raw !== null && isEnded(`seal:${raw}`);
        if (sealEnded || isEnded(refreshTokenOf(login.credentials)) || isEnded(refreshTokenOf(credentials))) {
          // Logged out since this request read its cookie: clear it, never write it again.
          if (raw !== null) globalMap<CachedLogin>(LOGIN_CACHE_KEY).delete(raw);
          to.set(LOGIN_COOKIE, '', 0);
          throw new AppError('session_ended', 'This session was logged out while its tokens were refreshed.');
        }
        const { wikiCookies: previous = null, ...rest } = latest;
        const cookies = wikiCookies === undefined ? previous : wikiCookies;
        const next: LoginSession = {
          ...rest,
          credentials: copyCredentials(credentials),
          ...(cookies === null ? {} : { wikiCookies: cookies }),
        };
        // The login keeps its week from loggedInAt: a refresh does not make it last longer.
        const saved = await writeLogin(
          to,
          next,
          config,
          Math.max(61, next.loggedInAt + LOGIN_TTL_S - nowS()),
        );
        latest = saved;
        return saved;
      },
      async end(to) {
        if (raw !== null) globalMap<CachedLogin>(LOGIN_CACHE_KEY).delete(raw);
        const refreshToken = login === null ? null : refreshTokenOf(login.credentials);
        if (refreshToken !== null) markEnded(refreshToken);
        if (raw !== null) markEnded(`seal:${raw}`);
        to.set(LOGIN_COOKIE, '', 0);
      },
    };
  }

  return {
    // A sealed cookie cannot be recalled: every copy stays valid until it expires.
    canEndAll: false,

    async open(from: CookieReader) {
      const raw = from.get(LOGIN_COOKIE)?.value;
      if (raw === undefined || raw === '') return opened(null, null);
      return opened(raw, await readLogin(raw, config));
    },

    async create(previous: OpenSession, to: CookieWriter, login: NewLogin) {
      await previous.end(to);
      // Built from scratch (never merged with a previous one: no session fixation).
      const created: LoginSession = {
        sub: login.sub,
        username: login.username,
        credentials: copyCredentials(login.credentials),
        loggedInAt: nowS(),
        ...(login.wikiCookies == null ? {} : { wikiCookies: login.wikiCookies }),
      };
      return writeLogin(to, created, config, LOGIN_TTL_S);
    },

    async endAll() {
      return null;
    },

    forget(to) {
      to.set(LOGIN_COOKIE, '', 0);
    },

    refreshOnce,

    // Nothing outside this process to reach.
    async check() {
      return null;
    },
  };
}
