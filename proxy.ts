import { NextResponse, type NextRequest } from 'next/server';
import { getConfig } from '@/lib/server/config';
import { resolveLanguage, USELANG_COOKIE, USELANG_HEADER, USELANG_MAX_AGE_S } from '@/lib/server/i18n';
import { clearLoginSession, LOGIN_COOKIE, readLoginSession, secureCookiesFor } from '@/lib/server/session';

// Pages cannot set cookies (server components render after the headers may have been sent), so
// this proxy does two things for them:
// - `?uselang=xx`: the language it resolves to is passed to the page in USELANG_HEADER (a layout
//   has no searchParams; one the browser sent is dropped) and remembered in USELANG_COOKIE.
// - A login cookie that does not unseal (tampered, expired, another secret, garbage) means "logged
//   out", and it must also be cleared: the page sees no cookie, and the response deletes it.
// Route handlers read and clear cookies themselves. Authorization is NOT decided here: every
// protected page calls requireUser() itself.
export async function proxy(request: NextRequest): Promise<NextResponse> {
  const uselang = resolveLanguage(request.nextUrl.searchParams.get('uselang'));
  const headers = new Headers(request.headers);
  headers.delete(USELANG_HEADER);
  if (uselang !== null) headers.set(USELANG_HEADER, uselang);

  let config;
  try {
    config = getConfig();
  } catch {
    config = null; // the page shows the configuration problem
  }
  const secure = secureCookiesFor(config?.appOrigin ?? request.nextUrl.origin);

  let clear = false;
  if (config !== null && request.cookies.get(LOGIN_COOKIE) !== undefined) {
    clear = (await readLoginSession(request.cookies, config.session)).clear;
    if (clear) {
      request.cookies.delete(LOGIN_COOKIE);
      headers.set('cookie', request.headers.get('cookie') ?? '');
    }
  }
  const response = NextResponse.next({ request: { headers } });
  if (clear) clearLoginSession(response.cookies, secure);
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
