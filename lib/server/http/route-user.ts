import 'server-only';
import { cookies } from 'next/headers';
import { unstable_rethrow } from 'next/navigation';
import { NextResponse, type NextRequest } from 'next/server';
import { MWOAuthError } from 'mwoauth';
import { getApp, type App } from '../wiring/app';
import { isProduction } from '../config';
import { AppError, isSessionEnded, isStoreUnavailable } from '../core/errors';
import type { EndedReason } from '../login/as-user';
import { fromOrigin, secureCookiesFor } from './origin';
import { forLog } from '../core/log';
import { asNextResponse, openRouteSession, type OpenRoute } from './route-session';
import { contextFor, logError, PRIVATE_NO_STORE } from './routes';
import { cookieWriter } from '../session/cookies';
import type { WikiUser } from '../wiki-user';

// withUser(): a route handler as the logged-in user, answering JSON. The session, its refresh and
// the cookie writes are route-session.ts's; this file turns each outcome into an answer.

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
