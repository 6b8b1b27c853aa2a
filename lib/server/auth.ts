import 'server-only';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { getConfig } from './config';
import { loginPath } from './safe-next';
import { secureCookiesForAction } from './origin';
import { readLoginSession, type LoginSession } from './session';

// For pages and server actions (route handlers read the session from their Request: see
// lib/server/routes.ts). Every protected page calls requireUser() itself, so protection does not
// depend on a proxy matcher that a refactor could bypass.

/** The logged-in user, as the login cookie says. The access token never leaves the server. */
export type CurrentUser = LoginSession;

/**
 * The current user, or null when logged out (no cookie, or one that does not unseal: see
 * session.ts). Read once per request: React's cache() shares the answer between the layout and
 * the page. A server component cannot clear a bad cookie (Next allows Set-Cookie only in route
 * handlers and server actions); proxy.ts does that before the page runs.
 */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  // cookies() first: it marks the page as rendered per request, before the configuration (absent
  // during `next build`) is read.
  const store = await cookies();
  const read = await readLoginSession(store, getConfig().session);
  return read.value;
});

/** The current user, or a redirect to log in and come back to `path`. */
export async function requireUser(path: string): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (user === null) redirect(loginPath(path));
  return user;
}

/** Whether a cookie a server action sets must be Secure (origin.ts secureCookiesForAction). */
export async function secureCookiesInAction(): Promise<boolean> {
  return secureCookiesForAction(getConfig().appOrigin, (await headers()).get('host'));
}
