// OAuth 1.0a request parsing and HMAC-SHA1 signature verification, written from RFC 5849 §3.4-§3.6
// with node:crypto. Deliberately independent of lib/mwoauth and of the oauth-1.0a package, so that
// devwiki is a second opinion on the client's signing, not a copy of it.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** One name/value pair, decoded. Order and duplicates are kept (RFC 5849 §3.4.1.3.1). */
export type Pair = readonly [string, string];

/** RFC 5849 §3.6: percent-encode every byte of the UTF-8 form except ALPHA, DIGIT, '-', '.', '_', '~'. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** application/x-www-form-urlencoded pairs ('+' is a space), as PHP's and MediaWiki's parsers read them. */
export function formPairs(encoded: string): Pair[] {
  return [...new URLSearchParams(encoded)];
}

/**
 * RFC 5849 §3.5.1: `Authorization: OAuth name="value", ...`, values percent-encoded. `realm` is not
 * a protocol parameter. MediaWiki only looks at a header starting with exactly 'OAuth '
 * (MWOAuthRequest::fromRequest). Returns null when the header is not an OAuth one.
 */
export function parseAuthorizationHeader(header: string | undefined): Pair[] | null {
  if (header === undefined || !header.startsWith('OAuth ')) return null;
  const pairs: Pair[] = [];
  const re = /([A-Za-z0-9_.~-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g;
  for (const m of header.slice('OAuth '.length).matchAll(re)) {
    const name = percentDecode(m[1] ?? '');
    if (name === 'realm') continue;
    pairs.push([name, percentDecode(m[2] ?? m[3] ?? '')]);
  }
  return pairs;
}

/** Where the request's parameters came from: query, form body, Authorization header (RFC 5849 §3.4.1.3.1). */
export interface OAuthSources {
  method: string;
  /** The request path as sent, without the query: the base string URI is built from it. */
  path: string;
  query: Pair[];
  /** Only for POST with Content-Type application/x-www-form-urlencoded; otherwise []. */
  body: Pair[];
  /** null when there is no `Authorization: OAuth` header. */
  header: Pair[] | null;
}

/**
 * The value of one parameter as MediaWiki's OAuthRequest sees it: the header overrides the body,
 * which overrides the query (MWOAuthRequest::fromRequest merges them in that order).
 */
export function oauthParam(sources: OAuthSources, name: string): string | null {
  for (const list of [sources.header ?? [], sources.body, sources.query]) {
    for (const [k, v] of list) if (k === name) return v;
  }
  return null;
}

/** RFC 5849 §3.4.1.3.2: encode, sort by name then value, join. */
export function normalizedParameters(pairs: readonly Pair[]): string {
  return pairs
    .filter(([k]) => k !== 'oauth_signature')
    .map(([k, v]): [string, string] => [percentEncode(k), percentEncode(v)])
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/**
 * RFC 5849 §3.4.1: METHOD&base-string-URI&normalized-parameters. The base string URI is built from
 * the wiki's configured server ($wgServer), never from the Host header (fixture 20).
 */
export function signatureBaseString(sources: OAuthSources, server: string): string {
  const all: Pair[] = [...sources.query, ...sources.body, ...(sources.header ?? [])];
  const uri = new URL(server);
  const baseUri = `${uri.protocol}//${uri.host.toLowerCase()}${sources.path}`;
  return [
    sources.method.toUpperCase(),
    percentEncode(baseUri),
    percentEncode(normalizedParameters(all)),
  ].join('&');
}

/** RFC 5849 §3.4.2: HMAC-SHA1 keyed with encode(consumer secret) & encode(token secret), base64. */
export function hmacSha1(baseString: string, consumerSecret: string, tokenSecret: string): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(baseString).digest('base64');
}

/** Compares in constant time, so the check does not leak how much of a forged signature was right. */
export function signatureMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
