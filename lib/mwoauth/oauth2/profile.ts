// Who the access token's user is: GET rest.php/oauth2/resource/profile with the Bearer token. The
// answer is JSON sent as Content-Type text/html (REL1_39: o2-09, o2-22), with the user fields of
// 1.0a's identify JWT and none of its protocol claims. Made by hand rather than with oauth4webapi:
// this is Extension:OAuth's own endpoint, not OpenID Connect's UserInfo (which oauth4webapi's
// userInfoRequest expects: a client, a `sub` to compare, application/json); the Bearer header is
// the Authorizer ApiClient uses, and the deadline, body cap and User-Agent are http.ts's.
import { MWOAuthError, redactSecrets } from '../errors.ts';
import { checkRequestOptions, type CookieJarOption, resolveTransport, startDeadline } from '../http.ts';
import { readUserProfile, type SuppressedProfile, type UserProfile } from '../identity.ts';
import { bearerAuthorizer, sendAuthorized } from '../oauth-request.ts';
import { oauth2Endpoint, restUrlFor } from '../wiki-urls.ts';
import { answerError } from './errors.ts';
import type { OAuth2RequestOptions } from './token.ts';

/** fetchProfile's options: a logged-in request, so it may carry the user's cookie jar. */
export interface ProfileOptions extends OAuth2RequestOptions, CookieJarOption {}

function profileFieldError(name: string, expected: string): MWOAuthError {
  return new MWOAuthError(
    'unexpected_response',
    `The profile (rest.php/oauth2/resource/profile) has a "${name}" that is missing or not ${expected}.`,
  );
}

/**
 * The user the access token belongs to, typed as identify's (check `suppressed` first). Throws
 * MWOAuthError `mediawiki` with mediawikiCode access_denied, status 401, for a bad, expired or
 * revoked token (o2-10): refresh it, or log the user in again.
 */
export async function fetchProfile(
  mwUri: string,
  accessToken: string,
  options: ProfileOptions,
): Promise<UserProfile | SuppressedProfile> {
  options = checkRequestOptions(options, 'fetchProfile');
  const authorizer = bearerAuthorizer(accessToken);
  try {
    const transport = resolveTransport(options);
    const url = oauth2Endpoint(restUrlFor(mwUri, options.restUrl), 'resource/profile');
    const { response } = await sendAuthorized(
      { method: 'GET', url },
      authorizer,
      options,
      transport,
      startDeadline(transport.timeoutMs),
      options.cookieJar ?? null,
    );
    const error = answerError(response, 'profile');
    if (error !== null) throw error;
    // Parsed whatever the Content-Type says: the wiki labels this JSON text/html (o2-09).
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      json = undefined;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new MWOAuthError(
        'unexpected_response',
        "The profile (rest.php/oauth2/resource/profile) is not a JSON object. Check mwUri/restUrl: rest.php must be the wiki's.",
        { status: response.status },
      );
    }
    return readUserProfile({ ...json }, profileFieldError);
  } catch (error) {
    throw redactSecrets(error, authorizer.secrets);
  }
}
