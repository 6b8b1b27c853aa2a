// The checks of Extension:OAuth's MWOAuthServer (REL1_39) in its order: version, consumer,
// owner-only, token, then timestamp, nonce, signature method and signature (OAuthServer::check_signature
// checks timestamp and nonce BEFORE the signature, _facts.json), then the callback or verifier.
import { nowSeconds, type WikiContext } from './context';
import { messages, oauthException, WikiError } from './messages';
import { hmacSha1, oauthParam, signatureBaseString, signatureMatches, type OAuthSources } from './oauth1';
import { hex, type Acceptance, type RequestToken, type User } from './store';
import type { DevwikiConsumer } from './types';

/** |server now - oauth_timestamp| must not exceed this (OAuthServer::$timestamp_threshold). */
export const TIMESTAMP_THRESHOLD_S = 300;

function checkVersion(src: OAuthSources): void {
  const version = oauthParam(src, 'oauth_version');
  if (version !== null && version !== '' && version !== '1.0') {
    throw oauthException(`OAuth version '${version}' not supported`);
  }
}

function getConsumer(ctx: WikiContext, src: OAuthSources): DevwikiConsumer {
  const key = oauthParam(src, 'oauth_consumer_key');
  if (key === null || key === '') throw oauthException('Invalid consumer key');
  const consumer = ctx.store.consumerByKey(key);
  // An OAuth 2.0 client's id is no 1.0a consumer key.
  if (consumer === null || consumer.oauthVersion === '2.0') throw oauthException('Invalid consumer');
  return consumer;
}

function refuseOwnerOnly(consumer: DevwikiConsumer): void {
  if (consumer.ownerOnly) throw new WikiError(messages.consumerOwnerOnly(consumer.name, consumer.key));
}

function checkSignature(
  ctx: WikiContext,
  src: OAuthSources,
  consumer: DevwikiConsumer,
  tokenKey: string,
  tokenSecret: string,
): void {
  const timestamp = oauthParam(src, 'oauth_timestamp');
  if (timestamp === null || timestamp === '') {
    throw oauthException('Missing timestamp parameter. The parameter is required');
  }
  const now = nowSeconds(ctx);
  const ts = Number(timestamp);
  if (!Number.isFinite(ts) || Math.abs(now - ts) > TIMESTAMP_THRESHOLD_S) {
    throw oauthException(`Expired timestamp, yours ${timestamp}, ours ${now}`);
  }
  const nonce = oauthParam(src, 'oauth_nonce');
  if (nonce === null || nonce === '')
    throw oauthException('Missing nonce parameter. The parameter is required');
  // The nonce is spent even if the signature below turns out wrong, as in MWOAuthDataStore::lookup_nonce.
  if (!ctx.store.useNonce(consumer.key, tokenKey, nonce, ts, ctx.nowMs())) {
    throw oauthException(`Nonce already used: ${nonce}`);
  }
  const method = oauthParam(src, 'oauth_signature_method');
  if (method === null || method === '') {
    throw oauthException('No signature method parameter. This parameter is required');
  }
  if (method !== 'HMAC-SHA1' && method !== 'RSA-SHA1') {
    // PLAINTEXT is refused (fixture 26f); RSA-SHA1 is known but no devwiki consumer has an RSA key.
    throw oauthException(
      `Signature method '${method}' not supported try one of the following: HMAC-SHA1, RSA-SHA1`,
    );
  }
  const expected = hmacSha1(signatureBaseString(src, ctx.origin), consumer.secret, tokenSecret);
  if (method !== 'HMAC-SHA1' || !signatureMatches(expected, oauthParam(src, 'oauth_signature'))) {
    throw oauthException('Invalid signature');
  }
}

/** Extension:OAuth's callback-is-prefix rule (also for OAuth 2.0 redirect_uri). */
export function matchesPrefix(registered: string, given: string): boolean {
  if (!URL.canParse(registered) || !URL.canParse(given)) return false;
  const r = new URL(registered);
  const g = new URL(given);
  // http may be upgraded to https, never the other way (fixture 24e).
  const schemeOk = r.protocol === g.protocol || (r.protocol === 'http:' && g.protocol === 'https:');
  // A registered port of 1 means "any port" (Extension:OAuth's wildcard for local development).
  const portOk = r.port === '1' || r.port === g.port;
  const rQuery = r.search.replace(/^\?/, '');
  const gQuery = g.search.replace(/^\?/, '');
  const pathOk = rQuery === '' ? g.pathname.startsWith(r.pathname) : g.pathname === r.pathname;
  return schemeOk && r.hostname === g.hostname && portOk && pathOk && gQuery.startsWith(rQuery);
}

/** MWOAuthServer::checkCallback (fixtures 23, 23b, 24*, 27a, 27d). */
export function checkCallback(consumer: DevwikiConsumer, callback: string | null): void {
  if (!consumer.callbackIsPrefix) {
    if (callback !== 'oob') throw new WikiError(messages.callbackNotOob());
    return;
  }
  if (callback === null || callback === '') throw new WikiError(messages.callbackNotOobOrPrefix());
  if (callback === 'oob') return;
  if (!matchesPrefix(consumer.callbackUrl, callback)) throw new WikiError(messages.callbackNotOobOrPrefix());
}

/** Special:OAuth/initiate: a new request token (MWOAuthServer::fetch_request_token). */
export function fetchRequestToken(ctx: WikiContext, src: OAuthSources): RequestToken {
  checkVersion(src);
  const consumer = getConsumer(ctx, src);
  refuseOwnerOnly(consumer);
  checkSignature(ctx, src, consumer, '', '');
  const callback = oauthParam(src, 'oauth_callback');
  checkCallback(consumer, callback);
  return ctx.store.createRequestToken(consumer, callback ?? 'oob', ctx.nowMs());
}

/** Special:OAuth/token: the access token for an authorized request token (fetch_access_token). */
export function fetchAccessToken(ctx: WikiContext, src: OAuthSources): Acceptance {
  checkVersion(src);
  const consumer = getConsumer(ctx, src);
  refuseOwnerOnly(consumer);
  const key = oauthParam(src, 'oauth_token') ?? '';
  const token = ctx.store.requestToken(key, ctx.nowMs());
  if (token === 'used') throw new WikiError(messages.requestTokenAlreadyUsed());
  if (token === null || token.consumerKey !== consumer.key)
    throw new WikiError(messages.requestTokenNotFound());
  checkSignature(ctx, src, consumer, token.key, token.secret);
  // Not yet authorized (or cancelled) comes before a wrong verifier, and a wrong verifier does not
  // spend the request token (fixtures 29, 29b, 29d, 30b).
  if (token.verifier === null || token.accessKey === null) throw new WikiError(messages.badToken());
  if (oauthParam(src, 'oauth_verifier') !== token.verifier) throw new WikiError(messages.badVerifier());
  const acceptance = ctx.store.acceptanceByToken(token.accessKey);
  if (acceptance === null) throw new WikiError(messages.accessTokenNotFound());
  ctx.store.markRequestTokenUsed(token.key, ctx.nowMs());
  return acceptance;
}

export interface VerifiedRequest {
  consumer: DevwikiConsumer;
  acceptance: Acceptance;
  user: User;
}

/** identify and api.php: a request signed with an access token (OAuthServer::verify_request). */
export function verifyAccessRequest(ctx: WikiContext, src: OAuthSources): VerifiedRequest {
  checkVersion(src);
  const consumer = getConsumer(ctx, src);
  const key = oauthParam(src, 'oauth_token') ?? '';
  const acceptance = ctx.store.acceptanceByToken(key);
  // An unknown, revoked or missing token, or another consumer's (fixtures 13, 19, 33).
  if (acceptance === null || acceptance.consumerId !== consumer.id) {
    throw new WikiError(messages.accessTokenNotFound());
  }
  checkSignature(ctx, src, consumer, acceptance.accessKey, acceptance.accessSecret);
  const user = ctx.store.users.get(acceptance.userId);
  if (user === undefined) throw new WikiError(messages.accessTokenNotFound());
  return { consumer, acceptance, user };
}

/** A verifier, as Special:OAuth/authorize makes when the user presses Allow. */
export function newVerifier(): string {
  return hex(16);
}
