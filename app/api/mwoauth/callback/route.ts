import { NextResponse, type NextRequest } from 'next/server';
import { failureResponse } from '@/lib/server/failures/page';
import { failure } from '@/lib/server/failures/catalogue';
import { translatorFor } from '@/lib/server/i18n';
import { getOnly, logError, routeContext, seeOther, unavailableResponse } from '@/lib/server/http/routes';
import { isStoreUnavailable } from '@/lib/server/core/errors';
import { loginPath, nextUrl } from '@/lib/server/http/safe-next';
import { readPendingLogins, writePendingLogins } from '@/lib/server/session/handshakes';
import { describeWikiError } from '@/lib/server/failures/describe';
import { startWikiDeadline } from '@/lib/server/wiki/deadline';

/**
 * GET /api/mwoauth/callback?oauth_verifier=…&oauth_token=… — where the wiki sends the browser after
 * "Allow" (fixture 04). Takes the handshake of that request token out of the cookie first (single
 * use; none → no request to the wiki at all), exchanges the verifier for an access token
 * (Special:OAuth/token), verifies who the user is (Special:OAuth/identify), and starts a login
 * session built from scratch: nothing from a cookie that was there before survives (no fixation).
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const ctx = routeContext(request);
  if (ctx instanceof NextResponse) return ctx;
  const { config } = ctx;
  const params = request.nextUrl.searchParams;
  const key = ctx.flow.callbackKey(params);
  const { pending, stale } = await readPendingLogins(request.cookies, config.session);
  const login = key === null ? undefined : pending.find((p) => p.key === key);

  if (login === undefined) {
    const response = failureResponse(
      failure('not_started', translatorFor(request), { href: loginPath('/') }),
    );
    if (stale) await writePendingLogins(ctx.writer(response), [], config.session);
    return response;
  }
  const remaining = pending.filter((p) => p !== login);

  let response: NextResponse;
  try {
    // One deadline for both calls: the request must not take MW_TIMEOUT_MS twice.
    const finished = await ctx.flow.finish(login.handshake, params, startWikiDeadline(config));
    if (finished === 'suppressed') {
      response = failureResponse(failure('suppressed_login', translatorFor(request)));
    } else {
      response = seeOther(nextUrl(login.next, ctx.origin));
      await ctx.store.create(await ctx.store.open(request.cookies), ctx.writer(response), finished);
    }
  } catch (error) {
    logError('callback', error);
    // Redis could not store the new session: the 503 page with Retry-After, as every route
    // answers a store fault (not the configuration page: nothing is misconfigured).
    response = isStoreUnavailable(error)
      ? unavailableResponse(request)
      : failureResponse(describeWikiError(error, loginPath(login.next), 'login', translatorFor(request)));
  }
  await writePendingLogins(ctx.writer(response), remaining, config.session);
  return response;
}

/**
 * Only the wiki's redirect (a GET) may complete a login. Without these, Next answers HEAD with the
 * GET handler — a link checker's or mail scanner's HEAD would take the single-use handshake and
 * start a session — and POST with an empty 405.
 */
function methodNotAllowed(request?: NextRequest): NextResponse {
  return getOnly(failure('callback_method', translatorFor(request), { href: loginPath('/') }));
}

export function HEAD(request?: NextRequest): NextResponse {
  return methodNotAllowed(request);
}

export function POST(request: NextRequest): NextResponse {
  return methodNotAllowed(request);
}
