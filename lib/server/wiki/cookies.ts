import 'server-only';
import type { Cookie, CookieJar } from 'tough-cookie';
import type { WikiCookieJar } from 'mwoauth';
import { forLog, LOG_MESSAGE_MAX } from '../core/log';
import { field } from '../core/narrow';

// The wiki's cookies, kept per login. Wikimedia's wikis set a `sessionJwt` cookie on
// OAuth 1.0a (and owner-only OAuth 2.0) API answers and count a request against the user's own
// rate-limit budget only when it comes back (Extension:OAuth a87d4516, T417833; wikitech-l
// 2026-03-02): without it, every user's calls share the server's anonymous per-IP budget. So each
// login keeps its own cookies, in its session record (sealed in the login cookie, or in Redis),
// and its requests carry them; no jar is ever shared by two logins, nor kept by the process.
//
// tough-cookie parses Set-Cookie and decides which cookies go to which URL (domain, path, Secure,
// expiry: RFC 6265), as mwn does; hand-written parsing would be a second cookie engine to trust.
// The record stores each cookie as a Set-Cookie string (tough-cookie's own toString), with its
// expiry made absolute (a Max-Age replayed later would start again), and replays it into a fresh
// jar per request: the record stays small (it rides in a 4 KB cookie) and holds nothing the wiki
// did not set.

/** What a login keeps of the wiki's cookies. */
export interface WikiCookies {
  /** When they were last stored, or the wiki last asked for them (seconds since the epoch). */
  readonly at: number;
  /** The soonest expiry among them (seconds since the epoch), or null: none expires (or none kept). */
  readonly exp: number | null;
  /**
   * Each cookie as [where it is replayed from, its Set-Cookie value with an absolute Expires
   * (tough-cookie's Cookie#toString)]: a host-only cookie's Set-Cookie has no Domain, so the host
   * that set it is kept beside it.
   */
  readonly list: ReadonlyArray<readonly [origin: string, setCookie: string]>;
}

/** More cookies than this from one wiki are not kept (a wiki sets a handful; this bounds the record). */
export const MAX_WIKI_COOKIES = 12;
/** A cookie longer than this is not kept (browsers refuse over 4096 bytes too). */
export const MAX_WIKI_COOKIE_LENGTH = 4096;
/** core's JwtSessionCookieHelper::JWT_COOKIE_NAME: the one cookie Wikimedia's rate limits read. */
export const SESSION_JWT_COOKIE = 'sessionJwt';
/** proxy.ts asks the wiki for new cookies when the soonest expires within this. */
export const RENEW_MARGIN_S = 15 * 60;
/** proxy.ts asks at most once in this long per login, even when the wiki answers with nothing new. */
export const MIN_ASK_INTERVAL_S = 60;

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/** Narrows a stored record (unknown until then); null for anything else. */
export function toWikiCookies(value: unknown): WikiCookies | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const at = field(value, 'at');
  const exp = field(value, 'exp');
  const list = field(value, 'list');
  if (typeof at !== 'number' || !Number.isInteger(at)) return null;
  if (exp !== null && (typeof exp !== 'number' || !Number.isInteger(exp))) return null;
  if (!Array.isArray(list)) return null;
  const pairs: Array<readonly [string, string]> = [];
  for (const entry of list) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [origin, cookie] = entry;
    if (typeof origin !== 'string' || typeof cookie !== 'string') return null;
    pairs.push([origin, cookie]);
  }
  return { at, exp, list: pairs };
}

/** The plain object sealed for `cookies` (only these fields). */
export function wikiCookiesRecord(cookies: WikiCookies): object {
  return { at: cookies.at, exp: cookies.exp, list: cookies.list.map(([origin, cookie]) => [origin, cookie]) };
}

/** Only the sessionJwt cookie: what a login cookie short of room keeps (lib/server/session/cookie-store.ts). */
export function onlySessionJwt(cookies: WikiCookies): WikiCookies {
  const list = cookies.list.filter(([, c]) => c.startsWith(`${SESSION_JWT_COOKIE}=`));
  return { ...cookies, list };
}

/**
 * True when proxy.ts should ask the wiki to renew this login's cookies before the page runs: the
 * soonest expires within RENEW_MARGIN_S, and no ask in the last MIN_ASK_INTERVAL_S. Only a renewal:
 * the first cookies come with the login (login/oauth1.ts), and a login without any (the wiki set
 * none, or WIKI_COOKIES was off) is left alone, so a page writes the login cookie only in the
 * minutes before a cookie the wiki set would expire.
 */
export function wikiCookiesDue(cookies: WikiCookies | null, now: number = nowS()): boolean {
  if (cookies === null || cookies.list.length === 0) return false;
  if (now - cookies.at < MIN_ASK_INTERVAL_S) return false;
  return cookies.exp !== null && cookies.exp - now < RENEW_MARGIN_S;
}

/** Where a stored cookie is replayed from: its own domain, https when Secure (a Secure cookie needs it). */
function originOf(cookie: Cookie): string | null {
  if (cookie.domain === null || cookie.domain === undefined || cookie.domain === '') return null;
  return `${cookie.secure ? 'https' : 'http'}://${cookie.domain}/`;
}

/** A cookie as stored: its Set-Cookie form, the expiry absolute; null when expired or not to keep. */
function storable(
  cookie: Cookie,
  nowMs: number,
): { origin: string; text: string; expS: number | null } | null {
  const origin = originOf(cookie);
  const copy = cookie.clone();
  if (copy === undefined || origin === null) return null;
  const expiry = cookie.expiryTime();
  if (expiry !== undefined && Number.isFinite(expiry)) {
    if (expiry <= nowMs) return null;
    copy.maxAge = null;
    copy.expires = new Date(expiry);
  }
  const text = copy.toString();
  if (text.length > MAX_WIKI_COOKIE_LENGTH) return null;
  return {
    origin,
    text,
    expS: expiry !== undefined && Number.isFinite(expiry) ? Math.floor(expiry / 1000) : null,
  };
}

let loaded: Promise<typeof import('tough-cookie')> | null = null;

/**
 * A new tough-cookie jar. tough-cookie is loaded on first use: it is in next.config.mjs's
 * serverExternalPackages (one copy in node_modules, loaded once per process, rather than bundled
 * into every route's chunk, proxy.ts's and the pages': with its public-suffix list, tldts, some
 * 130 KB of each), and only a login that holds the wiki's cookies needs it.
 */
async function newCookieJar(): Promise<CookieJar> {
  const { CookieJar } = await (loaded ??= import('tough-cookie'));
  return new CookieJar();
}

/**
 * One login's jar for one request of ours: the stored cookies replayed into a fresh tough-cookie
 * jar, given to lib/mwoauth (`cookieJar`), then read back to see whether the wiki changed them.
 * While it holds no cookie (none stored, none set yet: every login on a wiki that sets none) it
 * answers without tough-cookie, whose empty jar still works out the domain's public suffix for
 * each request (BENCHMARKS.md, "Where the memory went"); the first Set-Cookie creates
 * the real jar.
 */
export class LoginJar {
  readonly jar: WikiCookieJar;
  /** The tough-cookie jar, once there is a cookie to hold (null: none, and none being set). */
  #cookies: Promise<CookieJar> | null;
  #saved: string;

  private constructor(cookies: CookieJar | null, saved: string) {
    this.#cookies = cookies === null ? null : Promise.resolve(cookies);
    this.#saved = saved;
    this.jar = {
      getCookieString: async (url) =>
        this.#cookies === null ? '' : (await this.#cookies).getCookieString(url),
      // One jar however many answers set a cookie at once (a page's calls run in parallel).
      setCookie: async (cookie, url) => (await (this.#cookies ??= newCookieJar())).setCookie(cookie, url),
      removeAllCookies: async () => {
        if (this.#cookies !== null) await (await this.#cookies).removeAllCookies();
      },
    };
  }

  /** A jar holding `stored` (none: empty). Cookies that no longer parse are dropped. */
  static async open(stored: WikiCookies | null | undefined): Promise<LoginJar> {
    const list = stored?.list ?? [];
    const cookies = list.length === 0 ? null : await newCookieJar();
    for (const [origin, text] of list) {
      // Replayed as if `origin` had just set it: tough-cookie checks the domain again.
      await cookies?.setCookie(text, origin).catch(() => undefined);
    }
    return new LoginJar(cookies, JSON.stringify(list));
  }

  /** What to store now: the live cookies (expired ones dropped), stamped `at`. */
  async snapshot(at: number = nowS()): Promise<WikiCookies> {
    const nowMs = Date.now();
    const all = this.#cookies === null ? [] : await (await this.#cookies).store.getAllCookies();
    const list: Array<readonly [string, string]> = [];
    let exp: number | null = null;
    for (const cookie of all) {
      const kept = storable(cookie, nowMs);
      if (kept === null || list.length >= MAX_WIKI_COOKIES) continue;
      list.push([kept.origin, kept.text]);
      if (kept.expS !== null) exp = exp === null ? kept.expS : Math.min(exp, kept.expS);
    }
    return { at, exp, list };
  }

  /** The snapshot when the cookies differ from those last stored (or marked stored), else null. */
  async changed(): Promise<WikiCookies | null> {
    const now = await this.snapshot();
    return JSON.stringify(now.list) === this.#saved ? null : now;
  }

  /** Marks `cookies` as what the login now holds (after they were saved). */
  markSaved(cookies: WikiCookies): void {
    this.#saved = JSON.stringify(cookies.list);
  }

  /**
   * Stores what the wiki changed in the jar with `save` (the session's save, where the request may
   * write one). A failed save is logged, cleaned, and never replaces the call's own outcome: the
   * cookies are only a rate-limit courtesy. Returns what `save` returned, or null (nothing to save,
   * or the save failed).
   */
  async keepChanged<T>(save: (cookies: WikiCookies) => Promise<T>): Promise<T | null> {
    const changed = await this.changed();
    if (changed === null) return null;
    try {
      const saved = await save(changed);
      this.markSaved(changed);
      return saved;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`[mwoauth] saving the wiki's cookies failed: ${forLog(message, LOG_MESSAGE_MAX)}`);
      return null;
    }
  }
}
