import 'server-only';
import { NextResponse, type NextRequest } from 'next/server';
import { userProfileOf } from 'mwoauth';
import type { App } from '../wiring/app';
import { isStoreUnavailable } from '../core/errors';
import { asUser, type EndedReason, type UserCalls } from '../login/as-user';
import { logError, type RouteContext } from './routes';
import { cookieRecorder, type CookieWriter } from '../session/cookies';
import { wikiCalls } from '../wiki/farm';
import { startWikiDeadline } from '../wiki/deadline';
import type { WikiUser } from '../wiki-user';

// Route handlers as the logged-in user. openRouteSession() does what every such handler needs:
// open the session, refresh a due token, and keep every cookie write (a refresh saved, the session
// ended) for whichever answer is sent. withUser() (route-user.ts, the tool author's, taught in the
// README) turns each outcome into JSON; the revocation check (app/api/mwoauth/revoked) into redirects.

/** The user a route handler is handed: a WikiUser that throws AppError 'session_ended' instead of redirecting. */
export interface RouteUser extends WikiUser {
  /** Whether this request refreshed the session's tokens (OAuth 2.0). */
  readonly refreshed: boolean;
  /** Why a call of this request found the session over (and ended it); null while it lives. */
  readonly ended: EndedReason | null;
}

export type RouteSession =
  /** The session store (Redis) did not answer in time: nobody can be told apart now. */
  | { readonly kind: 'unavailable' }
  /** No login cookie, or one that names no usable session (it is cleared). */
  | { readonly kind: 'logged_out' }
  /** The refresh found the session over: the wiki refused it, or it was logged out meanwhile. */
  | { readonly kind: 'ended'; readonly reason: EndedReason }
  | { readonly kind: 'user'; readonly user: RouteUser };

export interface OpenRoute {
  readonly session: RouteSession;
  /**
   * `response` with the session's cookie writes on it (the refreshed session, or its end): as a
   * NextResponse, so a plain `Response.json(…)` can carry them too.
   */
  send(response: Response): NextResponse;
  /** The same writes onto another cookie store (next/headers' cookies() when Next answers itself). */
  replay(to: CookieWriter): void;
}

function routeUser(app: App, calls: UserCalls): RouteUser {
  // The wiki of each call, checked (MW_WIKIS), and each wiki's tokens for this request.
  const on = wikiCalls(app.config);
  return {
    get sub() {
      return calls.login.sub;
    },
    get username() {
      return calls.login.username;
    },
    get refreshed() {
      return calls.refreshed;
    },
    get ended() {
      return calls.ended;
    },
    // Each call has its deadline (MW_TIMEOUT_MS), shared with its one retry after a refresh.
    async withWiki(task, options) {
      const where = on(options); // refused here, before any request, when not allowed
      const deadline = startWikiDeadline(app.config);
      return calls.call((credentials, jar) => task(app.flow.api(credentials, deadline, jar, where)), 'api');
    },
    refusesToken: (error) => app.flow.verdict(error) !== 'keep',
    async identify(options) {
      const where = on(options);
      const deadline = startWikiDeadline(app.config);
      // Another wiki's identify refusing the token counts as an API call's refusal: the login
      // wiki's identify confirms it before the session ends (login/as-user.ts confirmRevoked).
      return userProfileOf(
        await calls.call(
          (credentials, jar) => app.flow.identify(credentials, deadline, jar, where),
          where.wiki.home ? 'identify' : 'api',
        ),
      );
    },
  };
}

/** `response` as a NextResponse (its cookies can be set), the same object when it is one. */
export function asNextResponse(response: Response): NextResponse {
  if (response instanceof NextResponse) return response;
  return new NextResponse(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/**
 * The request's session for a route handler. Throws what the store or the wiki threw during a
 * refresh (AppError 'store_unavailable', the wiki down): the session is kept.
 */
export async function openRouteSession(ctx: RouteContext, request: NextRequest): Promise<OpenRoute> {
  const recorder = cookieRecorder();
  const opened = (session: RouteSession): OpenRoute => ({
    session,
    send(response) {
      const out = asNextResponse(response);
      recorder.replay(ctx.writer(out));
      return out;
    },
    replay: (to) => recorder.replay(to),
  });
  let session;
  try {
    session = await ctx.store.open(request.cookies);
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    logError('session', error);
    return opened({ kind: 'unavailable' });
  }
  const login = session.login;
  if (login === null) {
    if (session.stale) {
      try {
        await session.end(recorder);
      } catch (error) {
        // Redis down: the cookie is cleared all the same (end() writes it first); the record expires.
        if (!isStoreUnavailable(error)) throw error;
        logError('stale session', error);
      }
    }
    return opened({ kind: 'logged_out' });
  }
  const calls = await asUser(
    { flow: ctx.flow, store: ctx.store, session, to: recorder, deadline: startWikiDeadline(ctx.config) },
    login,
    { wikiCookies: ctx.config.wikiCookies },
  );
  if (typeof calls === 'string') return opened({ kind: 'ended', reason: calls });
  return opened({ kind: 'user', user: routeUser(ctx, calls) });
}
