// Special:OAuth/identify answers with a bare compact JWT (HS256, key = consumer secret; fixture 07).
// Checked here with jose, stricter than mwoauth: HS256 only; aud = consumer key, as one string; iss =
// the wiki's origin exactly (scheme, host and port: mwoauth compares hosts only); exp, after iat by
// at most MediaWiki's own lifetime (exp - iat = 100 s) plus leeway; iat neither in the future nor
// older than that lifetime plus leeway; the claims present and typed; nonce = the oauth_nonce
// actually sent (mwoauth checks that too).
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { MWOAuthError, type IdentityFailureReason } from './errors.ts';

/** Extension:OAuth sets exp = iat + 100 (SpecialMWOAuth::outputJWT; fixture 07). */
export const IDENTIFY_JWT_LIFETIME_S = 100;
export const DEFAULT_LEEWAY_S = 10;

interface IdentityClaims {
  /** $wgCanonicalServer of the wiki, e.g. 'https://meta.wikimedia.org'. */
  iss: string;
  /** The consumer key. */
  aud: string;
  iat: number;
  exp: number;
  nonce: string;
  /** The central user id (CentralAuth's on Wikimedia wikis), as a string. */
  sub: string;
}

/** A normal user's identity (suppressed: false). */
export interface VisibleIdentity extends IdentityClaims {
  suppressed: false;
  username: string;
  editcount: number;
  confirmed_email: boolean;
  blocked: boolean;
  /** MediaWiki timestamp YYYYMMDDHHMMSS; null for accounts older than registration tracking. */
  registered: string | null;
  groups: string[];
  /** All the user's rights on the wiki, not limited by the consumer's grants. */
  rights: string[];
  /** The consumer's grants, always a list (the wiki may send an object with numeric-string keys). */
  grants: string[];
  /** Only with the privateinfo grant (or mwoauth-authonlyprivate); null otherwise. */
  realname: string | null;
  email: string | null;
}

/**
 * A suppressed (hidden) user: Extension:OAuth sends only `sub` and `blocked: true` besides the
 * protocol claims, so nothing else may be shown.
 */
export interface SuppressedIdentity extends IdentityClaims {
  suppressed: true;
  blocked: true;
}

/**
 * The user as both protocols report them: 1.0a's identify JWT (fixture 07) and OAuth 2.0's
 * rest.php/oauth2/resource/profile (fixture o2-09) carry the same user fields. Apps that support
 * both read this; `Identity` adds 1.0a's protocol claims for library users.
 */
export interface UserProfile {
  readonly suppressed: false;
  readonly sub: string;
  readonly username: string;
  readonly editcount: number;
  readonly confirmed_email: boolean;
  readonly blocked: boolean;
  /** MediaWiki timestamp YYYYMMDDHHMMSS; null for accounts older than registration tracking. */
  readonly registered: string | null;
  readonly groups: readonly string[];
  /** All the user's rights on the wiki, not limited by the consumer's grants. */
  readonly rights: readonly string[];
  /** The consumer's grants, always a list. */
  readonly grants: readonly string[];
  /** Only with the privateinfo grant (or mwoauth-authonlyprivate); null otherwise. */
  readonly realname: string | null;
  readonly email: string | null;
}

/** A suppressed (hidden) user: only `sub` and `blocked: true` may be shown. */
export interface SuppressedProfile {
  readonly suppressed: true;
  readonly sub: string;
  readonly blocked: true;
}

/** The verified identify JWT. Check `suppressed` before reading `username`. */
export type Identity = VisibleIdentity | SuppressedIdentity;

/**
 * The user fields of an identity, without 1.0a's protocol claims (iss, aud, iat, exp, nonce): what
 * both protocols report, for an app that must answer the same whichever it was configured with.
 */
export function userProfileOf(
  identity: Identity | UserProfile | SuppressedProfile,
): UserProfile | SuppressedProfile {
  if (identity.suppressed) return { suppressed: true, sub: identity.sub, blocked: true };
  return {
    suppressed: false,
    sub: identity.sub,
    username: identity.username,
    editcount: identity.editcount,
    confirmed_email: identity.confirmed_email,
    blocked: identity.blocked,
    registered: identity.registered,
    groups: identity.groups,
    rights: identity.rights,
    grants: identity.grants,
    realname: identity.realname,
    email: identity.email,
  };
}

export interface VerifyIdentityOptions {
  /** The consumer secret (HS256 key). */
  consumerSecret: string;
  /** The consumer key (expected `aud`). */
  consumerKey: string;
  /** Expected `iss`: the wiki's origin, e.g. 'https://meta.wikimedia.org' (a trailing '/' is dropped). */
  issuer: string;
  /** The oauth_nonce of the identify request. */
  nonce: string;
  /** Seconds of clock skew allowed. Default 10. */
  leeway?: number;
  /** Current time in milliseconds since the epoch. Default Date.now. */
  now?: () => number;
}

function fail(reason: IdentityFailureReason, message: string, cause?: unknown): MWOAuthError {
  return new MWOAuthError(
    'invalid_identity',
    `The identity (Special:OAuth/identify JWT) was rejected: ${message}`,
    {
      reason,
      cause,
    },
  );
}

function fromJose(error: unknown, issuer: string): MWOAuthError {
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return fail('alg', 'it is not signed with HS256.', error);
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return fail('signature', 'its signature does not match the consumer secret.', error);
  }
  if (error instanceof joseErrors.JWTExpired) {
    return fail('exp', "it has expired (check this machine's clock).", error);
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return fail('claims', `the "${error.claim}" claim is missing.`, error);
    if (error.claim === 'aud') return fail('aud', 'it was issued for another consumer (aud).', error);
    if (error.claim === 'iss') {
      return fail(
        'iss',
        `it was issued by another server than ${issuer} (iss). If the wiki's canonical server differs ` +
          'from the URL used, pass it as the issuer option.',
        error,
      );
    }
    return fail('claims', `the "${error.claim}" claim is not valid.`, error);
  }
  return fail('malformed', 'it is not a valid JWT.', error);
}

/** Consumer secrets whose HMAC key is kept imported; an app has one, a multi-consumer tool a few. */
const MAX_CACHED_KEYS = 16;
const hmacKeys = new Map<string, Promise<CryptoKey>>();

/**
 * The consumer secret as an HS256 verification key, imported once per secret. Given the raw bytes,
 * jose calls crypto.subtle.importKey on every verify (node_modules/jose …/lib/key.js rawKey), which
 * is a measurable part of each identify (BENCHMARKS.md). Not extractable, verify only; at most
 * MAX_CACHED_KEYS secrets are kept (the oldest is dropped), so a caller cycling through secrets
 * cannot grow memory. A failed import is not kept.
 */
function hmacKeyFor(secret: string): Promise<CryptoKey> {
  const cached = hmacKeys.get(secret);
  if (cached !== undefined) return cached;
  const key = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  if (hmacKeys.size >= MAX_CACHED_KEYS) {
    const oldest = hmacKeys.keys().next();
    if (oldest.done !== true) hmacKeys.delete(oldest.value);
  }
  hmacKeys.set(secret, key);
  key.catch(() => hmacKeys.delete(secret));
  return key;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * `grants` arrives as a list, or as an object with numeric-string keys ({"0":"basic","2":"editpage"})
 * because the extension runs array_unique without array_values (fixture 07). Both become a list in
 * key order.
 */
export function normaliseGrants(value: unknown): string[] | null {
  if (isStringList(value)) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (!entries.every(([k, v]) => /^\d+$/.test(k) && typeof v === 'string')) return null;
  return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => String(v));
}

function claimsError(name: string, expected: string): MWOAuthError {
  return fail('claims', `the "${name}" claim is missing or not ${expected}.`);
}

/** Makes the error for a user field that is missing or of the wrong type (`expected` says what it should be). */
export type FieldError = (name: string, expected: string) => MWOAuthError;

type Fields = Readonly<Record<string, unknown>>;

function str(fields: Fields, name: string, invalid: FieldError): string {
  const v = fields[name];
  if (typeof v !== 'string') throw invalid(name, 'a string');
  return v;
}

function optionalStr(fields: Fields, name: string, invalid: FieldError): string | null {
  const v = fields[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(name, 'a string');
  return v;
}

function bool(fields: Fields, name: string, invalid: FieldError): boolean {
  const v = fields[name];
  if (typeof v !== 'boolean') throw invalid(name, 'true or false');
  return v;
}

function list(fields: Fields, name: string, invalid: FieldError): string[] {
  const v = fields[name];
  if (!isStringList(v)) throw invalid(name, 'a list of strings');
  return v;
}

/**
 * The user fields both protocols report, narrowed from `unknown`: identify's JWT payload (fixture
 * 07) and rest.php/oauth2/resource/profile (o2-09, o2-22) carry the same ones. A suppressed user has
 * no username, only `sub` and `blocked: true` (Extension:OAuth hides the rest).
 */
export function readUserProfile(
  fields: Fields,
  invalid: FieldError,
): (UserProfile & { groups: string[]; rights: string[]; grants: string[] }) | SuppressedProfile {
  const sub = str(fields, 'sub', invalid);
  if (fields.username === undefined) {
    if (fields.blocked !== true) throw invalid('username', 'a string');
    return { suppressed: true, sub, blocked: true };
  }
  const editcount = fields.editcount;
  if (typeof editcount !== 'number' || !Number.isInteger(editcount))
    throw invalid('editcount', 'a whole number');
  const grants = normaliseGrants(fields.grants);
  if (grants === null) throw invalid('grants', 'a list of strings');
  return {
    suppressed: false,
    sub,
    username: str(fields, 'username', invalid),
    editcount,
    confirmed_email: bool(fields, 'confirmed_email', invalid),
    blocked: bool(fields, 'blocked', invalid),
    registered: optionalStr(fields, 'registered', invalid),
    groups: list(fields, 'groups', invalid),
    rights: list(fields, 'rights', invalid),
    grants,
    realname: optionalStr(fields, 'realname', invalid),
    email: optionalStr(fields, 'email', invalid),
  };
}

/**
 * The `issuer` option as the origin `iss` is compared with: the wiki's $wgCanonicalServer is scheme,
 * host and port only, so 'https://meta.wikimedia.org/' (or ':443', or capitals) means the same and
 * is accepted; a path, query or fragment would never match and is refused.
 */
export function normaliseIssuer(issuer: unknown): string {
  const refuse = (): MWOAuthError =>
    new MWOAuthError(
      'invalid_argument',
      "The issuer option must be the wiki's canonical server ($wgCanonicalServer): an http(s) origin without " +
        `path, query or fragment, e.g. "https://meta.wikimedia.org" (got ${JSON.stringify(issuer)}).`,
    );
  if (typeof issuer !== 'string') throw refuse();
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw refuse();
  }
  // href keeps an empty '?' or '#', so this also refuses 'https://x.org/?'.
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.href !== `${url.origin}/`)
    throw refuse();
  return url.origin;
}

/** Verifies the compact JWT from Special:OAuth/identify and returns the typed identity. */
export async function verifyIdentityJwt(jwt: string, options: VerifyIdentityOptions): Promise<Identity> {
  if (typeof options !== 'object' || options === null) {
    throw new MWOAuthError(
      'invalid_argument',
      'verifyIdentityJwt takes an options object { consumerKey, consumerSecret, issuer, nonce }.',
    );
  }
  for (const name of ['consumerKey', 'consumerSecret', 'nonce'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      throw new MWOAuthError('invalid_argument', `verifyIdentityJwt needs ${name}, a non-empty string.`);
    }
  }
  const leeway = options.leeway ?? DEFAULT_LEEWAY_S;
  if (!Number.isFinite(leeway) || leeway < 0) {
    throw new MWOAuthError(
      'invalid_argument',
      `leeway must be a number of seconds >= 0 (got ${String(leeway)}).`,
    );
  }
  const issuer = normaliseIssuer(options.issuer);
  const nowMs = (options.now ?? Date.now)();
  const nowS = Math.floor(nowMs / 1000);

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, await hmacKeyFor(options.consumerSecret), {
      algorithms: ['HS256'],
      audience: options.consumerKey,
      issuer,
      currentDate: new Date(nowMs),
      clockTolerance: leeway,
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'nonce'],
    }));
  } catch (error) {
    throw fromJose(error, issuer);
  }

  // jose accepts an aud list that contains the key; MediaWiki sends one string (fixture 07).
  if (typeof payload.aud !== 'string') {
    throw fail('aud', 'its aud is not a single consumer key (MediaWiki sends one string).');
  }
  // jose checked that iat, if present, is a number; required above.
  const iat = typeof payload.iat === 'number' ? payload.iat : Number.NaN;
  const exp = typeof payload.exp === 'number' ? payload.exp : Number.NaN;
  if (!(iat <= nowS + leeway))
    throw fail('iat_future', 'it was issued in the future (iat); check the clocks.');
  if (!(nowS - iat <= IDENTIFY_JWT_LIFETIME_S + leeway)) {
    throw fail(
      'iat_stale',
      `it was issued more than ${IDENTIFY_JWT_LIFETIME_S + leeway} s ago (iat): a replayed answer?`,
    );
  }
  // exp = iat + 100 from the wiki's one clock (the two time() calls may straddle a second, hence
  // the slack): anything else is not the JWT Extension:OAuth makes.
  if (!(exp > iat) || exp - iat > IDENTIFY_JWT_LIFETIME_S + leeway) {
    throw fail(
      'exp',
      `its lifetime (exp - iat = ${exp - iat} s) is not the ${IDENTIFY_JWT_LIFETIME_S} s Extension:OAuth sets.`,
    );
  }
  if (payload.nonce !== options.nonce) {
    throw fail('nonce', 'its nonce is not the one sent with the identify request (a replayed answer?).');
  }

  const common: IdentityClaims = {
    iss: str(payload, 'iss', claimsError),
    aud: options.consumerKey,
    iat,
    exp,
    nonce: options.nonce,
    sub: str(payload, 'sub', claimsError),
  };
  return { ...common, ...readUserProfile(payload, claimsError) };
}
