import { NextResponse, type NextRequest } from 'next/server';
import { initiate } from '@/lib/mwoauth';
import { failureResponse } from '@/lib/server/failure-page';
import { failure } from '@/lib/server/failures/catalogue';
import { translatorFor } from '@/lib/server/i18n';
import { limitInitiate } from '@/lib/server/rate-limit';
import { configOrFailure, getOnly, logError, originOf, seeOther } from '@/lib/server/routes';
import { loginPath, safeNext } from '@/lib/server/safe-next';
import { newHandshake, readHandshakes, secureCookiesFor, writeHandshakes } from '@/lib/server/session';
import { describeWikiError, wikiOptions } from '@/lib/server/wiki';

/**
 * GET /api/mwoauth/initiate?next=/path — asks the wiki for a request token (Special:OAuth/initiate),
 * remembers it in the handshake cookie beside any other login in progress (another tab), and sends
 * the browser to the wiki's authorize page. 429 with Retry-After beyond INITIATE_RATE_LIMIT.
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const config = configOrFailure(request);
  if (config instanceof NextResponse) return config;
  // Before the wiki is asked: each start makes it hold a request token for 10 minutes.
  const limited = limitInitiate(request.headers, config);
  if (limited !== null) return limited;
  const next = safeNext(request.nextUrl.searchParams.get('next'));
  try {
    const { redirectUrl, requestToken } = await initiate(config.wiki.indexUrl, config.consumer, {
      callback: config.callback,
      ...wikiOptions(config),
    });
    const pending = await readHandshakes(request.cookies, config.session);
    const response = seeOther(redirectUrl);
    await writeHandshakes(
      response.cookies,
      [...pending.value, newHandshake(requestToken, next)],
      config.session,
      secureCookiesFor(originOf(request, config)),
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
