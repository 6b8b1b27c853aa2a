import { NextResponse, type NextRequest } from 'next/server';
import { failureResponse } from '@/lib/server/failure-page';
import { asUser } from '@/lib/server/login/fresh';
import { cookieRecorder } from '@/lib/server/session/cookies';
import { translatorFor } from '@/lib/server/i18n';
import { logError, openSessionOr503, routeContext, seeOther } from '@/lib/server/routes';
import { nextUrl } from '@/lib/server/safe-next';
import { describeWikiError, startWikiDeadline } from '@/lib/server/wiki';

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
  const session = await openSessionOr503(ctx, request);
  if (session instanceof NextResponse) return session;
  const back = nextUrl(request.nextUrl.searchParams.get('next'), origin);
  const loggedOut = (): NextResponse => seeOther(new URL('/?notice=revoked', origin));
  if (session.login === null) {
    const response = seeOther(new URL('/', origin));
    if (session.stale) await session.end(ctx.writer(response));
    return response;
  }
  // The cookie writes (a refreshed session, or its end) go on whichever answer is sent.
  const recorder = cookieRecorder();
  const send = (response: NextResponse): NextResponse => {
    recorder.replay(ctx.writer(response));
    return response;
  };
  try {
    const deadline = startWikiDeadline(ctx.config);
    const checked = await asUser(
      ctx.flow,
      ctx.store,
      session,
      session.login,
      recorder,
      deadline,
      (c, jar) => ctx.flow.identify(c, deadline, jar),
      { wikiCookies: ctx.config.wikiCookies },
    );
    // Logged out meanwhile (another request of this browser): home, without the revoked notice.
    if (checked.kind === 'ended') {
      return send(checked.reason === 'revoked' ? loggedOut() : seeOther(new URL('/', origin)));
    }
    // Refreshed (OAuth 2.0): the page's call will work now, so back to it. Nothing refused: home.
    return send(seeOther(checked.refreshed ? back : new URL('/', origin)));
  } catch (error) {
    // Revoked (1.0a: identify says so, fixtures 13, 33), or a 2.0 token refused even fresh from a
    // refresh: the session is of no use, and sending the page back would only loop.
    if (ctx.flow.verdict(error) !== 'keep') {
      await session.end(recorder);
      return send(loggedOut());
    }
    logError('revocation check', error);
    return send(failureResponse(describeWikiError(error, undefined, 'login', translatorFor(request))));
  }
}
