// OAuth 1.0a request signing (RFC 5849 §3.4) with HMAC-SHA1, the method Extension:OAuth accepts
// besides RSA-SHA1 (PLAINTEXT is refused: fixture 26f). The `oauth-1.0a` package builds the base
// string and the Authorization header; node:crypto supplies the HMAC and the nonces (the package's
// own nonce comes from Math.random).
//
// The wiki rebuilds the signed URL from $wgServer + the request path (fixture 20), and puts the
// query string (title=Special:OAuth/…, action=…) and a form-encoded POST body in the base string
// (fixtures 01, 08, 10). The oauth_* parameters travel only in the Authorization header, as the
// reference client (mwoauth + requests-oauthlib) sends them.
import { createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { MWOAuthError } from './errors.ts';
import { type ConsumerToken, type OAuthToken, toToken } from './tokens.ts';
import { parseHttpUrl } from './wiki-urls.ts';

// Moved to wiki-urls.ts (both protocols use it); still importable from here.
export { parseHttpUrl } from './wiki-urls.ts';

/** OAuth protocol parameters besides the standard ones: `oauth_callback` (initiate), `oauth_verifier` (token). */
export interface ExtraOAuthParams {
  oauth_callback?: string;
  oauth_verifier?: string;
}

export interface SignRequestInput {
  method: string;
  /** The full request URL, query included. */
  url: string;
  /** A form-encoded (application/x-www-form-urlencoded) body, or null for none. */
  body?: URLSearchParams | null;
  consumer: ConsumerToken;
  /** The request or access token; null for initiate. */
  token?: OAuthToken | null;
  extra?: ExtraOAuthParams;
  nonce: string;
  /** Seconds since the epoch. */
  timestamp: number;
}

export interface SignedRequest {
  /** The value of the Authorization header. */
  authorization: string;
  /** The oauth_* parameters sent, signature included. */
  oauthParams: Record<string, string>;
  signature: string;
  /** The RFC 5849 §3.4.1 signature base string (for debugging and tests; holds no secret). */
  baseString: string;
}

/** 128 random bits, hex: Extension:OAuth remembers nonces per (consumer, token) for 300 s, so they must not repeat. */
export function generateNonce(): string {
  return randomBytes(16).toString('hex');
}

function hmacSha1(baseString: string, key: string): string {
  return createHmac('sha1', key).update(baseString).digest('base64');
}

/** Adds `value` under `key`, turning a repeated key into a list (the package's form for repeated parameters). */
function addParam(data: Record<string, string | string[]>, key: string, value: string): void {
  const existing = data[key];
  if (existing === undefined) data[key] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else data[key] = [existing, value];
}

/**
 * Signs one request. Deterministic given nonce and timestamp, so recorded signatures can be
 * reproduced byte for byte (tests/unit/mwoauth/signatures.test.ts).
 */
export function signRequest(input: SignRequestInput): SignedRequest {
  if (typeof input !== 'object' || input === null) {
    throw new MWOAuthError(
      'invalid_argument',
      'signRequest takes an object { method, url, consumer, token, nonce, timestamp }.',
    );
  }
  const consumer = toToken(input.consumer, 'consumer');
  const token = input.token === undefined || input.token === null ? null : toToken(input.token, 'token');
  const url = parseHttpUrl(input.url, 'request URL');
  const method = typeof input.method === 'string' ? input.method.toUpperCase() : '';
  if (!/^[A-Z]+$/.test(method)) {
    throw new MWOAuthError(
      'invalid_argument',
      `The HTTP method ${JSON.stringify(input.method)} is not valid.`,
    );
  }
  if (!/^[0-9]+$/.test(String(input.timestamp))) {
    throw new MWOAuthError('invalid_argument', 'The OAuth timestamp must be a whole number of seconds.');
  }
  if (typeof input.nonce !== 'string' || input.nonce === '') {
    throw new MWOAuthError('invalid_argument', 'The OAuth nonce must be a non-empty string.');
  }

  const oauth = new OAuth({
    consumer: { key: consumer.key, secret: consumer.secret },
    signature_method: 'HMAC-SHA1',
    hash_function: hmacSha1,
  });

  // RFC 5849 §3.4.1.3: query and form-body parameters join the oauth_* ones. We decode them
  // ourselves (URLSearchParams: '+' is a space, as PHP reads it) rather than let the package
  // split the URL with decodeURIComponent, which throws on a stray '%'.
  const data: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) addParam(data, k, v);
  if (input.body) for (const [k, v] of input.body) addParam(data, k, v);
  for (const key of Object.keys(data)) {
    if (key.startsWith('oauth_')) {
      throw new MWOAuthError(
        'invalid_argument',
        `The request parameter ${key} is reserved for the OAuth protocol; pass it through the signing options.`,
      );
    }
  }

  const oauthData: OAuth.Data & Record<string, string | number> = {
    oauth_consumer_key: consumer.key,
    oauth_nonce: input.nonce,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: input.timestamp,
    oauth_version: '1.0',
  };
  if (token !== null) oauthData.oauth_token = token.key;
  if (input.extra?.oauth_callback !== undefined) oauthData.oauth_callback = input.extra.oauth_callback;
  if (input.extra?.oauth_verifier !== undefined) oauthData.oauth_verifier = input.extra.oauth_verifier;

  // The base string URI (§3.4.1.2): scheme and host lower-cased and the default port dropped,
  // which URL already did; no query, no fragment.
  const request = { url: `${url.protocol}//${url.host}${url.pathname}`, method, data };
  // getParameterString merges into its second argument, so give it a copy.
  const baseString = oauth.getBaseString(request, { ...oauthData });
  const signature = oauth.getSignature(request, token?.secret, { ...oauthData });

  const oauthParams: Record<string, string> = {};
  for (const [k, v] of Object.entries(oauthData)) oauthParams[k] = String(v);
  oauthParams.oauth_signature = signature;
  return {
    authorization: oauth.toHeader({ ...oauthData, oauth_signature: signature }).Authorization,
    oauthParams,
    signature,
    baseString,
  };
}
