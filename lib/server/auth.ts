import 'server-only';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { getApp, type App } from './wiring/app';
import { getConfig } from './config';
import { isStoreUnavailable } from './core/errors';
import { forLog, LOG_MESSAGE_MAX } from './core/log';
import { freshLogin } from './login/fresh';
import { secureCookiesForAction } from './http/origin';
import { UNAVAILABLE_PATH } from './http/routes';
import { loginPath, safeNext } from './http/safe-next';
import { cookieWriter } from './session/cookies';
import type { LoginSession, OpenSession } from './session/store';
import { startWikiDeadline } from './wiki/deadline';
import { wikiUser, type WikiUser } from './wiki-user';

export type { WikiUser };

// The tool author's entry points: requireUser() for pages, requireUserForAction() for server
// actions, withUser() for route handlers (lib/server/http/route-user.ts). Every protected page calls
// requireUser() itself, so protection does not depend on a proxy matcher that a refactor could
// bypass.

export { withUser } from './http/route-user';

/**
 * Where a page or an action sends the browser when the wiki refused the session's token: a page
 * cannot clear a cookie or store a refreshed token; this route handler asks the wiki, refreshes
 * (OAuth 2.0) and comes back to `path`, or ends the session.
 */
function toRevocationCheck(path: string): () => never {
  return () => redirect(`/api/mwoauth/revoked?next=${encodeURIComponent(safeNext(path))}`);
}

interface Current {
  readonly app: App;
  readonly session: OpenSession;
}

/** The request's session, opened once per request (React's cache(): layout and page share it). */
const currentSession = cache(async (): Promise<Current> => {
  // cookies() first: it marks the page as rendered per request, before the configuration (absent
  // during `next build`) is read.
  const store = await cookies();
  const app = getApp();
  try {
    return { app, session: await app.store.open(store) };
  } catch (error) {
    // Redis failed after proxy.ts read the session: a page cannot answer 503, the route can.
    if (isStoreUnavailable(error)) {
      console.error(`[mwoauth] session failed: ${forLog(error.message, LOG_MESSAGE_MAX)}`);
      redirect(UNAVAILABLE_PATH);
    }
    throw error;
  }
});

/**
 * The current user, or null when logged out (no cookie, or one that does not unseal). Never
 * refreshes a token: a page cannot set the cookie (Next allows Set-Cookie only in route handlers
 * and server actions); proxy.ts refreshes and clears cookies before the page runs.
 */
export const getCurrentUser = cache(async (): Promise<WikiUser | null> => {
  const { app, session } = await currentSession();
  if (session.login === null) return null;
  return wikiUser(session.login, app.flow, app.config, toRevocationCheck('/'));
});

/** The current user, or a redirect to log in and come back to `path`. */
export async function requireUser(path: string): Promise<WikiUser> {
  const { app, session } = await currentSession();
  if (session.login === null) redirect(loginPath(path));
  return wikiUser(session.login, app.flow, app.config, toRevocationCheck(path));
}

/**
 * requireUser() for server actions, which may set cookies: credentials that are due are refreshed
 * and saved here before the wiki is asked (OAuth 1.0a tokens never are). A dead refresh token
 * ends the session: logged out, with the home page's message.
 */
export async function requireUserForAction(path: string): Promise<WikiUser> {
  const { app, session } = await currentSession();
  if (session.login === null) redirect(loginPath(path));
  const writer = cookieWriter(await cookies(), await secureCookiesInAction());
  let fresh;
  try {
    fresh = await freshLogin(
      { flow: app.flow, store: app.store, session, to: writer, deadline: startWikiDeadline(app.config) },
      session.login,
    );
  } catch (error) {
    // Redis failed during the refresh (its lock, or saving the new tokens): the 503 page, not a 500.
    if (!isStoreUnavailable(error)) throw error;
    console.error(`[mwoauth] session refresh failed: ${forLog(error.message, LOG_MESSAGE_MAX)}`);
    redirect(UNAVAILABLE_PATH);
  }
  // Revoked: logged out with the home page's message; logged out meanwhile: log in again.
  if (fresh.kind === 'ended') redirect(fresh.reason === 'revoked' ? '/?notice=revoked' : loginPath(path));
  const login: LoginSession = fresh.login;
  // An action can write the session: a token the wiki refuses as expired is refreshed here, and the
  // call made again, instead of a trip through the revocation check (which would lose the form).
  return wikiUser(login, app.flow, app.config, toRevocationCheck(path), {
    refresh: (current) =>
      freshLogin(
        { flow: app.flow, store: app.store, session, to: writer, deadline: startWikiDeadline(app.config) },
        current,
        { force: true },
      ),
    ended: (reason) => redirect(reason === 'revoked' ? '/?notice=revoked' : loginPath(path)),
    // What the wiki renewed (its sessionJwt) goes into the session with the action's answer.
    saveCookies: (current, cookies) => session.save(writer, current.credentials, cookies),
  });
}

/** Whether a cookie a server action sets must be Secure (origin.ts secureCookiesForAction). */
export async function secureCookiesInAction(): Promise<boolean> {
  return secureCookiesForAction(getConfig().appOrigin, (await headers()).get('host'));
}
