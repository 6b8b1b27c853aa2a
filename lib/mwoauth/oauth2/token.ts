// The token endpoint, rest.php/oauth2/access_token (form body; JSON {token_type: 'Bearer',
// expires_in, access_token (an RS256 JWT), refresh_token}: o2-06, o2-14, o2-20, o2-23):
//   exchangeCode       authorization_code + PKCE code_verifier (+ client_secret if confidential)
//   refreshTokens      refresh_token: the wiki rotates them, the old one dies at first use (o2-15)
//   clientCredentials  client_credentials, for owner-only clients (o2-23; no refresh token)
// oauth4webapi builds the requests and checks the answers; http.ts sends them (transport.ts).
import * as oauth from 'oauth4webapi';
import { MWOAuthError, redactSecrets } from '../errors.ts';
import { checkRequestOptions, type HttpOptions, resolveTransport, startDeadline } from '../http.ts';
import { oauth2Endpoint, restUrlFor } from '../wiki-urls.ts';
import { checkCallback, checkRedirectUri } from './authorize.ts';
import {
  authorizationServer,
  type CheckedClient,
  clientAuthentication,
  clientMetadata,
  type OAuth2Client,
  toClient,
} from './client.ts';
import { fromOAuth4WebApi, type OAuth2Step } from './errors.ts';
import { type AnswerSeen, requestOptions } from './transport.ts';

/** Options of every OAuth 2.0 function that talks to the wiki. */
export interface OAuth2RequestOptions extends HttpOptions {
  /** The wiki's rest.php. Default: beside mwUri's index.php (…/w/index.php → …/w/rest.php). */
  restUrl?: string;
  /** The current time in milliseconds since the epoch, for `expiresAt`. Default Date.now. */
  now?: () => number;
}

export interface ExchangeCodeOptions extends OAuth2RequestOptions {
  /** The redirectUri given to createAuthorization. */
  redirectUri: string;
}

/** What the wiki keeps of a login in progress, as createAuthorization returned it. */
export interface PendingAuthorization {
  readonly state: string;
  readonly codeVerifier: string;
}

/**
 * The tokens of one grant. Store them as JSON (the fields are plain); String(), template literals
 * and util.inspect print them as [redacted] (CONTRIBUTING.md).
 */
export interface OAuth2Tokens {
  /** Send as `Authorization: Bearer` (ApiClient's auth: { bearer }, fetchProfile). */
  readonly accessToken: string;
  /** null when the wiki issued none (client_credentials: o2-23). Each works once: keep the new one. */
  readonly refreshToken: string | null;
  /** When the access token expires, in whole seconds since the epoch (now + expires_in); null: never. */
  readonly expiresAt: number | null;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Tokens whose fields are plain and enumerable while every printed form hides them. */
export function makeOAuth2Tokens(
  accessToken: string,
  refreshToken: string | null,
  expiresAt: number | null,
): OAuth2Tokens {
  const shown = `{ accessToken: '[redacted]', refreshToken: ${refreshToken === null ? 'null' : "'[redacted]'"}, expiresAt: ${String(expiresAt)} }`;
  const tokens = { accessToken, refreshToken, expiresAt };
  Object.defineProperties(tokens, {
    toString: { value: (): string => shown, enumerable: false },
    [Symbol.toPrimitive]: { value: (): string => shown, enumerable: false },
    [INSPECT]: { value: (): string => `OAuth2Tokens ${shown}`, enumerable: false },
  });
  return Object.freeze(tokens);
}

function toTokens(
  answer: oauth.TokenEndpointResponse,
  nowMs: number,
  previousRefresh: string | null,
): OAuth2Tokens {
  // oauth4webapi checked the types: access_token a string, expires_in a number if present,
  // refresh_token a string if present, token_type bearer (or dpop, which we never ask for).
  const expiresAt = answer.expires_in === undefined ? null : Math.floor(nowMs / 1000 + answer.expires_in);
  // RFC 6749 §6: without a new refresh token the old one stays good (MediaWiki always sends one: o2-14).
  return makeOAuth2Tokens(answer.access_token, answer.refresh_token ?? previousRefresh, expiresAt);
}

interface Grant {
  step: OAuth2Step;
  request(
    as: oauth.AuthorizationServer,
    client: oauth.Client,
    auth: oauth.ClientAuth,
    options: oauth.TokenEndpointRequestOptions,
  ): Promise<Response>;
  process(
    as: oauth.AuthorizationServer,
    client: oauth.Client,
    response: Response,
  ): Promise<oauth.TokenEndpointResponse>;
  /** Besides the client secret: what must never appear in an error message. */
  secrets: readonly string[];
  /** The refresh token kept when the answer brings none. */
  previousRefresh: string | null;
}

/** One grant at the token endpoint, under one deadline; every error an MWOAuthError without a secret. */
async function grant(
  mwUri: string,
  client: CheckedClient,
  options: OAuth2RequestOptions,
  g: Grant,
): Promise<OAuth2Tokens> {
  const secrets = [client.clientSecret ?? '', ...g.secrets];
  try {
    const transport = resolveTransport(options);
    const restUrl = restUrlFor(mwUri, options.restUrl);
    const as = authorizationServer(restUrl);
    const nowMs = (options.now ?? Date.now)();
    const seen: AnswerSeen = { answer: null };
    const endpoint = oauth2Endpoint(restUrl, 'access_token');
    const o4w = requestOptions(endpoint, transport, startDeadline(transport.timeoutMs), seen);
    try {
      const response = await g.request(as, clientMetadata(client), clientAuthentication(client), o4w);
      return toTokens(await g.process(as, clientMetadata(client), response), nowMs, g.previousRefresh);
    } catch (cause) {
      throw fromOAuth4WebApi(cause, seen.answer, g.step);
    }
  } catch (error) {
    throw redactSecrets(error, secrets);
  }
}

/**
 * Step 2: checks the callback (state, then code: see checkCallback), then trades the code for
 * tokens, sending the PKCE code_verifier and redirect_uri (and client_secret, for a confidential
 * client). Throws MWOAuthError: `token_mismatch`, `callback_invalid`; `mediawiki` with mediawikiCode
 * invalid_request (a code used twice: o2-07), invalid_client (o2-08), invalid_grant (a wrong
 * verifier: o2-19).
 */
export async function exchangeCode(
  mwUri: string,
  client: OAuth2Client,
  authorization: PendingAuthorization,
  callbackQuery: string | URLSearchParams,
  options: ExchangeCodeOptions,
): Promise<OAuth2Tokens> {
  const checked = toClient(client);
  options = checkRequestOptions(options, 'exchangeCode');
  if (typeof authorization !== 'object' || authorization === null) {
    throw new MWOAuthError(
      'invalid_argument',
      'exchangeCode needs the authorization createAuthorization returned: { state, codeVerifier }.',
    );
  }
  const { state, codeVerifier } = authorization;
  if (typeof state !== 'string' || state === '' || typeof codeVerifier !== 'string' || codeVerifier === '') {
    throw new MWOAuthError(
      'invalid_argument',
      "exchangeCode needs the authorization's state and codeVerifier, as createAuthorization returned them.",
    );
  }
  const redirectUri = checkRedirectUri(options.redirectUri);
  let params: URLSearchParams;
  try {
    params = checkCallback(restUrlFor(mwUri, options.restUrl), checked.clientId, state, callbackQuery);
  } catch (error) {
    throw redactSecrets(error, [codeVerifier]);
  }
  const code = params.get('code') ?? '';
  return grant(mwUri, checked, options, {
    step: 'authorization_code',
    secrets: [code, codeVerifier],
    previousRefresh: null,
    request: (as, c, auth, o) =>
      oauth.authorizationCodeGrantRequest(as, c, auth, params, redirectUri, codeVerifier, o),
    process: (as, c, response) => oauth.processAuthorizationCodeResponse(as, c, response),
  });
}

/**
 * New tokens from a refresh token. MediaWiki rotates refresh tokens: the one passed dies now, so
 * store the returned refreshToken before anything else (o2-15: the old one again is 401
 * invalid_request "The refresh token is invalid."). A `mediawiki` error with status 400 or 401
 * (mediawikiCode invalid_request, or an RFC server's invalid_grant) means: log the user in again.
 */
export async function refreshTokens(
  mwUri: string,
  client: OAuth2Client,
  refreshToken: string,
  options: OAuth2RequestOptions,
): Promise<OAuth2Tokens> {
  const checked = toClient(client);
  options = checkRequestOptions(options, 'refreshTokens');
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw new MWOAuthError('invalid_argument', 'refreshTokens needs the refresh token, a non-empty string.');
  }
  return grant(mwUri, checked, options, {
    step: 'refresh_token',
    secrets: [refreshToken],
    previousRefresh: refreshToken,
    request: (as, c, auth, o) => oauth.refreshTokenGrantRequest(as, c, auth, refreshToken, o),
    process: (as, c, response) => oauth.processRefreshTokenResponse(as, c, response),
  });
}

/**
 * An access token for the client's owner, without a browser: the client_credentials grant, for
 * owner-only clients (o2-23: expires_in 3600, no refresh token; ask again when it expires). The
 * non-expiring token shown at registration works as well (o2-21) and needs no call.
 */
export async function clientCredentials(
  mwUri: string,
  client: OAuth2Client,
  options: OAuth2RequestOptions,
): Promise<OAuth2Tokens> {
  const checked = toClient(client);
  options = checkRequestOptions(options, 'clientCredentials');
  if (checked.clientSecret === null) {
    throw new MWOAuthError(
      'invalid_argument',
      'clientCredentials needs the client secret: only confidential (owner-only) clients may use this grant.',
    );
  }
  return grant(mwUri, checked, options, {
    step: 'client_credentials',
    secrets: [],
    previousRefresh: null,
    request: (as, c, auth, o) => oauth.clientCredentialsGrantRequest(as, c, auth, new URLSearchParams(), o),
    process: (as, c, response) => oauth.processClientCredentialsResponse(as, c, response),
  });
}
