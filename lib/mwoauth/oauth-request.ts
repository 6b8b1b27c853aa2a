// One authorized request to the wiki: validate the transport, authorize it, send before the
// deadline. The Authorizer is the one place the two protocols differ for api.php and friends:
// OAuth 1.0a signs each request (a fresh nonce and the current timestamp), OAuth 2.0 sends its
// access token as a Bearer header (fixtures o2-09, o2-11, o2-12). Shared by the handshake
// functions, ApiClient and the OAuth 2.0 profile.
import { MWOAuthError } from './errors.ts';
import {
  type Deadline,
  type HttpOptions,
  type HttpResponse,
  send,
  type Transport,
  type WikiCookieJar,
} from './http.ts';
import { type ExtraOAuthParams, generateNonce, signRequest } from './sign.ts';
import type { ConsumerToken, OAuthToken } from './tokens.ts';

/** Options of every function that talks to the wiki. */
export interface RequestOptions extends HttpOptions {
  /**
   * The current time in milliseconds since the epoch (for oauth_timestamp and the identify JWT's
   * checks). Default Date.now. The wiki refuses timestamps more than 300 s off.
   */
  now?: () => number;
  /**
   * Nonce source. Default: 128 random bits from node:crypto. Replace only to replay recorded
   * exchanges in tests: the wiki refuses a nonce it has seen (fixtures 18b, 18c).
   */
  nonce?: () => string;
}

/** What is sent, before it is authorized. */
export interface OutgoingCall {
  method: 'GET' | 'POST';
  url: string;
  body?: URLSearchParams | null;
}

export interface AuthorizationHeader {
  /** The value of the Authorization header. */
  header: string;
  /** The oauth_nonce sent (identify's JWT must echo it); null for a Bearer token. */
  nonce: string | null;
}

/** How a request is authorized: OAuth 1.0a signing or an OAuth 2.0 Bearer token. */
export interface Authorizer {
  readonly scheme: 'oauth1' | 'bearer';
  /** The Authorization header for one request; 1.0a signs with a fresh nonce and timestamp each time. */
  authorize(call: OutgoingCall, options: RequestOptions): AuthorizationHeader;
  /** What must never appear in an error message (redactSecrets). */
  readonly secrets: readonly string[];
}

/** OAuth 1.0a: HMAC-SHA1 over the request (sign.ts), with the consumer and the token (null for initiate). */
export function oauth1Authorizer(
  consumer: ConsumerToken,
  token: OAuthToken | null,
  extra?: ExtraOAuthParams,
): Authorizer {
  return {
    scheme: 'oauth1',
    secrets: token === null ? [consumer.secret] : [consumer.secret, token.secret],
    authorize(call, options) {
      const nonce = (options.nonce ?? generateNonce)();
      const timestamp = Math.floor((options.now ?? Date.now)() / 1000);
      const signed = signRequest({
        method: call.method,
        url: call.url,
        body: call.body ?? null,
        consumer,
        token,
        extra,
        nonce,
        timestamp,
      });
      return { header: signed.authorization, nonce };
    },
  };
}

/** RFC 6750 §2.1 b64token: what a Bearer header may carry (MediaWiki's tokens are JWTs: fixture o2-06). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Checks an OAuth 2.0 access token before it goes into a header: a non-empty b64token (so no line
 * break or space can split the header). The token itself is never printed.
 */
export function checkBearerToken(token: unknown, what: string = 'access token'): string {
  if (typeof token !== 'string' || token === '') {
    throw new MWOAuthError(
      'invalid_argument',
      `The ${what} must be a non-empty string (got ${typeof token}).`,
    );
  }
  if (!B64TOKEN.test(token)) {
    throw new MWOAuthError(
      'invalid_argument',
      `The ${what} is not a Bearer token (RFC 6750 b64token: letters, digits, "-._~+/", then "="s); ` +
        'pass the access_token the wiki issued, exactly.',
    );
  }
  return token;
}

/** OAuth 2.0: `Authorization: Bearer <access token>` (api.php and rest.php accept it: o2-09, o2-11). */
export function bearerAuthorizer(accessToken: unknown): Authorizer {
  const token = checkBearerToken(accessToken);
  return {
    scheme: 'bearer',
    secrets: [token],
    authorize: () => ({ header: `Bearer ${token}`, nonce: null }),
  };
}

export interface AuthorizedResponse {
  response: HttpResponse;
  /** The oauth_nonce sent; null for a Bearer token. */
  nonce: string | null;
}

export async function sendAuthorized(
  call: OutgoingCall,
  authorizer: Authorizer,
  options: RequestOptions,
  transport: Transport,
  deadline: Deadline,
  cookies: WikiCookieJar | null = null,
): Promise<AuthorizedResponse> {
  const { header, nonce } = authorizer.authorize(call, options);
  const response = await send(
    {
      method: call.method,
      url: call.url,
      headers: { Authorization: header, Accept: 'application/json, text/plain;q=0.9, */*;q=0.1' },
      body: call.body ?? null,
      cookies,
    },
    transport,
    deadline,
  );
  return { response, nonce };
}

export interface SignedCall extends OutgoingCall {
  consumer: ConsumerToken;
  token: OAuthToken | null;
  extra?: ExtraOAuthParams;
}

export interface SignedResponse {
  response: HttpResponse;
  /** The oauth_nonce sent (identify's JWT must echo it). */
  nonce: string;
}

/** One OAuth 1.0a signed request (the handshake's steps; `cookies` only for identify, a logged-in request). */
export async function sendSigned(
  call: SignedCall,
  options: RequestOptions,
  transport: Transport,
  deadline: Deadline,
  cookies: WikiCookieJar | null = null,
): Promise<SignedResponse> {
  const { response, nonce } = await sendAuthorized(
    call,
    oauth1Authorizer(call.consumer, call.token, call.extra),
    options,
    transport,
    deadline,
    cookies,
  );
  return { response, nonce: nonce ?? '' };
}
