import { NextResponse, type NextRequest } from 'next/server';
import { getApp, type App } from '@/lib/server/wiring/app';
import { resolveLanguage, USELANG_COOKIE, USELANG_MAX_AGE_S } from '@/lib/server/i18n';
import { refreshDueAt } from '@/lib/server/login/credentials';
import { freshLogin } from '@/lib/server/login/fresh';
import { publicOrigin, secureCookiesFor } from '@/lib/server/http/origin';
import { refusePageRequest } from '@/lib/server/http/request-guard';
import { isStoreUnavailable } from '@/lib/server/core/errors';
import { logError, unavailableResponse } from '@/lib/server/http/routes';
import { cookieRecorder, cookieWriter, type CookieRecorder } from '@/lib/server/session/cookies';
import type { OpenSession } from '@/lib/server/session/store';
import { startWikiDeadline } from '@/lib/server/wiki/deadline';
import { askWikiCookies } from '@/lib/server/wiki/cookie-ask';
import { wikiCookiesDue } from '@/lib/server/wiki/cookies';

// Pages cannot set cookies (server components render after the headers may have been sent), so
// this proxy does what a page would need a cookie for, before the page runs:
// - `?uselang=xx`: the language it resolves to is remembered in USELANG_COOKIE, and set in the
//   page's own request cookies (a layout has no searchParams), as if the browser had sent it. No
//   internal request header carries it: one was believed, sent by the browser itself, on the paths
//   this proxy does not run on (a 404 under /api/, /favicon.icoX);
// - a login cookie that does not unseal (tampered, expired, another secret, garbage) means "logged
//   out", and it is cleared: the page sees no cookie, and the response deletes it;
// - OAuth 2.0 credentials that expire within 60 s are refreshed here (once per refresh token at a
//   time: the store's refreshOnce), and the new cookie goes to the page's request and to the
//   response. A page never refreshes: the rotated refresh token would be lost (o2-15).
// - an OAuth 1.0a login's wiki cookies (sessionJwt) are asked for when missing or about to expire
//   (lib/server/wiki/cookies.ts), and stored the same way: a page cannot store what its calls get.
// - SESSION_STORE=redis and Redis does not answer within its deadline: a request that carries a
//   login cookie gets the 503 "login service unavailable" page from here (a page cannot answer
//   503, and Next would turn the page's error into a 500; should Redis fail between here and the
//   page's own read, auth.ts sends the browser to UNAVAILABLE_PATH). A request without one never
//   asks Redis (open() makes no call without a cookie), so logged-out pages still render.
// Authorization is NOT decided here: every protected page calls requireUser() itself.

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/** The session's cookie writes (a stale cookie cleared, a refresh saved); `ended`: logged out by the wiki. */
async function sessionWrites(
  app: App,
  session: OpenSession,
): Promise<{ writes: CookieRecorder; ended: boolean }> {
  const writes = cookieRecorder();
  if (session.stale) {
    try {
      await session.end(writes);
    } catch (error) {
      // Redis down: the cookie is cleared all the same (end() writes it first); the record expires.
      if (!isStoreUnavailable(error)) throw error;
      logError('stale session', error);
    }
    return { writes, ended: false };
  }
  let login = session.login;
  if (login === null) return { writes, ended: false };
  const due = refreshDueAt(login.credentials);
  if (due !== null && nowS() >= due) {
    try {
      const fresh = await freshLogin(
        { flow: app.flow, store: app.store, session, to: writes, deadline: startWikiDeadline(app.config) },
        login,
      );
      // Logged out meanwhile (another request of this browser): the cookie is cleared, and the page
      // renders logged out; no notice, the user asked for it.
      if (fresh.kind === 'ended') return { writes, ended: fresh.reason === 'revoked' };
      login = fresh.login;
    } catch (error) {
      // The wiki down or slow: keep the session; the page's own call says what happened.
      logError('token refresh', error);
      return { writes, ended: false };
    }
  }
  // The wiki's cookies of a login (its sessionJwt: Wikimedia's rate limits count the user's
  // requests as the user's only with it) renewed here when about to expire: the page cannot store
  // them. The first ones came with the login; a failed ask stores nothing.
  const stored = login.wikiCookies ?? null;
  if (app.config.wikiCookies && wikiCookiesDue(stored)) {
    const current = login;
    const renewed = await askWikiCookies(
      (jar, budget) => app.flow.api(current.credentials, budget, jar),
      app.config.wiki.apiUrl,
      stored,
      startWikiDeadline(app.config),
    );
    if (renewed !== null) {
      try {
        await session.save(writes, current.credentials, renewed);
      } catch (error) {
        // Redis down, or logged out meanwhile: the page goes on without them.
        logError('wiki cookies', error);
      }
    }
  }
  return { writes, ended: false };
}

export async function proxy(request: NextRequest): Promise<NextResponse> {
  // Methods, body size and a POST's origin, before any page runs (lib/server/http/request-guard.ts).
  const refused = await refusePageRequest(request);
  if (refused !== null) return refused;

  const uselang = resolveLanguage(request.nextUrl.searchParams.get('uselang'));
  let app: App | null;
  try {
    app = getApp();
  } catch {
    app = null; // the page shows the configuration problem
  }
  const origin = publicOrigin(app?.config.appOrigin ?? null, request.nextUrl.origin);
  const secure = secureCookiesFor(origin);
  let opened: OpenSession | null = null;
  if (app !== null) {
    try {
      opened = await app.store.open(request.cookies);
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      logError('session', error);
      return unavailableResponse(request);
    }
  }
  const { writes, ended } =
    app === null || opened === null
      ? { writes: cookieRecorder(), ended: false }
      : await sessionWrites(app, opened);

  let response: NextResponse;
  if (ended) {
    // The refresh token is dead (revoked, expired or already used): logged out, with a message.
    response = NextResponse.redirect(new URL('/?notice=revoked', origin), 303);
    response.headers.set('Cache-Control', 'no-store');
  } else {
    // The request's cookies first: the page reads them from the headers forwarded here.
    for (const [name, value, maxAgeS] of writes.writes) {
      if (maxAgeS === 0) request.cookies.delete(name);
      else request.cookies.set(name, value);
    }
    if (uselang !== null) request.cookies.set(USELANG_COOKIE, uselang);
    response = NextResponse.next({ request: { headers: new Headers(request.headers) } });
  }
  writes.replay(cookieWriter(response.cookies, secure));
  if (uselang !== null) {
    response.cookies.set(USELANG_COOKIE, uselang, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure,
      maxAge: USELANG_MAX_AGE_S,
    });
  }
  return response;
}

export const config = {
  // Pages only: not the route handlers (they read and clear cookies themselves; /healthz reads none
  // and is probed every few seconds), not static files.
  matcher: ['/((?!api/|healthz$|_next/static|_next/image|favicon.ico).*)'],
};
