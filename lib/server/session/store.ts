import 'server-only';
import type { Credentials, NewLogin } from '../login/credentials';
import type { WikiCookies } from '../wiki/cookies';
import type { CookieReader, CookieWriter } from './cookies';

// The session store: one interface, one implementation a store (session/cookie-store.ts, the
// default; session/redis-store.ts). Handlers, proxy.ts and pages read and write the login through
// it; logins in progress (handshakes) and the sandbox flash stay cookies in both stores.

/** The login cookie: the sealed login (cookie store) or the sealed id of its record (Redis). */
export const LOGIN_COOKIE = 'mwoauth_session';

/** A login lasts a week; the wiki's access token does not expire, but a stolen cookie should. */
export const LOGIN_TTL_S = 7 * 24 * 3600;

export interface LoginSession extends NewLogin {
  /** Seconds since the epoch. */
  readonly loggedInAt: number;
  /** The wiki's cookies of this login (lib/server/wiki/cookies.ts); absent or null: none kept yet. */
  readonly wikiCookies?: WikiCookies | null;
}

/** The login a request carries, opened once; its writes go to the response. */
export interface OpenSession {
  /** null when logged out or when the cookie names no usable session. */
  readonly login: LoginSession | null;
  /** A cookie was sent but is unusable (bad seal, expired, deleted in Redis): end() clears it. */
  readonly stale: boolean;
  /**
   * Same session, new credentials (after a refresh) and, when given, the wiki's cookies (else the
   * ones it holds): a new seal, or the Redis record rewritten. Each save starts from the previous
   * save of this request, so a refresh and a cookie update in one request both stay. A session
   * logged out since this request opened it (a logout racing the refresh) is not written again: its
   * cookie is cleared and AppError 'session_ended' thrown, by every store alike.
   */
  save(to: CookieWriter, credentials: Credentials, wikiCookies?: WikiCookies | null): Promise<LoginSession>;
  /** Logout, revocation, a stale cookie: the cookie cleared and, in Redis, the record deleted. */
  end(to: CookieWriter): Promise<void>;
}

export interface SessionStore {
  /** Whether endAll() can find and end a user's other sessions ("Log out everywhere"). */
  readonly canEndAll: boolean;
  /** Never throws on a bad cookie (stale: true); throws AppError 'store_unavailable' when the store cannot answer in time. */
  open(from: CookieReader): Promise<OpenSession>;
  /** A session built from scratch under a new seal or id (no fixation); `previous` is ended first. */
  create(previous: OpenSession, to: CookieWriter, login: NewLogin): Promise<LoginSession>;
  /** "Log out everywhere": ends every session of `sub`; null where the store cannot (canEndAll false). */
  endAll(sub: string): Promise<number | null>;
  /** Clears the login cookie without reading it (a logout while the store cannot answer). */
  forget(to: CookieWriter): void;
  /**
   * One refresh per refresh token at a time (this process / every instance); callers that arrive
   * with a refresh token used within the last 60 s get its successor instead of a second refresh,
   * or the wiki's refusal of it when `refresh` threw AppError 'refresh_refused' (login/fresh.ts).
   * Any other failure is the caller's alone: the next caller asks the wiki again.
   */
  refreshOnce(refreshToken: string, refresh: () => Promise<Credentials>): Promise<Credentials>;
  /** For /healthz: null when usable, else one line naming the problem (no secret). */
  check(): Promise<string | null>;
}
