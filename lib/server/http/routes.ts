import 'server-only';
import { NextResponse, type NextRequest } from 'next/server';
import { getApp, type App } from '../wiring/app';
import { describeWikiError } from '../failures/describe';
import { failureResponse, type Failure } from '../failures/page';
import { MWOAuthError } from 'mwoauth';
import { AppError, isStoreUnavailable } from '../core/errors';
import { publicOrigin, secureCookiesFor } from './origin';
import { cookieWriter, type CookieWriter } from '../session/cookies';
import type { OpenSession } from '../session/store';
import { failure } from '../failures/catalogue';
import { translatorFor } from '../i18n';
import { errorForLog, forLog, LOG_MESSAGE_MAX } from '../core/log';

// Shared by the /api/mwoauth/* route handlers, which stay thin (CONTRIBUTING.md).

/** Responses that depend on who is logged in: never stored by a browser or a shared cache. */
export const PRIVATE_NO_STORE = 'private, no-store';

/** What a route handler works with: the app (config, flow, store) and this request's origin. */
export interface RouteContext extends App {
  /** Our public origin (origin.ts publicOrigin). */
  readonly origin: string;
  /** The response's cookies with our attributes, Secure decided from `origin`. */
  writer(response: NextResponse): CookieWriter;
}

/** The route context of `request`, or the failure page that says the configuration is broken. */
export function routeContext(request: NextRequest): RouteContext | NextResponse {
  let app: App;
  try {
    app = getApp();
  } catch (error) {
    logError('configuration', error);
    return failureResponse(describeWikiError(error, undefined, 'login', translatorFor(request)));
  }
  return contextFor(app, request);
}

/** The route context of `request` for `app`. */
export function contextFor(app: App, request: NextRequest): RouteContext {
  const origin = publicOrigin(app.config.appOrigin, request.nextUrl.origin);
  const secure = secureCookiesFor(origin);
  return { ...app, origin, writer: (response) => cookieWriter(response.cookies, secure) };
}

/** Where a page sends the browser when Redis fails during its render: the route answers the 503 page. */
export const UNAVAILABLE_PATH = '/api/mwoauth/unavailable';

/** The 503 "login service unavailable" page (translated, no detail: the log has it). */
export function unavailableResponse(request: NextRequest): NextResponse {
  const response = failureResponse(failure('store_unavailable', translatorFor(request)));
  response.headers.set('Retry-After', '30');
  return response;
}

/**
 * The request's session, or the 503 "login service unavailable" page when the store (Redis) cannot
 * answer in time: a bounded, translated answer instead of Next's 500.
 */
export async function openSessionOr503(
  ctx: RouteContext,
  request: NextRequest,
): Promise<OpenSession | NextResponse> {
  try {
    return await ctx.store.open(request.cookies);
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    logError('session', error);
    return unavailableResponse(request);
  }
}

/** A 303 See Other (after a GET that changed state, or a POST), not cached. */
export function seeOther(url: URL | string): NextResponse {
  const response = NextResponse.redirect(url, 303);
  response.headers.set('Cache-Control', 'no-store');
  return response;
}

/**
 * Logs a failure for whoever runs the app: the code, MediaWiki's key and the message (which
 * lib/mwoauth has already cleared of secrets), never a token or a cookie. The key and the message
 * may quote the wiki's answer or a callback's query, so they are cleaned (forLog): one line, bounded.
 */
export function logError(step: string, error: unknown): void {
  if (error instanceof MWOAuthError) {
    const key = error.mediawikiCode === null ? '' : ` (${forLog(error.mediawikiCode, 64)})`;
    console.error(`[mwoauth] ${step} failed: ${error.code}${key}: ${forLog(error.message, LOG_MESSAGE_MAX)}`);
  } else if (error instanceof AppError) {
    console.error(`[mwoauth] ${step} failed: ${forLog(error.message, LOG_MESSAGE_MAX)}`);
  } else {
    console.error(`[mwoauth] ${step} failed unexpectedly: ${errorForLog(error)}`);
  }
}

/**
 * 405 with `Allow: GET` and a friendly page, for the login routes Next would otherwise answer HEAD
 * with the GET handler (a link checker's HEAD must not start or complete a login).
 */
export function getOnly(page: Omit<Failure, 'status' | 'mediawikiCode'>): NextResponse {
  const response = failureResponse({ ...page, status: 405, mediawikiCode: null });
  response.headers.set('Allow', 'GET');
  return response;
}
