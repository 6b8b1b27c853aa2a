import 'server-only';
import { headers } from 'next/headers';
import { NextResponse, type NextRequest } from 'next/server';
import { PAGE_BODY_LIMIT } from '@/lib/http-policy';
import { getConfig } from '../config';
import { failureResponse, type Failure } from '../failures/page';
import { failure } from '../failures/catalogue';
import { translatorFor } from '../i18n';
import { forLog } from '../core/log';
import { fromOrigin } from './origin';

// Checks proxy.ts makes before a page runs (the route handlers under /api/ check their own methods,
// bodies and origins). Each refusal is a failure page with fixed text and one log line.

/** The methods pages serve: GET and HEAD to read, POST for the server actions (forms). */
export const PAGE_METHODS: readonly string[] = ['GET', 'HEAD', 'POST'];

function refuse(request: NextRequest, failure: Failure, reason: string): NextResponse {
  console.warn(
    `[request] ${failure.status} for ${forLog(request.method)} ${forLog(request.nextUrl.pathname)}: ${reason}`,
  );
  // Next sends this only once the whole body has arrived, and keeps the connection alive
  // (lib/server/http/early-guard.ts refuses declared oversized bodies before that).
  return failureResponse(failure);
}

/** Reads at most PAGE_BODY_LIMIT + 1 bytes of Next's copy of the body; whether it was larger. */
async function bodyOverLimit(request: NextRequest): Promise<boolean> {
  if (request.body === null) return false;
  const reader = request.body.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    size += value.byteLength;
    if (size > PAGE_BODY_LIMIT) {
      await reader.cancel();
      return true;
    }
  }
}

/** Our origin for the Origin check: APP_URL's, else the request's (as the route handlers decide). */
function ourOrigin(request: NextRequest): string {
  try {
    return getConfig().appOrigin ?? request.nextUrl.origin;
  } catch {
    return request.nextUrl.origin; // the page shows the configuration problem
  }
}

/**
 * The refusal for a page request that no page of ours serves, or null to let it through: a method
 * other than GET, HEAD and POST (405), a body over PAGE_BODY_LIMIT (413), a POST from another origin
 * (403).
 */
export async function refusePageRequest(request: NextRequest): Promise<NextResponse | null> {
  const method = request.method;
  const t = translatorFor(request);
  if (!PAGE_METHODS.includes(method)) {
    const response = refuse(
      request,
      failure('page_method', t, { what: [method] }),
      'method not served by pages',
    );
    response.headers.set('Allow', PAGE_METHODS.join(', '));
    return response;
  }

  // Node lets a body through only with a Content-Length it then holds the body to, or chunked.
  const declared = request.headers.get('content-length');
  const tooLarge =
    declared !== null
      ? !(Number(declared) <= PAGE_BODY_LIMIT)
      : request.headers.has('transfer-encoding') && (await bodyOverLimit(request));
  if (tooLarge) {
    return refuse(
      request,
      failure('too_large', t, { what: [t.number(PAGE_BODY_LIMIT / 1024)] }),
      `body over ${PAGE_BODY_LIMIT} bytes`,
    );
  }

  if (method === 'POST') {
    const origin = ourOrigin(request);
    if (!fromOrigin(request.headers.get('origin'), request.headers.get('sec-fetch-site'), origin)) {
      return refuse(
        request,
        failure('form_cross_site', t),
        `Origin ${forLog(request.headers.get('origin'))} is not ${origin}`,
      );
    }
  }
  return null;
}

/**
 * For server actions, first thing: the same whole-origin check as proxy.ts, in case a request
 * reaches the action without passing proxy.ts (a matcher changed by a refactor). Throws: proxy.ts
 * already answered such a request with 403, so reaching this is a bug.
 */
export async function assertActionFromOurOrigin(): Promise<void> {
  const ours = getConfig().appOrigin;
  if (ours === null) return; // no APP_URL (development, Vercel): proxy.ts's check alone
  const sent = await headers();
  if (!fromOrigin(sent.get('origin'), sent.get('sec-fetch-site'), ours)) {
    throw new Error(`server action refused: Origin ${forLog(sent.get('origin'))} is not ${ours}`);
  }
}
