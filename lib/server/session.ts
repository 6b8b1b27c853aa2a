import 'server-only';
import { createHash } from 'node:crypto';
import { makeToken } from '@/lib/mwoauth';
import type { SessionConfig } from './config';
import { secureCookiesFor } from './origin';
import { safeNext } from './safe-next';
import { MAX_COOKIE_VALUE_LENGTH, seal, sealExpiryMs, unsealOrNull } from './session/seal';

export { MAX_COOKIE_VALUE_LENGTH, secureCookiesFor };

// The session's shape lives here (STYLE.md §8). Two cookies, both sealed by iron-session
// (AES-256-CBC + HMAC-SHA256, "Fe26.2" seals) with SESSION_SECRET:
// - the handshake cookie: the request tokens of logins in progress (keyed by request-token key, so
//   two tabs can log in at once), each with its `next`; 10 minutes, as the wiki keeps a request
//   token 600 s (_facts.json "request_token_lifetime_s"); each entry is taken once (single use);
// - the login cookie: the access token and the two identity fields pages need. Nothing that grows:
//   MediaWiki's `rights` list alone can overflow a 4 KB cookie (DESIGN.md "Session");
// - the sandbox flash cookie: for 60 s after an edit, which user saved which revision, so the
//   sandbox page says "Saved" only to the one who saved it (not to anyone given ?saved=123).
//
// The helpers take a cookie *store* (anything with get/set, such as NextRequest.cookies,
// NextResponse.cookies or next/headers' cookies()) instead of calling next/headers themselves, so
// route handlers stay plain functions of a Request that tests can call without a Next server.

export const LOGIN_COOKIE = 'mwoauth_session';
export const HANDSHAKE_COOKIE = 'mwoauth_handshake';
export const FLASH_COOKIE = 'mwoauth_flash';

/** A login lasts a week; the wiki's access token does not expire, but a stolen cookie should. */
export const LOGIN_TTL_S = 7 * 24 * 3600;
/** Request tokens live 600 s on the wiki (_facts.json), so a handshake cannot outlive that. */
export const HANDSHAKE_TTL_S = 600;
/** The sandbox's "Saved" lasts a minute: long enough for the redirect after the edit, no more. */
export const FLASH_TTL_S = 60;
/** Logins in progress kept at once (tabs); the oldest is dropped beyond this. */
export const MAX_PENDING_HANDSHAKES = 5;

export interface StoredToken {
  readonly key: string;
  readonly secret: string;
}

/** What the login cookie holds. `sub` is the wiki's central user id (a string in the JWT). */
export interface LoginSession {
  readonly sub: string;
  readonly username: string;
  readonly accessToken: StoredToken;
  /** Seconds since the epoch. */
  readonly loggedInAt: number;
}

/** What the sandbox flash cookie says: the user `sub` has just saved revision `revid`. */
export interface SandboxFlash {
  readonly sub: string;
  readonly revid: number;
}

/** One login in progress. */
export interface PendingHandshake {
  readonly requestToken: StoredToken;
  /** A same-origin path (checked by safeNext before it is stored and again when used). */
  readonly next: string;
  /** Seconds since the epoch. */
  readonly startedAt: number;
}

/** The part of a cookie store these helpers read (NextRequest.cookies, next/headers cookies()). */
export interface CookieReader {
  get(name: string): { value: string } | undefined;
}

export interface CookieAttributes {
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'lax';
  path: string;
  maxAge: number;
}

/** The part of a cookie store these helpers write (NextResponse.cookies, next/headers cookies()). */
export interface CookieWriter {
  set(name: string, value: string, options: CookieAttributes): unknown;
}

/** What reading a cookie found. `clear` is true when a cookie was sent but is unusable. */
export interface SessionRead<T> {
  readonly value: T;
  readonly clear: boolean;
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

function attributes(secure: boolean, maxAge: number): CookieAttributes {
  return { httpOnly: true, secure, sameSite: 'lax', path: '/', maxAge };
}

function field(value: object, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(value, name) ? Reflect.get(value, name) : undefined;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function toStoredToken(value: unknown): StoredToken | null {
  if (typeof value !== 'object' || value === null) return null;
  const key = field(value, 'key');
  const secret = field(value, 'secret');
  if (!nonEmptyString(key) || !nonEmptyString(secret)) return null;
  // Prints its secret as [redacted] (console.log(user) must not show it: STYLE.md §11); key and
  // secret stay enumerable, so the token seals as JSON when the session is written again.
  return makeToken(key, secret);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Narrows an unsealed value to a LoginSession (remote data is `unknown` until narrowed). */
export function toLoginSession(value: unknown): LoginSession | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const sub = field(value, 'sub');
  const username = field(value, 'username');
  const accessToken = toStoredToken(field(value, 'accessToken'));
  const loggedInAt = field(value, 'loggedInAt');
  if (!nonEmptyString(sub) || !nonEmptyString(username) || accessToken === null || !isTime(loggedInAt)) {
    return null;
  }
  return { sub, username, accessToken, loggedInAt };
}

function toPendingHandshake(value: unknown): PendingHandshake | null {
  if (typeof value !== 'object' || value === null) return null;
  const requestToken = toStoredToken(field(value, 'requestToken'));
  const next = field(value, 'next');
  const startedAt = field(value, 'startedAt');
  if (requestToken === null || typeof next !== 'string' || !isTime(startedAt)) return null;
  return { requestToken, next: safeNext(next), startedAt };
}

/** Login cookies remembered as unsealed, at most (about 1 KB each: a bounded 1 MB or so). */
export const LOGIN_CACHE_SIZE = 1000;

interface CachedLogin {
  readonly session: LoginSession;
  /** passwordsFingerprint() of the configuration the seal was opened with. */
  readonly passwords: string;
  /** The seal's own expiry (ms since the epoch), covered by its MAC. */
  readonly expiresAtMs: number;
}

// Why a cache: a page request reads the login cookie in proxy.ts (to clear one that does not
// unseal) and again in getCurrentUser() for the layout and page, and unsealing (PBKDF2-less but
// still AES + HMAC over the whole seal) was the largest cost of a page request after Next itself
// (BENCHMARKS.md). proxy.ts and the pages are separate bundles in Next, so module state is not
// shared between them: the cache lives on globalThis under a registered symbol.
//
// Why this and not a request header from proxy.ts to the page: a header carrying the session
// would have to be removed from every client request on every path, forever (one matcher change
// and a client could send its own "verified" session); this cache can only ever hold what this
// process unsealed itself. It is keyed by the exact seal string; an entry is used only before the
// seal's own expiration and only under the same SESSION_SECRET list it was opened with (a rotation
// that drops the secret stops it at once); it holds no secret of the app, only what the cookie
// itself holds; it is bounded (least recently used dropped). Only seals that opened and passed
// toLoginSession are kept: a forged or garbage cookie is unsealed (and refused) every time.
const LOGIN_CACHE_KEY = Symbol.for('next-mwoauth.login-session-cache');

function loginCache(): Map<string, CachedLogin> {
  const existing: unknown = Reflect.get(globalThis, LOGIN_CACHE_KEY);
  if (existing instanceof Map) return existing;
  const created = new Map<string, CachedLogin>();
  Object.defineProperty(globalThis, LOGIN_CACHE_KEY, { value: created, enumerable: false });
  return created;
}

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

/** Reads the login cookie. Never throws: anything unusable is `null` with `clear: true`. */
export async function readLoginSession(
  cookies: CookieReader,
  config: SessionConfig,
): Promise<SessionRead<LoginSession | null>> {
  const raw = cookies.get(LOGIN_COOKIE)?.value;
  if (raw === undefined || raw === '') return { value: null, clear: false };
  const cache = loginCache();
  const passwords = passwordsFingerprint(config);
  const cached = cache.get(raw);
  if (cached !== undefined) {
    cache.delete(raw);
    if (cached.passwords === passwords && Date.now() < cached.expiresAtMs) {
      cache.set(raw, cached); // most recently used last
      return { value: cached.session, clear: false };
    }
  }
  const session = toLoginSession(await unsealOrNull(raw, config));
  const expiresAtMs = sealExpiryMs(raw);
  if (session !== null && expiresAtMs !== null) {
    if (cache.size >= LOGIN_CACHE_SIZE) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    // Frozen: one object is handed to every request that sends this cookie.
    cache.set(raw, { session: Object.freeze(session), passwords, expiresAtMs });
  }
  return { value: session, clear: session === null };
}

/** Seals a login built from scratch (never merged with a previous one: no session fixation). */
export async function writeLoginSession(
  cookies: CookieWriter,
  login: Omit<LoginSession, 'loggedInAt'>,
  config: SessionConfig,
  secure: boolean,
): Promise<void> {
  const data: LoginSession = {
    sub: login.sub,
    username: login.username,
    accessToken: { key: login.accessToken.key, secret: login.accessToken.secret },
    loggedInAt: nowS(),
  };
  const value = await seal(data, config, LOGIN_TTL_S);
  // iron-session's own convention: the cookie expires a minute before the seal does.
  cookies.set(LOGIN_COOKIE, value, attributes(secure, LOGIN_TTL_S - 60));
}

export function clearLoginSession(cookies: CookieWriter, secure: boolean): void {
  cookies.set(LOGIN_COOKIE, '', attributes(secure, 0));
}

/**
 * Reads the logins in progress, dropping expired and ill-shaped entries. Never throws; `clear` is
 * true when the cookie was sent but is unusable or held nothing still valid.
 */
export async function readHandshakes(
  cookies: CookieReader,
  config: SessionConfig,
): Promise<SessionRead<PendingHandshake[]>> {
  const raw = cookies.get(HANDSHAKE_COOKIE)?.value;
  if (raw === undefined || raw === '') return { value: [], clear: false };
  const data = await unsealOrNull(raw, config);
  const list = typeof data === 'object' && data !== null ? field(data, 'pending') : undefined;
  if (!Array.isArray(list)) return { value: [], clear: true };
  const oldest = nowS() - HANDSHAKE_TTL_S;
  const pending: PendingHandshake[] = [];
  for (const item of list.slice(0, MAX_PENDING_HANDSHAKES)) {
    const handshake = toPendingHandshake(item);
    if (handshake !== null && handshake.startedAt > oldest) pending.push(handshake);
  }
  return { value: pending, clear: pending.length === 0 };
}

/**
 * Writes the logins in progress (oldest first), keeping the newest MAX_PENDING_HANDSHAKES and no
 * more than fits a cookie; an empty list deletes the cookie.
 */
export async function writeHandshakes(
  cookies: CookieWriter,
  pending: readonly PendingHandshake[],
  config: SessionConfig,
  secure: boolean,
): Promise<void> {
  let kept = pending.slice(-MAX_PENDING_HANDSHAKES);
  while (kept.length > 0) {
    const value = await seal({ pending: kept }, config, HANDSHAKE_TTL_S);
    if (value.length <= MAX_COOKIE_VALUE_LENGTH || kept.length === 1) {
      cookies.set(HANDSHAKE_COOKIE, value, attributes(secure, HANDSHAKE_TTL_S));
      return;
    }
    kept = kept.slice(1);
  }
  cookies.set(HANDSHAKE_COOKIE, '', attributes(secure, 0));
}

/** Seals the sandbox's outcome for FLASH_TTL_S (the server action sets it before its redirect). */
export async function writeSandboxFlash(
  cookies: CookieWriter,
  flash: SandboxFlash,
  config: SessionConfig,
  secure: boolean,
): Promise<void> {
  const value = await seal({ sub: flash.sub, revid: flash.revid }, config, FLASH_TTL_S);
  cookies.set(FLASH_COOKIE, value, attributes(secure, FLASH_TTL_S));
}

/** The sandbox flash, or null when there is none, it expired, or it does not unseal. Never throws. */
export async function readSandboxFlash(
  cookies: CookieReader,
  config: SessionConfig,
): Promise<SandboxFlash | null> {
  const raw = cookies.get(FLASH_COOKIE)?.value;
  if (raw === undefined || raw === '') return null;
  const data = await unsealOrNull(raw, config);
  if (typeof data !== 'object' || data === null) return null;
  const sub = field(data, 'sub');
  const revid = field(data, 'revid');
  if (!nonEmptyString(sub) || typeof revid !== 'number' || !Number.isSafeInteger(revid) || revid < 1) {
    return null;
  }
  return { sub, revid };
}

/** A new handshake for `requestToken`, to be appended with writeHandshakes. */
export function newHandshake(requestToken: StoredToken, next: string): PendingHandshake {
  return {
    requestToken: { key: requestToken.key, secret: requestToken.secret },
    next: safeNext(next),
    startedAt: nowS(),
  };
}
