// lib/mwoauth: a framework-free MediaWiki OAuth 1.0a and OAuth 2.0 client (the TypeScript
// successor of python-mwoauth). Plain TypeScript any Node script can use: no Next, React or
// process.env; fetch is a parameter. See README.md in this folder.
export { ApiClient, encodeApiParams } from './api-client.ts';
export type {
  ApiAssert,
  ApiAuth,
  ApiCallOptions,
  ApiClientOptions,
  ApiParams,
  ApiParamValue,
  ApiResponse,
  QueryAllOptions,
} from './api-client.ts';
export { IDENTITY_FAILURE_REASONS, isMWOAuthError, MWOAUTH_ERROR_CODES, MWOAuthError } from './errors.ts';
export type { IdentityFailureReason, MWOAuthErrorCode, MWOAuthErrorOptions } from './errors.ts';
export { complete, identify, initiate } from './handshake.ts';
export type { IdentifyOptions, InitiateOptions, InitiateResult } from './handshake.ts';
export { Handshaker } from './handshaker.ts';
export type { HandshakerOptions } from './handshaker.ts';
export { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS } from './http.ts';
export type { CookieJarOption, FetchLike, HttpOptions, WikiCookieJar } from './http.ts';
export {
  DEFAULT_LEEWAY_S,
  IDENTIFY_JWT_LIFETIME_S,
  normaliseGrants,
  userProfileOf,
  verifyIdentityJwt,
} from './identity.ts';
export type {
  Identity,
  SuppressedIdentity,
  SuppressedProfile,
  UserProfile,
  VerifyIdentityOptions,
  VisibleIdentity,
} from './identity.ts';
export type { RequestOptions } from './oauth-request.ts';
export { generateNonce, signRequest } from './sign.ts';
export type { ExtraOAuthParams, SignedRequest, SignRequestInput } from './sign.ts';
export { makeToken, toToken } from './tokens.ts';
export type { AccessToken, ConsumerToken, OAuthToken, RequestToken } from './tokens.ts';
export { restUrlFor } from './wiki-urls.ts';
// OAuth 2.0 (rest.php/oauth2/*)
export { createAuthorization } from './oauth2/authorize.ts';
export type { CreateAuthorizationOptions, OAuth2Authorization } from './oauth2/authorize.ts';
export type { OAuth2Client } from './oauth2/client.ts';
export { fetchProfile } from './oauth2/profile.ts';
export type { ProfileOptions } from './oauth2/profile.ts';
export { clientCredentials, exchangeCode, makeOAuth2Tokens, refreshTokens } from './oauth2/token.ts';
export type {
  ExchangeCodeOptions,
  OAuth2RequestOptions,
  OAuth2Tokens,
  PendingAuthorization,
} from './oauth2/token.ts';
