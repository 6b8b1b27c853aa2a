import { NextResponse, type NextRequest } from 'next/server';
import { getConfig } from '@/lib/server/config';
import { publicOrigin, secureCookiesFor } from '@/lib/server/origin';
import { clearLoginSession, LOGIN_COOKIE, readLoginSession } from '@/lib/server/session';

// A login cookie that does not unseal (tampered, expired, another secret, garbage) means "logged
// out", and it must also be cleared. Pages cannot set cookies (server components render after the
// headers may have been sent), so this proxy does it for them: the page sees no cookie, and the
// response deletes it. Route handlers clear cookies themselves. Authorization is NOT decided here:
// every protected page calls requireUser() itself.
export async function proxy(request: NextRequest): Promise<NextResponse> {
  if (request.cookies.get(LOGIN_COOKIE) === undefined) return NextResponse.next();
  let config;
  try {
    config = getConfig();
  } catch {
    return NextResponse.next(); // the page shows the configuration problem
  }
  const session = await readLoginSession(request.cookies, config.session);
  if (!session.clear) return NextResponse.next();
  request.cookies.delete(LOGIN_COOKIE);
  const response = NextResponse.next({ request: { headers: request.headers } });
  clearLoginSession(
    response.cookies,
    secureCookiesFor(publicOrigin(config.appOrigin, request.nextUrl.origin)),
  );
  return response;
}

export const config = {
  // Pages only: not the route handlers (they read and clear cookies themselves; /healthz reads none
  // and is probed every few seconds), not static files.
  matcher: ['/((?!api/|healthz$|_next/static|_next/image|favicon.ico).*)'],
};
