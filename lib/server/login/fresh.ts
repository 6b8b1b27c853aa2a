import 'server-only';
import type { App } from '../app';
import type { CookieWriter } from '../session/cookies';
import type { OpenSession } from '../session/store';
import type { WikiDeadline } from '../wiki/deadline';
import { refreshDueAt, refreshTokenOf, type Credentials } from './credentials';

// Refreshing before a wiki call, where cookies can be set: route handlers, server actions and
// proxy.ts (DESIGN.md: a page never refreshes a token; it cannot save the rotated one).

/**
 * The credentials to call the wiki with now: when they are due (refreshDueAt), refreshed once per
 * refresh token (store.refreshOnce: a parallel request gets the same successor) and saved to the
 * session through `to`. OAuth 1.0a credentials are never due, so they come back as they are.
 */
export async function freshCredentials(
  app: Pick<App, 'flow' | 'store'>,
  session: OpenSession,
  to: CookieWriter,
  deadline: WikiDeadline,
): Promise<Credentials | null> {
  const login = session.login;
  if (login === null) return null;
  const credentials = login.credentials;
  const due = refreshDueAt(credentials);
  if (due === null || due > Math.floor(Date.now() / 1000)) return credentials;
  const refreshToken = refreshTokenOf(credentials);
  // Nothing to refresh with: the wiki answers, and the flow's verdict says what that means.
  if (refreshToken === null) return credentials;
  const successor = await app.store.refreshOnce(refreshToken, () => app.flow.refresh(credentials, deadline));
  return (await session.save(to, successor)).credentials;
}
