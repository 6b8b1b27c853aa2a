import { NextResponse, type NextRequest } from 'next/server';
import { failureResponse } from '@/lib/server/failure-page';
import { configOrFailure, logError, originOf, seeOther } from '@/lib/server/routes';
import { oauth1Flow } from '@/lib/server/login/oauth1';
import { secureCookiesFor } from '@/lib/server/origin';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { cookieWriter } from '@/lib/server/session/cookies';
import { describeWikiError, startWikiDeadline } from '@/lib/server/wiki';

/**
 * GET /api/mwoauth/revoked — where a page sends the browser when the wiki refused the session's
 * access token (revoked in Special:OAuthManageMyGrants). A page cannot clear a cookie (Next allows
 * Set-Cookie only in route handlers and server actions), so this does, after asking the wiki
 * itself: a link from another site cannot log anyone out whose access still works.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const config = configOrFailure();
  if (config instanceof NextResponse) return config;
  const origin = originOf(request, config);
  const secure = secureCookiesFor(origin);
  const flow = oauth1Flow(config);
  const session = await cookieStore(config.session).open(request.cookies);
  if (session.login === null) {
    const response = seeOther(new URL('/', origin));
    if (session.stale) await session.end(cookieWriter(response.cookies, secure));
    return response;
  }
  try {
    await flow.identify(session.login.credentials, startWikiDeadline(config));
    return seeOther(new URL('/', origin));
  } catch (error) {
    if (flow.verdict(error) !== 'keep') {
      const response = seeOther(new URL('/?notice=revoked', origin));
      await session.end(cookieWriter(response.cookies, secure));
      return response;
    }
    logError('revocation check', error);
    return failureResponse(describeWikiError(error));
  }
}
