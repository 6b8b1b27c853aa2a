import { NextResponse, type NextRequest } from 'next/server';
import { failureResponse } from '@/lib/server/failures/page';
import { counted, failure } from '@/lib/server/failures/catalogue';
import { translatorFor } from '@/lib/server/i18n';
import { forLog } from '@/lib/server/core/log';
import { isStoreUnavailable } from '@/lib/server/core/errors';
import { logError, routeContext, seeOther } from '@/lib/server/http/routes';
import { nextUrl } from '@/lib/server/http/safe-next';
import { writePendingLogins } from '@/lib/server/session/handshakes';

/**
 * Logging out changes state, so it is a POST from our own pages only (SECURITY.md): another site
 * must not be able to log our users out (or, with a planted session, in as someone else). Browsers
 * send Origin with every POST; Sec-Fetch-Site says the same where Origin was stripped.
 */
function fromOurOrigin(request: NextRequest, origin: string): boolean {
  const sent = request.headers.get('origin');
  if (sent !== null) return sent === origin;
  return request.headers.get('sec-fetch-site') === 'same-origin';
}

/**
 * For whoever runs the app: a refused logout is either another site's (CSRF: expected) or, when
 * every logout is refused, our own origin misconfigured: behind a proxy without APP_URL, the origin
 * is taken from the internal request URL and the browser's Origin never matches it.
 */
function logRefusal(request: NextRequest, origin: string, appUrlSet: boolean): void {
  console.warn(
    `[mwoauth] logout refused: the request's Origin ${forLog(request.headers.get('origin'))} ` +
      `(Sec-Fetch-Site: ${forLog(request.headers.get('sec-fetch-site'))}) is not this app's origin ${origin}. ` +
      'A log-out from another site is refused on purpose; if every log-out is refused, ' +
      (appUrlSet
        ? 'APP_URL is wrong: set it to the origin the browser uses.'
        : 'APP_URL is missing: behind a proxy, set it to the public origin the browser uses.'),
  );
}

/**
 * Longest logout body read: our forms send a `next` field and maybe `everywhere=1` (MAX_NEXT_LENGTH, percent-encoded at
 * most 3×) — anything longer is not our form. Without a cap, `formData()` buffers whatever is sent:
 * a 1 GB POST with a matching Origin filled the server's memory.
 */
const MAX_BODY_BYTES = 4096;

/** The body as text, or `null` when it is (or declares itself) over MAX_BODY_BYTES: read no further. */
async function cappedBody(request: NextRequest): Promise<string | null> {
  const declared = request.headers.get('content-length');
  if (declared !== null && !(Number(declared) <= MAX_BODY_BYTES)) return null;
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface LogoutFields {
  readonly next: unknown;
  /** `everywhere=1` (the profile page's "Log out everywhere"): every session of the user ends. */
  readonly everywhere: boolean;
}

/** `next` and `everywhere` from the query or our url-encoded form; `undefined` when the body is too large. */
async function logoutFields(request: NextRequest): Promise<LogoutFields | undefined> {
  const query = request.nextUrl.searchParams;
  // `next` in the query: the body is not read at all (it may be large and is not ours).
  if (query.get('next') !== null) {
    return { next: query.get('next'), everywhere: query.get('everywhere') === '1' };
  }
  // Our form is url-encoded (the browser default); other bodies are not ours and carry no field.
  const type = request.headers.get('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    return { next: null, everywhere: query.get('everywhere') === '1' };
  }
  const body = await cappedBody(request);
  if (body === null) return undefined;
  const form = new URLSearchParams(body);
  return { next: form.get('next'), everywhere: (form.get('everywhere') ?? query.get('everywhere')) === '1' };
}

/**
 * POST /api/mwoauth/logout (form field or query `next`, and `everywhere=1`) — ends the session (with
 * `everywhere`, every session of the user, where the store can: Redis), 303 to next or /. 503 when
 * Redis cannot answer: the cookie is cleared anyway, and the page says the logout may not be final.
 */
export async function POST(request: NextRequest): Promise<NextResponse> {
  const ctx = routeContext(request);
  if (ctx instanceof NextResponse) return ctx;
  const { config, origin } = ctx;
  if (!fromOurOrigin(request, origin)) {
    logRefusal(request, origin, config.appOrigin !== null);
    return failureResponse(failure('logout_cross_site', translatorFor(request)));
  }
  const fields = await logoutFields(request);
  if (fields === undefined) {
    const t = translatorFor(request);
    return failureResponse(failure('logout_too_large', t, { what: counted(t, MAX_BODY_BYTES) }));
  }
  const response = seeOther(nextUrl(fields.next, origin));
  const writer = ctx.writer(response);
  try {
    // Read before it is cleared: a store on a server deletes the record the cookie names.
    const session = await ctx.store.open(request.cookies);
    if (fields.everywhere && session.login !== null) await ctx.store.endAll(session.login.sub);
    await session.end(writer);
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    logError('logout', error);
    const unavailable = failureResponse(failure('store_unavailable', translatorFor(request)));
    // The browser forgets its cookie even so; the record in Redis expires with the login.
    const cleared = ctx.writer(unavailable);
    ctx.store.forget(cleared);
    await writePendingLogins(cleared, [], config.session);
    return unavailable;
  }
  await writePendingLogins(writer, [], config.session);
  return response;
}

/** GET changes nothing: a link or an image on another site must not log anyone out. */
export function GET(request?: NextRequest): NextResponse {
  const response = failureResponse(failure('logout_get', translatorFor(request)));
  response.headers.set('Allow', 'POST');
  return response;
}
