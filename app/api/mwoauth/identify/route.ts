import { NextResponse, type NextRequest } from 'next/server';
import { MWOAuthError } from '@/lib/mwoauth';
import { asUser } from '@/lib/server/login/fresh';
import { cookieRecorder } from '@/lib/server/session/cookies';
import type { OpenSession } from '@/lib/server/session/store';
import { isStoreUnavailable, logError, PRIVATE_NO_STORE, routeContext } from '@/lib/server/routes';
import { startWikiDeadline } from '@/lib/server/wiki';

function json(body: unknown, status: number): NextResponse {
  return NextResponse.json(body, { status, headers: { 'Cache-Control': PRIVATE_NO_STORE } });
}

/** Redis (SESSION_STORE=redis) did not answer in time: nobody can be told apart now. */
function storeUnavailable(): NextResponse {
  return json(
    {
      error: 'store_unavailable',
      message: 'The login service is unavailable right now; try again in a minute.',
    },
    503,
  );
}

/**
 * GET /api/mwoauth/identify — who the logged-in user is, asked of the wiki now (a fresh
 * Special:OAuth/identify, verified), as JSON. 401 when logged out; a revoked access token ends the
 * session. The access token itself is never in the answer.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const ctx = routeContext(request);
  if (ctx instanceof NextResponse) return ctx;
  let session: OpenSession;
  try {
    session = await ctx.store.open(request.cookies);
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    logError('identify', error);
    return storeUnavailable();
  }
  if (session.login === null) {
    const response = json({ error: 'not_logged_in', message: 'Log in first: /api/mwoauth/initiate' }, 401);
    if (session.stale) await session.end(ctx.writer(response));
    return response;
  }
  // The cookie writes (a refreshed session, or its end) go on whichever answer is sent.
  const recorder = cookieRecorder();
  const send = (response: NextResponse): NextResponse => {
    recorder.replay(ctx.writer(response));
    return response;
  };
  const revoked = async (): Promise<NextResponse> => {
    await session.end(recorder);
    return send(json({ error: 'revoked', message: 'Access was revoked on the wiki; log in again.' }, 401));
  };
  try {
    // OAuth 2.0: refreshed first when due (a route handler can store the rotated token), and once
    // more when the wiki refuses the access token as expired.
    const deadline = startWikiDeadline(ctx.config);
    const answer = await asUser(
      ctx.flow,
      ctx.store,
      session,
      session.login,
      recorder,
      deadline,
      (c, jar) => ctx.flow.identify(c, deadline, jar),
      { wikiCookies: ctx.config.wikiCookies },
    );
    if (answer.kind === 'ended') return await revoked();
    return send(json(answer.value, 200));
  } catch (error) {
    if (ctx.flow.verdict(error) !== 'keep') return await revoked();
    logError('identify', error);
    if (isStoreUnavailable(error)) return send(storeUnavailable());
    const code = error instanceof MWOAuthError ? error.code : 'internal';
    const mediawikiCode = error instanceof MWOAuthError ? error.mediawikiCode : null;
    return send(
      json(
        { error: code, mediawikiCode, message: 'The wiki could not say who you are right now; try again.' },
        code === 'timeout' ? 504 : code === 'internal' ? 500 : 502,
      ),
    );
  }
}
