import { NextResponse, type NextRequest } from 'next/server';
import { failureResponse } from '@/lib/server/failures/page';
import { isSessionEnded, isStoreUnavailable } from '@/lib/server/core/errors';
import { translatorFor } from '@/lib/server/i18n';
import { openRouteSession, type OpenRoute } from '@/lib/server/http/route-session';
import { logError, routeContext, seeOther, unavailableResponse } from '@/lib/server/http/routes';
import { nextUrl } from '@/lib/server/http/safe-next';
import { describeWikiError } from '@/lib/server/failures/describe';

/**
 * GET /api/mwoauth/revoked?next=/path — where a page sends the browser when the wiki refused the
 * session's token. A page cannot set a cookie (Next allows Set-Cookie only in route handlers and
 * server actions), so this asks the wiki itself before it does anything: a link from another site
 * cannot log anyone out whose access still works.
 * - OAuth 1.0a: identify tells a revoked grant from a clock or signature problem (fixtures 15, 17,
 *   33b); revoked → logged out.
 * - OAuth 2.0: a refused access token (expired, or killed by a refresh) is refreshed and the
 *   browser goes back to `next`; a dead refresh token (revoked, expired: o2-15) → logged out.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const ctx = routeContext(request);
  if (ctx instanceof NextResponse) return ctx;
  const { origin } = ctx;
  const back = nextUrl(request.nextUrl.searchParams.get('next'), origin);
  const home = (): NextResponse => seeOther(new URL('/', origin));
  const loggedOut = (): NextResponse => seeOther(new URL('/?notice=revoked', origin));
  let opened: OpenRoute | null = null;
  try {
    opened = await openRouteSession(ctx, request);
    const { session } = opened;
    if (session.kind === 'unavailable') return opened.send(unavailableResponse(request));
    // Logged out (a stale cookie is cleared), or meanwhile by another request of this browser.
    if (session.kind === 'logged_out') return opened.send(home());
    if (session.kind === 'ended') return opened.send(session.reason === 'revoked' ? loggedOut() : home());
    // OAuth 2.0: refreshed when due, and once more when the wiki refuses the token as expired.
    await session.user.identify();
    // Refreshed: the page's call will work now, so back to it. Nothing refused: home.
    return opened.send(session.user.refreshed ? seeOther(back) : home());
  } catch (error) {
    const ended = opened?.session.kind === 'user' ? opened.session.user.ended : null;
    // Revoked (1.0a: identify says so, fixtures 13, 33), or a 2.0 token refused even fresh from a
    // refresh: the session is ended, and sending the page back would only loop.
    if (ended !== null || isSessionEnded(error)) {
      const answer = ended === 'logged_out' ? home() : loggedOut();
      return opened === null ? answer : opened.send(answer);
    }
    logError('revocation check', error);
    const answer = isStoreUnavailable(error)
      ? unavailableResponse(request)
      : failureResponse(describeWikiError(error, undefined, 'login', translatorFor(request)));
    return opened === null ? answer : opened.send(answer);
  }
}
