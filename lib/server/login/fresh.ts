import 'server-only';
import type { CookieWriter } from '../session/cookies';
import type { LoginSession, OpenSession, SessionStore } from '../session/store';
import type { WikiDeadline } from '../wiki';
import { isSessionEnded } from '../wiki-user';
import { refreshDueAt } from './credentials';
import type { LoginFlow } from './flow';
import type { WikiCookieJar } from '@/lib/mwoauth';
import { LoginJar } from '../wiki-cookies';

// Refreshing before the wiki is asked, where the answer can carry a cookie: proxy.ts (for pages),
// route handlers and server actions. A page never refreshes (DESIGN.md "Two axes"): it cannot set
// the cookie, and a rotated refresh token that is not stored logs the user out at the next refresh
// (the wiki kills the old one at first use, fixture o2-15).

export type FreshLogin =
  | { readonly kind: 'fresh'; readonly login: LoginSession; readonly refreshed: boolean }
  /**
   * The session was ended: `revoked`, the refresh token is dead (revoked, expired, already used:
   * o2-15); `logged_out`, the user logged out while this request was refreshing (the store
   * refused to write the session again, and cleared the cookie).
   */
  | { readonly kind: 'ended'; readonly reason: 'revoked' | 'logged_out' };

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The session's login with credentials good for at least REFRESH_MARGIN_S more: as it is, or
 * refreshed once (store.refreshOnce: one refresh per refresh token at a time, a late request with
 * the just-used token gets its successor) and saved to `to`. A refresh the wiki refuses as dead
 * ends the session; any other failure (the wiki down, a timeout) is thrown and the session kept.
 * `force`: refresh even if not due (the wiki refused an access token that had not expired yet).
 */
export async function freshLogin(
  flow: LoginFlow,
  store: SessionStore,
  session: OpenSession,
  login: LoginSession,
  to: CookieWriter,
  deadline: WikiDeadline,
  options: { readonly force?: boolean } = {},
): Promise<FreshLogin> {
  const credentials = login.credentials;
  const due = refreshDueAt(credentials);
  if (options.force !== true && (due === null || nowS() < due))
    return { kind: 'fresh', login, refreshed: false };
  if (options.force === true && credentials.protocol === '1.0a')
    return { kind: 'fresh', login, refreshed: false };
  if (credentials.protocol !== '2.0' || credentials.refreshToken === null) {
    // Expiring credentials with nothing to refresh them with: the login is over.
    await session.end(to);
    return { kind: 'ended', reason: 'revoked' };
  }
  try {
    const next = await store.refreshOnce(credentials.refreshToken, () => flow.refresh(credentials, deadline));
    return { kind: 'fresh', login: await session.save(to, next), refreshed: true };
  } catch (error) {
    if (isSessionEnded(error)) return { kind: 'ended', reason: 'logged_out' };
    if (flow.verdict(error) !== 'revoked') throw error;
    await session.end(to);
    return { kind: 'ended', reason: 'revoked' };
  }
}

export type AsUser<T> =
  | { readonly kind: 'done'; readonly value: T; readonly refreshed: boolean }
  | Extract<FreshLogin, { kind: 'ended' }>;

/**
 * `call` with fresh credentials, for route handlers: refreshed first when due, and once more
 * (forced) when the wiki refuses the access token as expired before its time (a refresh elsewhere
 * revoked it, the user updated the authorization, or Wikimedia's edge said error="invalid_token"):
 * refused again, the error is thrown (the flow's verdict tells the caller to end the session; never
 * a loop). Any other failure is thrown. `wikiCookies`: the call gets this login's wiki cookies
 * (lib/server/wiki-cookies.ts), and what the wiki changed in them is saved to `to`.
 */
export async function asUser<T>(
  flow: LoginFlow,
  store: SessionStore,
  session: OpenSession,
  login: LoginSession,
  to: CookieWriter,
  deadline: WikiDeadline,
  call: (credentials: LoginSession['credentials'], jar: WikiCookieJar | null) => Promise<T>,
  options: { readonly wikiCookies?: boolean } = {},
): Promise<AsUser<T>> {
  const jar = options.wikiCookies === true ? await LoginJar.open(login.wikiCookies) : null;
  let current = login;
  /** The call, then whatever the wiki changed in the jar saved with the session. */
  const run = async (): Promise<T> => {
    try {
      return await call(current.credentials, jar === null ? null : jar.jar);
    } finally {
      const changed = jar === null ? null : await jar.changed();
      if (jar !== null && changed !== null) {
        current = await session.save(to, current.credentials, changed);
        jar.markSaved(changed);
      }
    }
  };
  let fresh = await freshLogin(flow, store, session, login, to, deadline);
  if (fresh.kind === 'ended') return fresh;
  current = fresh.login;
  try {
    return { kind: 'done', value: await run(), refreshed: fresh.refreshed };
  } catch (error) {
    if (flow.verdict(error) !== 'expired') throw error;
  }
  fresh = await freshLogin(flow, store, session, current, to, deadline, { force: true });
  if (fresh.kind === 'ended') return fresh;
  current = fresh.login;
  return { kind: 'done', value: await run(), refreshed: true };
}
