import 'server-only';
import { cookies } from 'next/headers';
import { unstable_rethrow } from 'next/navigation';
import { NextResponse, type NextRequest } from 'next/server';
import { MWOAuthError, userProfileOf } from 'mwoauth';
import { getApp, type App } from '../wiring/app';
import { isProduction } from '../config';
import { AppError, isSessionEnded, isStoreUnavailable } from '../core/errors';
import { asUser, type EndedReason, type UserCalls } from '../login/as-user';
import { fromOrigin, secureCookiesFor } from './origin';
import { forLog } from '../core/log';
import { contextFor, logError, PRIVATE_NO_STORE, type RouteContext } from './routes';
import { cookieRecorder, cookieWriter, type CookieWriter } from '../session/cookies';
import { wikiCalls } from '../wiki/farm';
import { startWikiDeadline } from '../wiki/deadline';
import type { WikiUser } from '../wiki-user';

// Route handlers as the logged-in user. openRouteSession() does what every such handler needs:
// open the session, refresh a due token, and keep every cookie write (a refresh saved, the session
// ended) for whichever answer is sent. withUser() (the tool author's, taught in the README) turns
// each outcome into JSON; the revocation check (app/api/mwoauth/revoked) into redirects.

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

function asNextResponse(response: Response): NextResponse {
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

/** A JSON answer that depends on who asks: never stored by a browser or a shared cache. */
function json(
  status: number,
  error: string,
  message: string,
  extra: Record<string, unknown> = {},
): NextResponse {
  return NextResponse.json(
    { error, message, ...extra },
    { status, headers: { 'Cache-Control': PRIVATE_NO_STORE } },
  );
}

function loggedOut(reason: EndedReason | null): NextResponse {
  return reason === 'revoked'
    ? json(401, 'revoked', 'The wiki ended this session (access revoked or expired); log in again.')
    : json(401, 'not_logged_in', 'Log in first: /api/mwoauth/initiate');
}

function storeUnavailable(): NextResponse {
  const response = json(
    503,
    'store_unavailable',
    'The login service is unavailable right now; try again in a minute.',
  );
  response.headers.set('Retry-After', '30');
  return response;
}

/** What an error the handler did not catch becomes: the wiki's (502, 504) or ours (500), no detail. */
function failed(error: unknown): NextResponse {
  if (isStoreUnavailable(error)) return storeUnavailable();
  if (error instanceof MWOAuthError) {
    return json(
      error.code === 'timeout' ? 504 : 502,
      error.code,
      'The wiki did not answer as expected; try again.',
      { mediawikiCode: error.mediawikiCode },
    );
  }
  return json(500, 'internal', 'Something went wrong on our side; try again later.');
}

/**
 * The handler's second argument (Next passes `{ params }`): optional unless the handler's type
 * needs it (`withUser<RouteContext<'/api/items/[id]'>>(…)`), so a test can call the handler with a
 * request alone.
 */
type OptionalUnlessRequired<Context> = undefined extends Context ? [context?: Context] : [context: Context];

/**
 * Logs what a handler threw: the wiki's and the store's errors as logError does (code, MediaWiki's
 * key, a message lib/mwoauth cleared of secrets); any other in one line in production (its name and
 * the start of its message, printable: no stack in a shared log), whole in development.
 */
function logFailure(what: string, error: unknown): void {
  if (error instanceof MWOAuthError || error instanceof AppError || !isProduction()) {
    logError(what, error);
    return;
  }
  const line = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
  console.error(`[mwoauth] ${what} failed unexpectedly: ${forLog(line)}`);
}

/** Methods that change nothing: any other must come from our own pages (origin.ts fromOrigin). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A route handler for logged-in users only, as JSON:
 *
 *     export const GET = withUser(async (request, user) =>
 *       Response.json(await user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo' }))));
 *
 * Before `handler` runs: a request that may change something (any method but GET, HEAD, OPTIONS)
 * from another origin is refused (403), the session opened (503 when the store cannot answer, 401
 * when logged out) and a due OAuth 2.0 token refreshed. `user`'s calls refresh once more and retry
 * once when the wiki refuses a token as expired, and throw AppError 'session_ended' (answered 401,
 * the session ended) when the wiki ended it. Every answer gets the session's cookie writes (a
 * rotated refresh token must be stored: o2-15) and `Cache-Control: private, no-store`. An error
 * the handler does not catch is logged and answered as JSON without its detail (502/504 for the
 * wiki's, 500 for others). Next's redirect() and notFound() pass through.
 */
export function withUser<Context = unknown>(
  handler: (
    request: NextRequest,
    user: WikiUser,
    ...context: OptionalUnlessRequired<Context>
  ) => Response | Promise<Response>,
): (request: NextRequest, ...context: OptionalUnlessRequired<Context>) => Promise<Response> {
  return async (request, ...context) => {
    const what = `${forLog(request.method)} ${forLog(request.nextUrl.pathname)}`;
    let app: App;
    try {
      app = getApp();
    } catch (error) {
      logError(what, error);
      return json(500, 'invalid_config', 'This app is not configured correctly; its log says why.');
    }
    const ctx = contextFor(app, request);
    const sent = request.headers.get('origin');
    if (
      !SAFE_METHODS.has(request.method) &&
      !fromOrigin(sent, request.headers.get('sec-fetch-site'), ctx.origin)
    ) {
      console.warn(`[mwoauth] ${what} refused: the request's Origin ${forLog(sent)} is not ${ctx.origin}`);
      return json(403, 'cross_site', "This request must come from this app's own pages.");
    }
    let opened: OpenRoute | null = null;
    let answer: NextResponse;
    try {
      opened = await openRouteSession(ctx, request);
      const { session } = opened;
      if (session.kind === 'unavailable') answer = storeUnavailable();
      else if (session.kind === 'logged_out') answer = loggedOut(null);
      else if (session.kind === 'ended') answer = loggedOut(session.reason);
      else answer = asNextResponse(await handler(request, session.user, ...context));
    } catch (error) {
      const ended = opened?.session.kind === 'user' ? opened.session.user.ended : null;
      if (ended !== null || isSessionEnded(error)) {
        answer = loggedOut(ended ?? 'logged_out');
      } else {
        await passNextControl(error, opened, secureCookiesFor(ctx.origin));
        logFailure(what, error);
        answer = failed(error);
      }
    }
    answer.headers.set('Cache-Control', PRIVATE_NO_STORE);
    return opened === null ? answer : opened.send(answer);
  };
}

/**
 * Rethrows Next's own control flow (redirect(), notFound() in the handler), with the session's
 * cookie writes put where Next takes them from (next/headers' cookies()): a refreshed token
 * is stored even then.
 */
async function passNextControl(error: unknown, opened: OpenRoute | null, secure: boolean): Promise<void> {
  try {
    unstable_rethrow(error);
  } catch (control) {
    if (opened !== null) opened.replay(cookieWriter(await cookies(), secure));
    throw control;
  }
}
