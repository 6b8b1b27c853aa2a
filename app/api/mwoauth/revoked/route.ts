import { NextResponse, type NextRequest } from 'next/server';
import { failureResponse } from '@/lib/server/failure-page';
import { translatorFor } from '@/lib/server/i18n';
import { logError, routeContext, seeOther } from '@/lib/server/routes';
import { describeWikiError, startWikiDeadline } from '@/lib/server/wiki';

/**
 * GET /api/mwoauth/revoked — where a page sends the browser when the wiki refused the session's
 * access token (revoked in Special:OAuthManageMyGrants). A page cannot clear a cookie (Next allows
 * Set-Cookie only in route handlers and server actions), so this does, after asking the wiki
 * itself: a link from another site cannot log anyone out whose access still works.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const ctx = routeContext(request);
  if (ctx instanceof NextResponse) return ctx;
  const { origin } = ctx;
  const session = await ctx.store.open(request.cookies);
  if (session.login === null) {
    const response = seeOther(new URL('/', origin));
    if (session.stale) await session.end(ctx.writer(response));
    return response;
  }
  try {
    await ctx.flow.identify(session.login.credentials, startWikiDeadline(ctx.config));
    return seeOther(new URL('/', origin));
  } catch (error) {
    if (ctx.flow.verdict(error) !== 'keep') {
      const response = seeOther(new URL('/?notice=revoked', origin));
      await session.end(ctx.writer(response));
      return response;
    }
    logError('revocation check', error);
    return failureResponse(describeWikiError(error, undefined, 'login', translatorFor(request)));
  }
}
