import 'server-only';
import { isRefreshRefused, isSessionEnded, refreshRefused } from '../core/errors';
import type { CookieWriter } from '../session/cookies';
import type { LoginSession, OpenSession, SessionStore } from '../session/store';
import type { WikiDeadline } from '../wiki/deadline';
import { refreshDueAt, type Credentials } from './credentials';
import type { LoginFlow } from './flow';

// Refreshing before the wiki is asked, where the answer can carry a cookie: proxy.ts (for pages),
// route handlers and server actions. A page never refreshes (CONTRIBUTING.md, "Two axes"): it cannot set
// the cookie, and a rotated refresh token that is not stored logs the user out at the next refresh
// (the wiki kills the old one at first use, fixture o2-15).

export type FreshLogin =
  | { readonly kind: 'fresh'; readonly login: LoginSession; readonly refreshed: boolean }
  /**
   * The session was ended: `revoked`, the refresh token is dead (revoked, expired, already used:
   * o2-15); `logged_out`, the user logged out while this request was refreshing (the store
   * refused to write the session again, and cleared the cookie), or the refreshed tokens found in
   * Redis were not this session's (a value copied under its key): ended without asking the wiki.
   */
  | { readonly kind: 'ended'; readonly reason: 'revoked' | 'logged_out' };

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * What a refresh works with: the flow and the store, the request's open session, where the new
 * cookie (or its deletion) goes, and the request's deadline for the wiki.
 */
export interface FreshContext {
  readonly flow: LoginFlow;
  readonly store: SessionStore;
  readonly session: OpenSession;
  readonly to: CookieWriter;
  readonly deadline: WikiDeadline;
}

/**
 * `login` (the session's, or what an earlier refresh of this request saved) with credentials good
 * for at least REFRESH_MARGIN_S more: as it is, or refreshed once (store.refreshOnce: one refresh per
 * refresh token at a time, a late request with the just-used token gets its successor) and saved to
 * `ctx.to`. A refresh the wiki refuses as dead ends the session; any other failure (the wiki down, a
 * timeout) is thrown and the session kept. `force`: refresh even if not due (the wiki refused an
 * access token that had not expired yet).
 */
export async function freshLogin(
  ctx: FreshContext,
  login: LoginSession,
  options: { readonly force?: boolean } = {},
): Promise<FreshLogin> {
  const { flow, store, session, to, deadline } = ctx;
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
  const refresh = async (): Promise<Credentials> => {
    try {
      return await flow.refresh(credentials, deadline);
    } catch (error) {
      // Told apart here, by the flow that made the error (each bundle has its own copy): a refusal
      // is remembered by the store and handed to this session's other requests (store.ts).
      if (flow.verdict(error) !== 'revoked') throw error;
      throw refreshRefused();
    }
  };
  try {
    const next = await store.refreshOnce(credentials.refreshToken, refresh);
    return { kind: 'fresh', login: await session.save(to, next), refreshed: true };
  } catch (error) {
    if (isSessionEnded(error)) {
      // Logged out meanwhile (the store already cleared the cookie), or, in Redis, the successor
      // under this refresh token is not ours to use (redis-store.ts): ended here too, so the
      // record goes as well. Ending twice is harmless.
      await session.end(to);
      return { kind: 'ended', reason: 'logged_out' };
    }
    if (!isRefreshRefused(error)) throw error;
    await session.end(to);
    return { kind: 'ended', reason: 'revoked' };
  }
}
