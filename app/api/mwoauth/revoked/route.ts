import { NextResponse, type NextRequest } from 'next/server';
import { identify } from '@/lib/mwoauth';
import { failureResponse } from '@/lib/server/failure-page';
import { configOrFailure, logError, originOf, seeOther } from '@/lib/server/routes';
import { clearLoginSession, readLoginSession, secureCookiesFor } from '@/lib/server/session';
import { translatorFor } from '@/lib/server/i18n';
import { describeWikiError, identifyOptions, isRevoked } from '@/lib/server/wiki';

/**
 * GET /api/mwoauth/revoked — where a page sends the browser when the wiki refused the session's
 * access token (revoked in Special:OAuthManageMyGrants). A page cannot clear a cookie (Next allows
 * Set-Cookie only in route handlers and server actions), so this does, after asking the wiki
 * itself: a link from another site cannot log anyone out whose access still works.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const config = configOrFailure(request);
  if (config instanceof NextResponse) return config;
  const origin = originOf(request, config);
  const secure = secureCookiesFor(origin);
  const session = await readLoginSession(request.cookies, config.session);
  if (session.value === null) {
    const response = seeOther(new URL('/', origin));
    if (session.clear) clearLoginSession(response.cookies, secure);
    return response;
  }
  try {
    await identify(config.wiki.indexUrl, config.consumer, session.value.accessToken, identifyOptions(config));
    return seeOther(new URL('/', origin));
  } catch (error) {
    if (isRevoked(error)) {
      const response = seeOther(new URL('/?notice=revoked', origin));
      clearLoginSession(response.cookies, secure);
      return response;
    }
    logError('revocation check', error);
    return failureResponse(describeWikiError(error, undefined, 'login', translatorFor(request)));
  }
}
