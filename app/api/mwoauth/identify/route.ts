import { NextResponse, type NextRequest } from 'next/server';
import { identify, MWOAuthError } from '@/lib/mwoauth';
import { configOrFailure, logError, originOf, PRIVATE_NO_STORE } from '@/lib/server/routes';
import { clearLoginSession, readLoginSession, secureCookiesFor } from '@/lib/server/session';
import { identifyOptions, isRevoked } from '@/lib/server/wiki';

function json(body: unknown, status: number): NextResponse {
  return NextResponse.json(body, { status, headers: { 'Cache-Control': PRIVATE_NO_STORE } });
}

/**
 * GET /api/mwoauth/identify — who the logged-in user is, asked of the wiki now (a fresh
 * Special:OAuth/identify, verified), as JSON. 401 when logged out; a revoked access token ends the
 * session. The access token itself is never in the answer.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const config = configOrFailure(request);
  if (config instanceof NextResponse) return config;
  const secure = secureCookiesFor(originOf(request, config));
  const session = await readLoginSession(request.cookies, config.session);
  if (session.value === null) {
    const response = json({ error: 'not_logged_in', message: 'Log in first: /api/mwoauth/initiate' }, 401);
    if (session.clear) clearLoginSession(response.cookies, secure);
    return response;
  }
  try {
    const identity = await identify(
      config.wiki.indexUrl,
      config.consumer,
      session.value.accessToken,
      identifyOptions(config),
    );
    return json(identity, 200);
  } catch (error) {
    if (isRevoked(error)) {
      const response = json(
        { error: 'revoked', message: 'Access was revoked on the wiki; log in again.' },
        401,
      );
      clearLoginSession(response.cookies, secure);
      return response;
    }
    logError('identify', error);
    const code = error instanceof MWOAuthError ? error.code : 'internal';
    const mediawikiCode = error instanceof MWOAuthError ? error.mediawikiCode : null;
    return json(
      { error: code, mediawikiCode, message: 'The wiki could not say who you are right now; try again.' },
      code === 'timeout' ? 504 : code === 'internal' ? 500 : 502,
    );
  }
}
