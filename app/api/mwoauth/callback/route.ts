import { NextResponse, type NextRequest } from 'next/server';
import { failureResponse } from '@/lib/server/failure-page';
import { configOrFailure, getOnly, logError, originOf, seeOther } from '@/lib/server/routes';
import { loginPath, nextUrl } from '@/lib/server/safe-next';
import { secureCookiesFor } from '@/lib/server/origin';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { cookieWriter } from '@/lib/server/session/cookies';
import { readPendingLogins, writePendingLogins } from '@/lib/server/session/handshakes';
import { oauth1Flow } from '@/lib/server/login/oauth1';
import { describeWikiError, startWikiDeadline } from '@/lib/server/wiki';

/**
 * GET /api/mwoauth/callback?oauth_verifier=…&oauth_token=… — where the wiki sends the browser after
 * "Allow" (fixture 04). Takes the handshake of that request token out of the cookie first (single
 * use; none → no request to the wiki at all), exchanges the verifier for an access token
 * (Special:OAuth/token), verifies who the user is (Special:OAuth/identify), and starts a login
 * session built from scratch: nothing from a cookie that was there before survives (no fixation).
 */
export async function GET(request: NextRequest): Promise<NextResponse> {
  const config = configOrFailure();
  if (config instanceof NextResponse) return config;
  const secure = secureCookiesFor(originOf(request, config));
  const flow = oauth1Flow(config);
  const store = cookieStore(config.session);
  const params = request.nextUrl.searchParams;
  const key = flow.callbackKey(params);
  const { pending, stale } = await readPendingLogins(request.cookies, config.session);
  const login = key === null ? undefined : pending.find((p) => p.key === key);

  if (login === undefined) {
    const response = failureResponse({
      status: 400,
      title: 'This login has expired or was not started here',
      what: 'The wiki sent you back, but this browser has no login in progress for it: logins last 10 minutes and work once, and must be started from this site in this browser.',
      todo: 'Start the login again.',
      action: { label: 'Log in again', href: loginPath('/') },
      mediawikiCode: null,
    });
    if (stale) await writePendingLogins(cookieWriter(response.cookies, secure), [], config.session);
    return response;
  }
  const remaining = pending.filter((p) => p !== login);

  let response: NextResponse;
  try {
    // One deadline for both calls: the request must not take MW_TIMEOUT_MS twice.
    const finished = await flow.finish(login.handshake, params, startWikiDeadline(config));
    if (finished === 'suppressed') {
      response = failureResponse({
        status: 403,
        title: 'This account cannot log in here',
        what: 'The wiki does not share this account’s name with applications.',
        todo: 'Log in on the wiki with another account, then try again.',
        action: null,
        mediawikiCode: null,
      });
    } else {
      response = seeOther(nextUrl(login.next, originOf(request, config)));
      const previous = await store.open(request.cookies);
      await store.create(previous, cookieWriter(response.cookies, secure), finished);
    }
  } catch (error) {
    logError('callback', error);
    response = failureResponse(describeWikiError(error, loginPath(login.next)));
  }
  await writePendingLogins(cookieWriter(response.cookies, secure), remaining, config.session);
  return response;
}

/**
 * Only the wiki's redirect (a GET) may complete a login. Without these, Next answers HEAD with the
 * GET handler — a link checker's or mail scanner's HEAD would take the single-use handshake and
 * start a session — and POST with an empty 405.
 */
function methodNotAllowed(): NextResponse {
  return getOnly({
    title: 'This login link is not valid',
    what: 'The wiki sends you back here with a link; this request was not one.',
    todo: 'Start the login again from this site.',
    action: { label: 'Log in again', href: loginPath('/') },
  });
}

export function HEAD(): NextResponse {
  return methodNotAllowed();
}

export function POST(): NextResponse {
  return methodNotAllowed();
}
