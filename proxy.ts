import { NextResponse, type NextRequest } from 'next/server';
import { getApp, type App } from '@/lib/server/app';
import { refusePageRequest } from '@/lib/server/request-guard';
import { publicOrigin, secureCookiesFor } from '@/lib/server/origin';
import { cookieWriter, type CookieWriter } from '@/lib/server/session/cookies';

// A login cookie that does not unseal (tampered, expired, another secret, garbage) means "logged
// out", and it must also be cleared. Pages cannot set cookies (server components render after the
// headers may have been sent), so this proxy does it for them: the page sees no cookie, and the
// response deletes it. Route handlers clear cookies themselves. Authorization is NOT decided here:
// every protected page calls requireUser() itself.
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
  if (!session.stale) return NextResponse.next();
  // The cookie writes go to the request the page sees AND to the response; the request's first,
  // as NextResponse.next() copies the request headers when it is made.
  const writes: Array<[name: string, value: string, maxAgeS: number]> = [];
  const recorder: CookieWriter = { set: (name, value, maxAgeS) => void writes.push([name, value, maxAgeS]) };
  await session.end(recorder);
  for (const [name, value, maxAgeS] of writes) {
    if (maxAgeS === 0) request.cookies.delete(name);
    else request.cookies.set(name, value);
  }
  const response = NextResponse.next({ request: { headers: request.headers } });
  const writer = cookieWriter(
    response.cookies,
    secureCookiesFor(publicOrigin(app.config.appOrigin, request.nextUrl.origin)),
  );
  for (const [name, value, maxAgeS] of writes) writer.set(name, value, maxAgeS);
  return response;
}

export const config = {
  // Pages only: not the route handlers (they read and clear cookies themselves; /healthz reads none
  // and is probed every few seconds), not static files.
  matcher: ['/((?!api/|healthz$|_next/static|_next/image|favicon.ico).*)'],
};
