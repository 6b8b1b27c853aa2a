import 'server-only';
import { NextResponse, type NextRequest } from 'next/server';
import { getConfig, type AppConfig } from './config';
import { describeWikiError } from './wiki';
import { failureResponse, type Failure } from './failure-page';
import { MWOAuthError } from '@/lib/mwoauth';
import { AppError } from './errors';
import { translatorFor } from './i18n';

// Shared by the /api/mwoauth/* route handlers, which stay thin (STYLE.md §2).

/** Responses that depend on who is logged in: never stored by a browser or a shared cache. */
export const PRIVATE_NO_STORE = 'private, no-store';

/**
 * Our public origin: APP_URL when set (behind Toolforge's proxy the request's own URL names an
 * internal host), else the origin of the request as the browser addressed it.
 */
export function originOf(request: NextRequest, config: AppConfig): string {
  return config.appOrigin ?? request.nextUrl.origin;
}

/** A 303 See Other (after a GET that changed state, or a POST), not cached. */
export function seeOther(url: URL | string): NextResponse {
  const response = NextResponse.redirect(url, 303);
  response.headers.set('Cache-Control', 'no-store');
  return response;
}

/** The configuration, or the failure page that says it is broken (in `request`'s language). */
export function configOrFailure(request?: NextRequest): AppConfig | NextResponse {
  try {
    return getConfig();
  } catch (error) {
    logError('configuration', error);
    return failureResponse(describeWikiError(error, undefined, 'login', translatorFor(request)));
  }
}

/**
 * Logs a failure for whoever runs the app: the code, MediaWiki's key and the message (which
 * lib/mwoauth has already cleared of secrets), never a token or a cookie.
 */
export function logError(step: string, error: unknown): void {
  if (error instanceof MWOAuthError) {
    console.error(
      `[mwoauth] ${step} failed: ${error.code}${error.mediawikiCode === null ? '' : ` (${error.mediawikiCode})`}: ${error.message}`,
    );
  } else if (error instanceof AppError) {
    console.error(`[mwoauth] ${step} failed: ${error.message}`);
  } else {
    console.error(`[mwoauth] ${step} failed unexpectedly:`, error);
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
