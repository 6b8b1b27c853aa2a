import 'server-only';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { getApp } from './app';
import { getConfig } from './config';
import { freshCredentials } from './login/fresh';
import { secureCookiesForAction } from './origin';
import { loginPath } from './safe-next';
import { cookieWriter } from './session/cookies';
import { startWikiDeadline } from './wiki/deadline';
import { wikiUser, type WikiUser } from './wiki-user';

export type { WikiUser };

// For pages and server actions (route handlers read the session from their Request: see
// lib/server/routes.ts). Every protected page calls requireUser() itself, so protection does not
// depend on a proxy matcher that a refactor could bypass.

/** Where a page or an action sends the browser when the wiki ended the session. */
function toRevocationCheck(): never {
  // A page cannot clear a cookie; this route handler asks the wiki, then does.
  redirect('/api/mwoauth/revoked');
}

/**
 * The current user, or null when logged out (no cookie, or one that does not unseal). Read once
 * per request: React's cache() shares the answer between the layout and the page. Never refreshes
 * a token: a page cannot set the cookie (Next allows Set-Cookie only in route handlers and server
 * actions), and proxy.ts clears a bad cookie before the page runs.
 */
export const getCurrentUser = cache(async (): Promise<WikiUser | null> => {
  // cookies() first: it marks the page as rendered per request, before the configuration (absent
  // during `next build`) is read.
  const store = await cookies();
  const app = getApp();
  const session = await app.store.open(store);
  if (session.login === null) return null;
  return wikiUser(session.login, app.flow, app.config, toRevocationCheck);
});

/** The current user, or a redirect to log in and come back to `path`. */
export async function requireUser(path: string): Promise<WikiUser> {
  const user = await getCurrentUser();
  if (user === null) redirect(loginPath(path));
  return user;
}

/**
 * requireUser() for server actions, which may set cookies: credentials that are due are refreshed
 * (once per refresh token: login/fresh.ts) and saved before the wiki is asked. OAuth 1.0a tokens
 * never are. A refresh the wiki refuses ends the session as a revoked token does.
 */
export async function requireUserForAction(path: string): Promise<WikiUser> {
  const jar = await cookies();
  const app = getApp();
  const session = await app.store.open(jar);
  const login = session.login;
  if (login === null) redirect(loginPath(path));
  let credentials = login.credentials;
  try {
    const writer = cookieWriter(jar, await secureCookiesInAction());
    credentials =
      (await freshCredentials(app, session, writer, startWikiDeadline(app.config))) ?? credentials;
  } catch (error) {
    if (app.flow.verdict(error) !== 'keep') toRevocationCheck();
    throw error;
  }
  return wikiUser({ ...login, credentials }, app.flow, app.config, toRevocationCheck);
}

/** Whether a cookie a server action sets must be Secure (origin.ts secureCookiesForAction). */
export async function secureCookiesInAction(): Promise<boolean> {
  return secureCookiesForAction(getConfig().appOrigin, (await headers()).get('host'));
}
