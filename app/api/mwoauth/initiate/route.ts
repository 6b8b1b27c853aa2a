import { NextResponse, type NextRequest } from 'next/server';
import { failureResponse } from '@/lib/server/failures/page';
import { failure } from '@/lib/server/failures/catalogue';
import { translatorFor } from '@/lib/server/i18n';
import { limitInitiate } from '@/lib/server/rate-limit/initiate';
import { getOnly, logError, routeContext, seeOther } from '@/lib/server/http/routes';
import { loginPath, safeNext } from '@/lib/server/http/safe-next';
import { newPendingLogin, readPendingLogins, writePendingLogins } from '@/lib/server/session/handshakes';
import { describeWikiError } from '@/lib/server/failures/describe';
import { startWikiDeadline } from '@/lib/server/wiki/deadline';

/**
 * GET /api/mwoauth/initiate?next=/path — asks the wiki for a request token (Special:OAuth/initiate),
 * remembers it in the handshake cookie beside any other login in progress (another tab), and sends
 * the browser to the wiki's authorize page. 429 with Retry-After beyond INITIATE_RATE_LIMIT.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const ctx = routeContext(request);
  if (ctx instanceof NextResponse) return ctx;
  const { config } = ctx;
  // Before the wiki is asked: each start makes it hold a request token for 10 minutes.
  const limited = await limitInitiate(request.headers, ctx);
  if (limited !== null) return limited;
  const next = safeNext(request.nextUrl.searchParams.get('next'));
  try {
    // The wiki's consent screen in the language our pages are in (?uselang, its cookie, the wiki's
    // preference cookie, Accept-Language: the same choice).
    const started = await ctx.flow.start(startWikiDeadline(config), translatorFor(request).lang);
    const { pending } = await readPendingLogins(request.cookies, config.session);
    const response = seeOther(started.authorizeUrl);
    await writePendingLogins(
      ctx.writer(response),
      [...pending, newPendingLogin(started, next)],
      config.session,
    );
    return response;
  } catch (error) {
    logError('initiate', error);
    return failureResponse(describeWikiError(error, loginPath(next), 'login', translatorFor(request)));
  }
}

/**
 * Without this, Next answers HEAD with the GET handler: a link checker's or mail scanner's HEAD of
 * a login link would make the wiki issue (and hold for 10 minutes) a request token for nobody.
 */
export function HEAD(request?: NextRequest): NextResponse {
  return getOnly(failure('initiate_method', translatorFor(request), { href: loginPath('/') }));
}
