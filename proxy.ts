import { NextResponse, type NextRequest } from 'next/server';
import { getApp, type App } from '@/lib/server/app';
import { refreshDueAt } from '@/lib/server/login/credentials';
import { refusePageRequest } from '@/lib/server/request-guard';
import { freshLogin } from '@/lib/server/login/fresh';
import { publicOrigin, secureCookiesFor } from '@/lib/server/origin';
import { logError } from '@/lib/server/routes';
import { cookieRecorder, cookieWriter, type CookieRecorder } from '@/lib/server/session/cookies';
import type { OpenSession } from '@/lib/server/session/store';
import { startWikiDeadline } from '@/lib/server/wiki';

// Pages cannot set cookies (server components render after the headers may have been sent), so
// this proxy does the two cookie writes a page may need, before the page runs:
// - a login cookie that does not unseal (tampered, expired, another secret, garbage) means "logged
//   out", and it is cleared: the page sees no cookie, and the response deletes it;
// - OAuth 2.0 credentials that expire within 60 s are refreshed here (once per refresh token at a
//   time: the store's refreshOnce), and the new cookie goes to the page's request and to the
//   response. A page never refreshes: the rotated refresh token would be lost (o2-15).
// Authorization is NOT decided here: every protected page calls requireUser() itself.

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/** What the page's request must carry, and what the response sets. */
async function cookieWrites(
  app: App,
  session: OpenSession,
): Promise<{ writes: CookieRecorder; ended: boolean }> {
  const recorder = cookieRecorder();
  if (session.stale) {
    await session.end(recorder);
    return { writes: recorder, ended: false };
  }
  const login = session.login;
  const due = login === null ? null : refreshDueAt(login.credentials);
  if (login === null || due === null || nowS() < due) return { writes: recorder, ended: false };
  try {
    const fresh = await freshLogin(
      app.flow,
      app.store,
      session,
      login,
      recorder,
      startWikiDeadline(app.config),
    );
    return { writes: recorder, ended: fresh.kind === 'ended' };
  } catch (error) {
    // The wiki down or slow: keep the session; the page's own call says what happened.
    logError('token refresh', error);
    return { writes: recorder, ended: false };
  }
}

export async function proxy(request: NextRequest): Promise<NextResponse> {
  // Methods, body size and a POST's origin, before any page runs (lib/server/request-guard.ts).
  const refused = await refusePageRequest(request);
  if (refused !== null) return refused;
  let app: App;
  try {
    app = getApp();
  } catch {
    return NextResponse.next(); // the page shows the configuration problem
  }
  const session = await app.store.open(request.cookies);
  const { writes, ended } = await cookieWrites(app, session);
  if (writes.writes.length === 0) return NextResponse.next();
  const origin = publicOrigin(app.config.appOrigin, request.nextUrl.origin);
  let response: NextResponse;
  if (ended) {
    // The refresh token is dead (revoked, expired or already used): logged out, with a message.
    response = NextResponse.redirect(new URL('/?notice=revoked', origin), 303);
    response.headers.set('Cache-Control', 'no-store');
  } else {
    // The request's cookies first: NextResponse.next() copies the request headers when it is made.
    for (const [name, value, maxAgeS] of writes.writes) {
      if (maxAgeS === 0) request.cookies.delete(name);
      else request.cookies.set(name, value);
    }
    response = NextResponse.next({ request: { headers: request.headers } });
  }
  writes.replay(cookieWriter(response.cookies, secureCookiesFor(origin)));
  return response;
}

export const config = {
  // Pages only: not the route handlers (they read and clear cookies themselves; /healthz reads none
  // and is probed every few seconds), not static files.
  matcher: ['/((?!api/|healthz$|_next/static|_next/image|favicon.ico).*)'],
};
