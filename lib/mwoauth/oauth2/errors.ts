// OAuth 2.0 error answers as one MWOAuthError. rest.php/oauth2/* answers errors with JSON
// {error, error_description, hint?, message} and HTTP 400 or 401 (o2-07, o2-08, o2-08b, o2-10,
// o2-15, o2-19): `code` is 'mediawiki', `mediawikiCode` the body's `error` (as oauth4webapi's
// ResponseBodyError has `error` and `status`), and the message carries the wiki's hint and the fix.
// MediaWiki's codes are league/oauth2-server's, not always RFC 6749's: a dead refresh token is
// 401 invalid_request "The refresh token is invalid." (o2-15), not invalid_grant.
import * as oauth from 'oauth4webapi';
import { MWOAuthError } from '../errors.ts';
import type { HttpResponse } from '../http.ts';
import { edgeTokenError, htmlPageError, httpStatusError, withRateLimit } from '../mediawiki-errors.ts';

/** Which request an answer belongs to: the same error code means different things in each. */
export type OAuth2Step =
  'authorization_code' | 'refresh_token' | 'client_credentials' | 'profile' | 'callback';

const WHAT: Record<OAuth2Step, string> = {
  authorization_code: 'the code exchange (rest.php/oauth2/access_token)',
  refresh_token: 'the token refresh (rest.php/oauth2/access_token)',
  client_credentials: 'the client_credentials grant (rest.php/oauth2/access_token)',
  profile: 'the profile request (rest.php/oauth2/resource/profile)',
  callback: 'the authorization (the redirect back to the callback)',
};

export function stepName(step: OAuth2Step): string {
  return WHAT[step];
}

function stringField(value: unknown, name: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const v: unknown = Reflect.get(value, name);
  return typeof v === 'string' && v !== '' ? v : null;
}

/** What to do, for the errors whose fix is known. `detail` is the description and hint together. */
function fixFor(error: string, detail: string, step: OAuth2Step): string | null {
  if (error === 'invalid_client') {
    return (
      'Check the client ID and client secret (shown once at Special:OAuthConsumerRegistration), that the client ' +
      'is an approved OAuth 2.0 client of this wiki, and that a public client sends no secret.'
    );
  }
  if (/grant_type/.test(detail) || error === 'unsupported_grant_type' || error === 'unauthorized_client') {
    return (
      'The wiki refused this grant for this client: check the grant types it was registered with ' +
      '(authorization_code and refresh_token; client_credentials for owner-only clients).'
    );
  }
  if (error === 'invalid_scope') return 'Ask only for grants the client was registered with (scope).';
  if (step === 'refresh_token' && (error === 'invalid_request' || error === 'invalid_grant')) {
    return (
      'The refresh token was already used or has expired: MediaWiki rotates refresh tokens (each works once; ' +
      'keep the new one every refresh returns) and they expire ($wgOAuth2RefreshTokenTTL). Log the user in again.'
    );
  }
  if (step === 'authorization_code') {
    if (/code_verifier/.test(detail)) {
      return 'The PKCE code_verifier does not match the code_challenge: pass the codeVerifier createAuthorization made for this login.';
    }
    if (/redirect/i.test(detail)) {
      return 'redirect_uri must be the callback URL registered for this client, the same at authorize and at the code exchange.';
    }
    if (/revoked|expired/i.test(detail)) {
      return 'This authorization code was already exchanged (a code works once) or has expired: start the login again.';
    }
  }
  if (step === 'profile' && (error === 'access_denied' || error === 'invalid_token')) {
    return (
      'The access token is invalid, has expired or was revoked: get a new one with refreshTokens and retry once; ' +
      'if that fails, log the user in again.'
    );
  }
  if (step === 'callback' && error === 'access_denied') {
    return 'The user did not allow the application (or the wiki refused): start the login again if they want to.';
  }
  if (error === 'server_error' || error === 'temporarily_unavailable')
    return 'The wiki failed; try again later.';
  return null;
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * What an OAuth 2.0 `error` may be: a short code of letters, digits, `_`, `.` and `-`. RFC 6749
 * §4.1.2.1 and §5.2 define a handful (`invalid_request`, `access_denied`, …) and allow extensions;
 * league/oauth2-server, behind Extension:OAuth, sends such words. Anyone can start a login and so
 * hold a `state` of their own, so a callback's `error` is whatever they typed, line breaks and
 * terminal escapes included.
 */
const PLAIN_ERROR_CODE = /^[a-z0-9_.-]{1,64}$/i;

/** The code an `error` that is not a plain code is reported as. */
const NOT_A_PLAIN_ERROR_CODE = 'invalid';

/**
 * An OAuth 2.0 error body ({error, error_description, hint, message}, or the callback's query), as
 * an MWOAuthError; null when `body` holds no `error`. An `error` that is not a plain code becomes
 * `invalid` (it is not repeated anywhere).
 */
export function oauth2Error(body: unknown, status: number | null, step: OAuth2Step): MWOAuthError | null {
  const sent = stringField(body, 'error');
  if (sent === null) return null;
  const error = PLAIN_ERROR_CODE.test(sent) ? sent : NOT_A_PLAIN_ERROR_CODE;
  const description = stringField(body, 'error_description') ?? stringField(body, 'message');
  const hint = stringField(body, 'hint');
  const detail = [description, hint].filter((s) => s !== null).join(' ');
  const fix = fixFor(error, detail, step);
  const said = description === null ? '' : `: ${clip(description).replace(/\.$/, '')}`;
  const hinted = hint === null ? '' : ` (${clip(hint).replace(/\.$/, '')})`;
  return new MWOAuthError(
    'mediawiki',
    `The wiki answered ${stepName(step)} with an OAuth 2.0 error (${error === sent ? error : `${error}: not a plain error code`})${said}${hinted}.${fix === null ? '' : ` ${fix}`}`,
    { mediawikiCode: error, status },
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The error an answer carries, judged from the answer itself: an OAuth 2.0 error body at any
 * status, an HTML page (a proxy, a login wall, a wrong URL), another non-2xx status; null for a
 * 2xx answer that carries none.
 */
export function answerError(response: HttpResponse, step: OAuth2Step): MWOAuthError | null {
  // resource/profile is Bearer-authorized: Wikimedia's traffic layer refuses an expired token itself.
  if (step === 'profile') {
    const refused = edgeTokenError(response);
    if (refused !== null) return refused;
  }
  const fromBody = oauth2Error(parseJson(response.text), response.status, step);
  if (fromBody !== null) return fromBody;
  if (/^\s*</.test(response.text)) return htmlPageError(response, `an answer to ${stepName(step)}`);
  if (response.status < 200 || response.status >= 300) {
    return withRateLimit(httpStatusError(response, `an answer to ${stepName(step)}`), response);
  }
  return null;
}

/**
 * An error from oauth4webapi (or from our fetch, which it passes through) as an MWOAuthError.
 * oauth4webapi's error is not kept as `cause`: its own causes hold the answer's body, tokens and all.
 * `answer` is what the wiki sent, when it sent anything: oauth4webapi's own errors are strict
 * ("unexpected HTTP status code", "content-type must be application/json"), and the answer says
 * more (a proxy's 502 page, an HTML login wall).
 */
export function fromOAuth4WebApi(
  cause: unknown,
  answer: HttpResponse | null,
  step: OAuth2Step,
): MWOAuthError {
  if (cause instanceof MWOAuthError) return cause;
  if (cause instanceof oauth.ResponseBodyError) {
    const fromBody = oauth2Error(cause.cause, cause.status, step);
    if (fromBody !== null) return fromBody;
  }
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (answer === null) {
    // Nothing was sent: oauth4webapi refused an argument (we check them first, so this is unexpected).
    return new MWOAuthError(
      'invalid_argument',
      `The OAuth 2.0 request for ${stepName(step)} was refused before sending: ${detail}.`,
    );
  }
  const fromAnswer = answerError(answer, step);
  if (fromAnswer !== null) return fromAnswer;
  return new MWOAuthError(
    'unexpected_response',
    `The answer to ${stepName(step)} is not what Extension:OAuth sends (${detail}). ` +
      "Check mwUri/restUrl: rest.php must be the wiki's, beside its index.php.",
    { status: answer.status },
  );
}
