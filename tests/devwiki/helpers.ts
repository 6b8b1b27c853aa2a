// A small OAuth 1.0a client for the devwiki tests: signs requests (RFC 5849 §3.4, via the base-string
// and HMAC primitives whose output tests/devwiki/signing.test.ts checks against every recorded
// signature), sends them over HTTP, and walks the handshake.
import { randomBytes } from 'node:crypto';
import {
  formPairs,
  hmacSha1,
  percentEncode,
  signatureBaseString,
  type OAuthSources,
  type Pair,
} from '../../devwiki/oauth1';
import type { Devwiki } from '../../devwiki';

export interface KeyPair {
  key: string;
  secret: string;
}

export interface SignedRequest {
  method?: 'GET' | 'POST';
  url: string;
  consumer: KeyPair;
  token?: KeyPair | null;
  /** Extra oauth_* parameters, e.g. oauth_callback, oauth_verifier. */
  oauth?: Record<string, string>;
  /** Form body fields (sent as application/x-www-form-urlencoded). */
  form?: ReadonlyArray<Pair> | null;
  placement?: 'header' | 'query' | 'body';
  nonce?: string;
  /** Seconds since epoch; default now. */
  timestamp?: number;
  signatureMethod?: string;
  /** The origin the signature base string is built for; default the URL's own. */
  signFor?: string;
  /** Overrides the computed signature. */
  signature?: string;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  contentType: string | null;
  headers: Headers;
  body: string;
}

export function freshNonce(): string {
  return randomBytes(12).toString('hex');
}

export async function reply(res: Response): Promise<Reply> {
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    headers: res.headers,
    body: await res.text(),
  };
}

/** Signs and sends one request; returns the raw reply (no redirects followed). */
export async function signedFetch(r: SignedRequest): Promise<Reply> {
  const method = r.method ?? 'POST';
  const url = new URL(r.url);
  const placement = r.placement ?? 'header';
  const oauth: Array<[string, string]> = [
    ['oauth_consumer_key', r.consumer.key],
    ['oauth_nonce', r.nonce ?? freshNonce()],
    ['oauth_signature_method', r.signatureMethod ?? 'HMAC-SHA1'],
    ['oauth_timestamp', String(r.timestamp ?? Math.floor(Date.now() / 1000))],
    ['oauth_version', '1.0'],
  ];
  if (r.token != null) oauth.push(['oauth_token', r.token.key]);
  for (const [k, v] of Object.entries(r.oauth ?? {})) oauth.push([k, v]);
  const query = formPairs(url.search.slice(1));
  const form = [...(r.form ?? [])];
  const src: OAuthSources = {
    method,
    path: url.pathname,
    query: placement === 'query' ? [...query, ...oauth] : query,
    body: placement === 'body' ? [...form, ...oauth] : form,
    header: placement === 'header' ? oauth : null,
  };
  const tokenSecret = r.token?.secret ?? '';
  const signature =
    r.signature ??
    (r.signatureMethod === 'PLAINTEXT'
      ? `${percentEncode(r.consumer.secret)}&${percentEncode(tokenSecret)}`
      : hmacSha1(signatureBaseString(src, r.signFor ?? url.origin), r.consumer.secret, tokenSecret));
  const signed: Array<[string, string]> = [...oauth, ['oauth_signature', signature]];
  const headers: Record<string, string> = { 'User-Agent': 'devwiki-tests/1.0', ...r.headers };
  let body: string | undefined;
  if (placement === 'header') {
    headers.Authorization = 'OAuth ' + signed.map(([k, v]) => `${k}="${percentEncode(v)}"`).join(', ');
  } else if (placement === 'query') {
    for (const [k, v] of signed) url.searchParams.append(k, v);
  }
  const bodyPairs = placement === 'body' ? [...form, ...signed] : form;
  if (method === 'POST') {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = bodyPairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
  }
  return reply(await fetch(url, { method, headers, body, redirect: 'manual' }));
}

/** Parses an `a=b&c=d` token body; throws with the body when it is an error. */
export function tokenFrom(body: string): KeyPair {
  const p = new URLSearchParams(body);
  const key = p.get('oauth_token');
  const secret = p.get('oauth_token_secret');
  if (key === null || secret === null) throw new Error(`not a token response: ${body}`);
  return { key, secret };
}

export async function initiate(wiki: Devwiki, consumer: KeyPair, callback = 'oob'): Promise<KeyPair> {
  const r = await signedFetch({
    url: `${wiki.indexUrl}?title=Special%3AOAuth%2Finitiate`,
    consumer,
    oauth: { oauth_callback: callback },
  });
  return tokenFrom(r.body);
}

export function authorizeUrl(wiki: Devwiki, consumer: KeyPair, requestToken: KeyPair): string {
  return `${wiki.indexUrl}?title=Special%3AOAuth%2Fauthorize&oauth_token=${requestToken.key}&oauth_consumer_key=${consumer.key}`;
}

export async function exchange(
  wiki: Devwiki,
  consumer: KeyPair,
  requestToken: KeyPair,
  verifier: string,
): Promise<Reply> {
  return signedFetch({
    url: `${wiki.indexUrl}?title=Special%3AOAuth%2Ftoken`,
    consumer,
    token: requestToken,
    oauth: { oauth_verifier: verifier },
  });
}

/** initiate -> approve as `user` -> token: the whole three-legged flow. */
export async function handshake(
  wiki: Devwiki,
  consumer: KeyPair,
  user = 'Alice',
): Promise<{ requestToken: KeyPair; accessToken: KeyPair; callback: URL }> {
  const requestToken = await initiate(wiki, consumer);
  const callback = new URL(await wiki.approve(authorizeUrl(wiki, consumer, requestToken), user));
  const verifier = callback.searchParams.get('oauth_verifier') ?? '';
  const accessToken = tokenFrom((await exchange(wiki, consumer, requestToken, verifier)).body);
  return { requestToken, accessToken, callback };
}

/** Logs in through Special:UserLogin like a browser; returns the session cookie. */
export async function loginCookie(wiki: Devwiki, user: string): Promise<string> {
  const res = await fetch(`${wiki.indexUrl}?title=Special:UserLogin`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ wpName: user, wpPassword: 'x' }).toString(),
    redirect: 'manual',
  });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** The value of a hidden input of the authorize form (e.g. wpEditToken). */
export function hiddenField(html: string, name: string): string | null {
  const input = new RegExp(`<input[^>]*name="${name.replace(/[[\]]/g, '\\$&')}"[^>]*>`).exec(html)?.[0];
  const value = input === undefined ? undefined : /value="([^"]*)"/.exec(input)?.[1];
  return value === undefined
    ? null
    : value
        .replace(/&quot;/g, '"')
        .replace(/&#039;/g, "'")
        .replace(/&amp;/g, '&');
}

export function decodeJwtPart(jwt: string, part: 0 | 1): Record<string, unknown> {
  const segment = jwt.split('.')[part] ?? '';
  const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('not a JWT object');
  return Object.fromEntries(Object.entries(value));
}
