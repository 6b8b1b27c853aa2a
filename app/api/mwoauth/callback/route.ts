import { NextResponse, type NextRequest } from 'next/server';
import { complete, identify } from '@/lib/mwoauth';
import { failureResponse } from '@/lib/server/failure-page';
import { failure } from '@/lib/server/failures/catalogue';
import { translatorFor } from '@/lib/server/i18n';
import { configOrFailure, getOnly, logError, originOf, seeOther } from '@/lib/server/routes';
import { loginPath, nextUrl } from '@/lib/server/safe-next';
import { readHandshakes, secureCookiesFor, writeHandshakes, writeLoginSession } from '@/lib/server/session';
import { describeWikiError, identifyOptions, startWikiDeadline, wikiOptions } from '@/lib/server/wiki';

/**
 * GET /api/mwoauth/callback?oauth_verifier=…&oauth_token=… — where the wiki sends the browser after
 * "Allow" (fixture 04). Takes the handshake of that request token out of the cookie first (single
 * use; none → no request to the wiki at all), exchanges the verifier for an access token
 * (Special:OAuth/token), verifies who the user is (Special:OAuth/identify), and starts a login
 * session built from scratch: nothing from a cookie that was there before survives (no fixation).
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const config = configOrFailure(request);
  if (config instanceof NextResponse) return config;
  const secure = secureCookiesFor(originOf(request, config));
  const params = request.nextUrl.searchParams;
  const tokens = params.getAll('oauth_token');
  const pending = await readHandshakes(request.cookies, config.session);
  const handshake =
    tokens.length === 1 ? pending.value.find((h) => h.requestToken.key === tokens[0]) : undefined;

  if (handshake === undefined) {
    const response = failureResponse(
      failure('not_started', translatorFor(request), { href: loginPath('/') }),
    );
    if (pending.clear) await writeHandshakes(response.cookies, [], config.session, secure);
    return response;
  }
  const remaining = pending.value.filter((h) => h !== handshake);

  let response: NextResponse;
  try {
    // One deadline for both calls: the request must not take MW_TIMEOUT_MS twice.
    const deadline = startWikiDeadline(config);
    const accessToken = await complete(
      config.wiki.indexUrl,
      config.consumer,
      handshake.requestToken,
      params,
      wikiOptions(config, deadline),
    );
    const identity = await identify(
      config.wiki.indexUrl,
      config.consumer,
      accessToken,
      identifyOptions(config, deadline),
    );
    if (identity.suppressed) {
      response = failureResponse(failure('suppressed_login', translatorFor(request)));
    } else {
      response = seeOther(nextUrl(handshake.next, originOf(request, config)));
      await writeLoginSession(
        response.cookies,
        { sub: identity.sub, username: identity.username, accessToken },
        config.session,
        secure,
      );
    }
  } catch (error) {
    logError('callback', error);
    response = failureResponse(
      describeWikiError(error, loginPath(handshake.next), 'login', translatorFor(request)),
    );
  }
  await writeHandshakes(response.cookies, remaining, config.session, secure);
  return response;
}

/**
 * Only the wiki's redirect (a GET) may complete a login. Without these, Next answers HEAD with the
 * GET handler — a link checker's or mail scanner's HEAD would take the single-use handshake and
 * start a session — and POST with an empty 405.
 */
function methodNotAllowed(request?: NextRequest): NextResponse {
  return getOnly(failure('callback_method', translatorFor(request), { href: loginPath('/') }));
}

export function HEAD(request?: NextRequest): NextResponse {
  return methodNotAllowed(request);
}

export function POST(request: NextRequest): NextResponse {
  return methodNotAllowed(request);
}
