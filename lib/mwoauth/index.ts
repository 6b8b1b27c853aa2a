// lib/mwoauth: a framework-free MediaWiki OAuth 1.0a and OAuth 2.0 client (the TypeScript
// successor of python-mwoauth). Plain TypeScript any Node script can use: no Next, React or
// process.env; fetch is a parameter. See README.md in this folder.
export { ApiClient, encodeApiParams } from './api-client';
export type {
  ApiAssert,
  ApiAuth,
  ApiCallOptions,
  ApiClientOptions,
  ApiParams,
  ApiParamValue,
  ApiResponse,
  QueryAllOptions,
} from './api-client';
export { IDENTITY_FAILURE_REASONS, isMWOAuthError, MWOAUTH_ERROR_CODES, MWOAuthError } from './errors';
export type { IdentityFailureReason, MWOAuthErrorCode, MWOAuthErrorOptions } from './errors';
export { complete, identify, initiate } from './handshake';
export type { IdentifyOptions, InitiateOptions, InitiateResult } from './handshake';
export { Handshaker } from './handshaker';
export type { HandshakerOptions } from './handshaker';
export { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS } from './http';
export type { CookieJarOption, FetchLike, HttpOptions, WikiCookieJar } from './http';
export { DEFAULT_LEEWAY_S, IDENTIFY_JWT_LIFETIME_S, normaliseGrants, verifyIdentityJwt } from './identity';
export type {
  Identity,
  SuppressedIdentity,
  SuppressedProfile,
  UserProfile,
  VerifyIdentityOptions,
  VisibleIdentity,
} from './identity';
export type { RequestOptions } from './oauth-request';
export { generateNonce, signRequest } from './sign';
export type { ExtraOAuthParams, SignedRequest, SignRequestInput } from './sign';
export { makeToken, toToken } from './tokens';
export type { AccessToken, ConsumerToken, OAuthToken, RequestToken } from './tokens';
export { restUrlFor } from './wiki-urls';
// OAuth 2.0 (rest.php/oauth2/*)
export { createAuthorization } from './oauth2/authorize';
export type { CreateAuthorizationOptions, OAuth2Authorization } from './oauth2/authorize';
export type { OAuth2Client } from './oauth2/client';
export { fetchProfile } from './oauth2/profile';
export type { ProfileOptions } from './oauth2/profile';
export { clientCredentials, exchangeCode, makeOAuth2Tokens, refreshTokens } from './oauth2/token';
export type {
  ExchangeCodeOptions,
  OAuth2RequestOptions,
  OAuth2Tokens,
  PendingAuthorization,
} from './oauth2/token';
