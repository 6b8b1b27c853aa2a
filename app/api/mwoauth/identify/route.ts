import { NextResponse, type NextRequest } from 'next/server';
import { MWOAuthError } from '@/lib/mwoauth';
import { logError, PRIVATE_NO_STORE, routeContext } from '@/lib/server/routes';
import { startWikiDeadline } from '@/lib/server/wiki';

function json(body: unknown, status: number): NextResponse {
  return NextResponse.json(body, { status, headers: { 'Cache-Control': PRIVATE_NO_STORE } });
}

/**
 * GET /api/mwoauth/identify — who the logged-in user is, asked of the wiki now (a fresh
 * Special:OAuth/identify, verified), as JSON. 401 when logged out; a revoked access token ends the
 * session. The access token itself is never in the answer.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const ctx = routeContext(request);
  if (ctx instanceof NextResponse) return ctx;
  const session = await ctx.store.open(request.cookies);
  if (session.login === null) {
    const response = json({ error: 'not_logged_in', message: 'Log in first: /api/mwoauth/initiate' }, 401);
    if (session.stale) await session.end(ctx.writer(response));
    return response;
  }
  try {
    const identity = await ctx.flow.identify(session.login.credentials, startWikiDeadline(ctx.config));
    return json(identity, 200);
  } catch (error) {
    if (ctx.flow.verdict(error) !== 'keep') {
      const response = json(
        { error: 'revoked', message: 'Access was revoked on the wiki; log in again.' },
        401,
      );
      await session.end(ctx.writer(response));
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
