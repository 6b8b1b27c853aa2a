// OAuth 2.0 as Extension:OAuth REL1_39 serves it through league/oauth2-server: the errors, PKCE, the
// RS256 access-token JWT, authorization codes, the three token grants and the Bearer check (fixtures
// o2-*, _facts.json "oauth2"). Written from RFC 6749/7636 and the recordings, with node:crypto only:
// like oauth1.ts, a second opinion on the client, not a copy of it.
import { createHash, generateKeyPair, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { WikiContext } from './context';
import { hex, type OAuth2AccessToken, type User } from './store';
import type { DevwikiConsumer } from './types';

/** $wgOAuth2GrantExpirationInterval's default, PT1H (o2-06: expires_in 3600). */
export const DEFAULT_ACCESS_TOKEN_TTL_S = 3600;
/** $wgOAuth2RefreshTokenTTL's default, PT1M (_environment.json, o2-15's note). */
export const DEFAULT_REFRESH_TOKEN_TTL_S = 60;
/** league/oauth2-server's AuthCodeGrant as Extension:OAuth sets it up: codes live 10 minutes. */
export const AUTH_CODE_TTL_MS = 600_000;
/** An owner-only client's access token is issued for P1000Y (ClientEntity::getOwnerOnlyAccessToken). */
const OWNER_ONLY_TTL_S = 1000 * 365.2425 * 86_400;

/** The OAuth 2.0 state of one devwiki: its signing key and the lifetimes in force. */
export interface OAuth2Settings {
  keys: OAuth2Keys;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
}

// --- errors ------------------------------------------------------------------------------------------

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  invalid_request:
    'The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.',
  invalid_client: 'Client authentication failed',
  invalid_grant:
    'The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  access_denied: 'The resource owner or authorization server denied the request.',
  invalid_scope: 'The requested scope is invalid, unknown, or malformed',
  unauthorized_client: 'The client is not authorized to request an authorization code using this method.',
};

/** OAuthServerException: `{error, error_description, hint?, message}` with its HTTP status (o2-07, o2-08). */
export class OAuth2Error extends Error {
  readonly description: string;

  constructor(
    readonly status: number,
    readonly error: string,
    readonly hint: string | null,
    description: string | null = null,
  ) {
    const text = description ?? DESCRIPTIONS[error] ?? error;
    super(text);
    this.name = 'OAuth2Error';
    this.description = text;
  }

  /** The JSON body, keys in the recorded order; `hint` only when there is one (o2-08 has none). */
  json(): string {
    const body: Record<string, string> = { error: this.error, error_description: this.description };
    if (this.hint !== null) body.hint = this.hint;
    body.message = this.description;
    return JSON.stringify(body);
  }
}

export const oauth2Errors = {
  /** league's invalidRequest($parameter, $hint): the hint defaults to "Check the `x` parameter" (o2-08b). */
  invalidRequest: (parameter: string, hint?: string): OAuth2Error =>
    new OAuth2Error(400, 'invalid_request', hint ?? `Check the \`${parameter}\` parameter`),
  invalidClient: (): OAuth2Error => new OAuth2Error(401, 'invalid_client', null),
  invalidGrant: (hint: string): OAuth2Error => new OAuth2Error(400, 'invalid_grant', hint),
  /** A dead, spent or foreign refresh token: 401 invalid_request (o2-15), not invalid_grant. */
  invalidRefreshToken: (hint: string): OAuth2Error =>
    new OAuth2Error(401, 'invalid_request', hint, 'The refresh token is invalid.'),
  accessDenied: (hint: string): OAuth2Error => new OAuth2Error(401, 'access_denied', hint),
  invalidScope: (scope: string): OAuth2Error =>
    new OAuth2Error(400, 'invalid_scope', `Check the \`${scope}\` scope`),
  /** Cancel on the approve page (ClientApprovalDenyException, o2-17). */
  approvalDenied: (): OAuth2Error => new OAuth2Error(401, 'unauthorized_client', null),
};

// --- the signing key and the access-token JWT ------------------------------------------------------

interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * $wgOAuth2PrivateKey/PublicKey: a 2048-bit RSA key of this devwiki's own (o2-06: RS256). Made on
 * first use, not at start: it costs 70-300 ms of CPU, and most devwikis in tests never speak OAuth 2.
 */
export class OAuth2Keys {
  private pair: KeyPair | null = null;
  private pending: Promise<KeyPair> | null = null;

  /** The key if it was made already; tokens cannot exist before it is. */
  current(): KeyPair | null {
    return this.pair;
  }

  get(): Promise<KeyPair> {
    if (this.pair !== null) return Promise.resolve(this.pair);
    this.pending ??= new Promise<KeyPair>((resolve, reject) => {
      generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => {
        if (err !== null) return reject(err);
        this.pair = { publicKey, privateKey };
        resolve(this.pair);
      });
    });
    return this.pending;
  }
}

const HEADER = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256' })).toString('base64url');

/**
 * The access token: header {"typ":"JWT","alg":"RS256"}, claims in the recorded order (aud, jti, iat,
 * nbf, exp, sub, iss, scopes), the times as floats with a fraction as PHP's microtime gives (o2-06).
 */
async function mintAccessToken(
  ctx: WikiContext,
  consumer: DevwikiConsumer,
  user: User,
  scopes: readonly string[],
  ttlS: number,
): Promise<{ jwt: string; token: OAuth2AccessToken }> {
  const { privateKey } = await ctx.oauth2.keys.get();
  const nowMs = ctx.nowMs();
  // A fraction of a millisecond before now, so a wiki clock that stands still (tests) accepts it.
  const iat = nowMs / 1000 - 0.000_123;
  const jti = hex(40);
  const claims = {
    aud: consumer.key,
    jti,
    iat,
    nbf: iat + 0.000_002,
    exp: iat + ttlS,
    sub: String(user.id),
    iss: ctx.origin,
    scopes: [...scopes],
  };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${HEADER}.${payload}`), privateKey).toString('base64url');
  const token: OAuth2AccessToken = {
    jti,
    consumerId: consumer.id,
    userId: user.id,
    scopes,
    expires: nowMs + ttlS * 1000,
    revoked: false,
  };
  ctx.store.saveOAuth2AccessToken(token);
  return { jwt: `${HEADER}.${payload}.${signature}`, token };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

export interface BearerSession {
  user: User;
  consumer: DevwikiConsumer;
  scopes: readonly string[];
}

/**
 * league's BearerTokenValidator: parse (lcobucci's messages), then signature and time, then the
 * revocation list. Throws OAuth2Error access_denied with the recorded hints (o2-10).
 */
export function verifyBearer(ctx: WikiContext, authorization: string | undefined): BearerSession {
  if (authorization === undefined || authorization === '') {
    throw oauth2Errors.accessDenied('Missing "Authorization" header');
  }
  const jwt = authorization.replace(/^\s*Bearer\s/, '').trim();
  const parts = jwt.split('.');
  if (parts.length !== 3) throw oauth2Errors.accessDenied('The JWT string must have two dots');
  const [head = '', body = '', signature = ''] = parts;
  const header = decodeSegment(head);
  const claims = decodeSegment(body);
  if (header === null || claims === null) throw oauth2Errors.accessDenied('Error while decoding from JSON');
  const keys = ctx.oauth2.keys.current();
  const signed =
    keys !== null &&
    header.alg === 'RS256' &&
    verify('sha256', Buffer.from(`${head}.${body}`), keys.publicKey, Buffer.from(signature, 'base64url'));
  const nowS = ctx.nowMs() / 1000;
  const { iat, nbf, exp, jti } = claims;
  // lcobucci's LooseValidAt: issued and valid by now, not yet expired.
  const inTime =
    typeof iat === 'number' &&
    typeof nbf === 'number' &&
    typeof exp === 'number' &&
    iat <= nowS &&
    nbf <= nowS &&
    nowS < exp;
  if (!signed || !inTime || typeof jti !== 'string') {
    throw oauth2Errors.accessDenied('Access token could not be verified');
  }
  const token = ctx.store.oauth2AccessToken(jti);
  const consumer = token === null ? null : ctx.store.consumerById(token.consumerId);
  const user = token === null ? undefined : ctx.store.users.get(token.userId);
  if (token === null || token.revoked || consumer === null || user === undefined) {
    throw oauth2Errors.accessDenied('Access token has been revoked');
  }
  return { user, consumer, scopes: token.scopes };
}

// --- PKCE -------------------------------------------------------------------------------------------

/** RFC 7636 §4.1: 43-128 unreserved characters (league checks challenges and verifiers alike). */
export const PKCE_SHAPE = /^[A-Za-z0-9._~-]{43,128}$/;

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** RFC 7636 §4.6: S256 is BASE64URL(SHA256(verifier)); plain is the verifier itself. */
export function pkceMatches(verifier: string, challenge: string, method: 'plain' | 'S256'): boolean {
  const derived =
    method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
  return sameString(derived, challenge);
}

// --- the token endpoint's grants ---------------------------------------------------------------------

export type Form = ReadonlyMap<string, string>;

export interface TokenAnswer {
  token_type: 'Bearer';
  expires_in: number;
  access_token: string;
  refresh_token?: string;
}

/** The opaque, defuse-encrypted look of the recorded codes and refresh tokens ("def50200…"). */
function opaque(): string {
  return `def50200${hex(230)}`;
}

/** A 2.0 client, or invalid_client for anything else (1.0a consumers, unknown ids). */
export function oauth2Client(ctx: WikiContext, clientId: string): DevwikiConsumer | null {
  const consumer = ctx.store.consumerByKey(clientId);
  return consumer !== null && consumer.oauthVersion === '2.0' ? consumer : null;
}

/** The grant types a client may use (Extension:OAuth's oauth2_grant_types, _environment.json). */
export function allowedGrants(consumer: DevwikiConsumer): readonly string[] {
  return consumer.ownerOnly ? ['client_credentials'] : ['authorization_code', 'refresh_token'];
}

/**
 * Client authentication: HTTP Basic, overridden by client_id/client_secret in the body (league's
 * getClientCredentials). Confidential clients must give the right secret (o2-08); a public client's
 * secret is not checked (o2-20 sends none). The grant must be one the client may use.
 */
function authenticateClient(
  ctx: WikiContext,
  form: Form,
  authorization: string | undefined,
  grantType: string,
): DevwikiConsumer {
  let basicId: string | null = null;
  let basicSecret: string | null = null;
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (basic !== null) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      basicId = decodeURIComponent(decoded.slice(0, colon));
      basicSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  const clientId = form.get('client_id') ?? basicId;
  const secret = form.get('client_secret') ?? basicSecret;
  if (clientId === null || clientId === '') throw oauth2Errors.invalidRequest('client_id');
  const client = oauth2Client(ctx, clientId);
  if (client === null) throw oauth2Errors.invalidClient();
  if (client.confidential !== false && (secret === null || !sameString(secret, client.secret))) {
    throw oauth2Errors.invalidClient();
  }
  if (!allowedGrants(client).includes(grantType)) throw oauth2Errors.invalidClient();
  return client;
}

async function issue(
  ctx: WikiContext,
  consumer: DevwikiConsumer,
  user: User,
  scopes: readonly string[],
  withRefresh: boolean,
): Promise<TokenAnswer> {
  const ttl = ctx.oauth2.accessTokenTtlS;
  const { jwt, token } = await mintAccessToken(ctx, consumer, user, scopes, ttl);
  const answer: TokenAnswer = { token_type: 'Bearer', expires_in: ttl, access_token: jwt };
  if (withRefresh) {
    const refresh = opaque();
    ctx.store.saveRefreshToken({
      token: refresh,
      consumerId: consumer.id,
      userId: user.id,
      scopes,
      accessJti: token.jti,
      expires: ctx.nowMs() + ctx.oauth2.refreshTokenTtlS * 1000,
      revoked: false,
    });
    answer.refresh_token = refresh;
  }
  return answer;
}

/** AuthCodeGrant: client, code, redirect_uri, PKCE, then tokens; the code is spent on success only. */
async function authorizationCode(
  ctx: WikiContext,
  form: Form,
  authorization: string | undefined,
): Promise<TokenAnswer> {
  const client = authenticateClient(ctx, form, authorization, 'authorization_code');
  const value = form.get('code');
  if (value === undefined || value === '') throw oauth2Errors.invalidRequest('code');
  const code = ctx.store.authCode(value);
  if (code === null) throw oauth2Errors.invalidRequest('code', 'Cannot decrypt the authorization code');
  if (code.expires <= ctx.nowMs())
    throw oauth2Errors.invalidRequest('code', 'Authorization code has expired');
  if (code.spent) throw oauth2Errors.invalidRequest('code', 'Authorization code has been revoked');
  if (code.consumerId !== client.id) {
    throw oauth2Errors.invalidRequest('code', 'Authorization code was not issued to this client');
  }
  // The token request repeats redirect_uri exactly when the authorize request gave one, and only then.
  const redirectUri = form.get('redirect_uri') ?? null;
  if (code.redirectUri !== null && redirectUri === null) throw oauth2Errors.invalidRequest('redirect_uri');
  if (code.redirectUri !== redirectUri)
    throw oauth2Errors.invalidRequest('redirect_uri', 'Invalid redirect URI');
  if (code.challenge !== null) {
    const verifier = form.get('code_verifier');
    if (verifier === undefined || verifier === '') throw oauth2Errors.invalidRequest('code_verifier');
    if (!PKCE_SHAPE.test(verifier)) {
      throw oauth2Errors.invalidRequest(
        'code_verifier',
        'Code Verifier must follow the specifications of RFC-7636.',
      );
    }
    if (!pkceMatches(verifier, code.challenge, code.challengeMethod)) {
      throw oauth2Errors.invalidGrant('Failed to verify `code_verifier`.');
    }
  }
  const user = ctx.store.users.get(code.userId);
  if (user === undefined) throw oauth2Errors.invalidRequest('code', 'Authorization code has been revoked');
  code.spent = true;
  return issue(ctx, client, user, code.scopes, true);
}

/**
 * RefreshTokenGrant: the old refresh token and the access token issued with it die, a new pair is
 * issued (rotation, o2-14); a spent, revoked, expired or foreign one is 401 invalid_request (o2-15).
 */
async function refreshToken(
  ctx: WikiContext,
  form: Form,
  authorization: string | undefined,
): Promise<TokenAnswer> {
  // The Wikimedia-like mode: 400 invalid_grant, as league/oauth2-server 8's invalidRefreshToken
  // answers (a revoked grant's refresh: Extension:OAuth 2380caff, T336113); 1.39: o2-15's shape.
  const refused = (hint: string): OAuth2Error =>
    ctx.wikimedia == null
      ? oauth2Errors.invalidRefreshToken(hint)
      : new OAuth2Error(400, 'invalid_grant', hint, 'The refresh token is invalid.');
  const client = authenticateClient(ctx, form, authorization, 'refresh_token');
  const value = form.get('refresh_token');
  if (value === undefined || value === '') throw oauth2Errors.invalidRequest('refresh_token');
  const old = ctx.store.refreshToken(value);
  if (old === null) throw refused('Cannot decrypt the refresh token');
  if (old.consumerId !== client.id) throw refused('Token is not linked to client');
  if (old.expires <= ctx.nowMs()) throw refused('Token has expired');
  if (old.revoked) throw refused('Token has been revoked');
  let scopes = old.scopes;
  const asked = form.get('scope');
  if (asked !== undefined && asked !== '') {
    const wanted = asked.split(/[ +]/).filter((s) => s !== '');
    const extra = wanted.find((s) => !old.scopes.includes(s));
    if (extra !== undefined) throw oauth2Errors.invalidScope(extra);
    scopes = wanted;
  }
  const user = ctx.store.users.get(old.userId);
  if (user === undefined) throw refused('Token has been revoked');
  old.revoked = true;
  const oldAccess = ctx.store.oauth2AccessToken(old.accessJti);
  if (oldAccess !== null) oldAccess.revoked = true;
  return issue(ctx, client, user, scopes, true);
}

/** ClientCredentialsGrant, for owner-only clients: a token for the owner, no refresh token (o2-23). */
async function clientCredentials(
  ctx: WikiContext,
  form: Form,
  authorization: string | undefined,
): Promise<TokenAnswer> {
  const client = authenticateClient(ctx, form, authorization, 'client_credentials');
  const owner = client.owner === undefined ? null : ctx.store.userByName(client.owner);
  if (owner === null) throw oauth2Errors.invalidClient();
  return issue(ctx, client, owner, client.grants, false);
}

/** POST rest.php/oauth2/access_token: the answer, or an OAuth2Error to render. */
export function tokenRequest(
  ctx: WikiContext,
  form: Form,
  authorization: string | undefined,
): Promise<TokenAnswer> {
  switch (form.get('grant_type')) {
    case 'authorization_code':
      return authorizationCode(ctx, form, authorization);
    case 'refresh_token':
      return refreshToken(ctx, form, authorization);
    case 'client_credentials':
      return clientCredentials(ctx, form, authorization);
    default:
      return Promise.reject(oauth2Errors.invalidRequest('grant_type'));
  }
}

/** The owner-only client's access token shown at registration: for P1000Y, minted once. */
export async function ownerOnlyToken(ctx: WikiContext, consumer: DevwikiConsumer): Promise<string> {
  const owner = consumer.owner === undefined ? null : ctx.store.userByName(consumer.owner);
  if (owner === null) throw new Error(`devwiki: owner-only client ${consumer.key} has no owner`);
  return (await mintAccessToken(ctx, consumer, owner, consumer.grants, OWNER_ONLY_TTL_S)).jwt;
}

/** A new authorization code for the approved request (AuthCodeGrant::completeAuthorizationRequest). */
export function newAuthCode(
  ctx: WikiContext,
  consumer: DevwikiConsumer,
  user: User,
  request: {
    scopes: readonly string[];
    redirectUri: string | null;
    challenge: string | null;
    challengeMethod: 'plain' | 'S256';
  },
): string {
  const now = ctx.nowMs();
  const code = opaque();
  ctx.store.saveAuthCode(
    {
      code,
      consumerId: consumer.id,
      userId: user.id,
      ...request,
      expires: now + AUTH_CODE_TTL_MS,
      spent: false,
    },
    now,
  );
  return code;
}
