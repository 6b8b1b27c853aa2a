// The one place a request leaves: a required User-Agent, the user's wiki cookies, and the options
// of the exchange itself (wire.ts: Node's http client or an injected fetch, one overall deadline,
// a cap on the body size).
import { MWOAuthError } from './errors.ts';
import { type Deadline, type FetchLike, viaFetch, viaNode, type WireRequest } from './wire.ts';

export { type Deadline, type FetchLike, remainingMs, startDeadline } from './wire.ts';

/** Options every request-making function takes. */
export interface HttpOptions {
  /**
   * Required: a descriptive User-Agent with contact information, per Wikimedia's policy
   * (https://meta.wikimedia.org/wiki/User-Agent_policy), e.g. `my-tool/1.2 (https://…; me@example.org)`.
   */
  userAgent: string;
  /**
   * A fetch to send the requests with (`globalThis.fetch`, or a test's fake). Default: Node's own
   * node:http and node:https, which cost less CPU per request than Node's fetch (no web streams).
   */
  fetch?: FetchLike;
  /** Overall deadline of one call, in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Largest accepted response body, in bytes. Default 5 MB. */
  maxResponseBytes?: number;
}

/**
 * Where the wiki's cookies for ONE user's requests are kept: what a request sends (`Cookie`) and
 * what the answer sets (`Set-Cookie`). Wikimedia's wikis set a `sessionJwt` cookie on OAuth 1.0a
 * and owner-only OAuth 2.0 requests, and count such requests against the user's rate-limit budget
 * (not the anonymous, per-IP one) only when it is sent back (Extension:OAuth a87d4516, T417833).
 * tough-cookie's `CookieJar` fits (`new CookieJar()`); give each user (each login) a jar of their
 * own, never one shared by several: a `sessionJwt` naming another user makes the wiki refuse the
 * request (mwoauth-invalid-authorization-jwt).
 */
export interface WikiCookieJar {
  /** The `Cookie` header for a request to `url` ('' for none). */
  getCookieString(url: string): Promise<string>;
  /** Stores one `Set-Cookie` header value the answer from `url` carried. */
  setCookie(cookie: string, url: string): Promise<unknown>;
  /** Forgets every cookie (after mwoauth-invalid-authorization-jwt). */
  removeAllCookies(): Promise<void>;
}

/** The `cookieJar` option of the calls made for a logged-in user (ApiClient, identify, fetchProfile). */
export interface CookieJarOption {
  /**
   * The user's cookie jar (WikiCookieJar): its cookies go with each request, and the cookies the
   * wiki sets are stored in it. Default: none (no cookie sent or kept). Never given to the
   * handshake's requests (initiate, complete, the OAuth 2.0 token endpoint).
   */
  cookieJar?: WikiCookieJar | null;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** A form-encoded body, sent as application/x-www-form-urlencoded. */
  body?: URLSearchParams | null;
  /** The user's cookie jar: read for the `Cookie` header, given the answer's `Set-Cookie`s. */
  cookies?: WikiCookieJar | null;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

const EXAMPLE_USER_AGENT = 'my-tool/1.0 (https://example.org/my-tool; me@example.org)';

function missingUserAgent(): MWOAuthError {
  return new MWOAuthError(
    'missing_user_agent',
    `A User-Agent is required: pass userAgent, e.g. "${EXAMPLE_USER_AGENT}", ` +
      "as Wikimedia's User-Agent policy asks (https://meta.wikimedia.org/wiki/User-Agent_policy).",
  );
}

/**
 * The options object of a call to the wiki, checked before it is read: a JavaScript caller may
 * leave it out (the User-Agent, the one required option, is then missing) or pass the User-Agent
 * string itself.
 */
export function checkRequestOptions<T extends HttpOptions>(options: T | null | undefined, fn: string): T {
  if (options === undefined || options === null) throw missingUserAgent();
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new MWOAuthError(
      'invalid_argument',
      `The options of ${fn} must be an object, e.g. { userAgent: "${EXAMPLE_USER_AGENT}" } (got ${typeof options}).`,
    );
  }
  return options;
}

/** Checks the User-Agent before anything is sent. */
export function checkUserAgent(userAgent: unknown): string {
  if (typeof userAgent !== 'string' || userAgent.trim() === '') throw missingUserAgent();
  if (/[\r\n\0]/.test(userAgent)) {
    throw new MWOAuthError('invalid_argument', 'The User-Agent must not contain line breaks or NUL.');
  }
  return userAgent.trim();
}

/** Validated transport settings, resolved once per call. */
export interface Transport {
  userAgent: string;
  /** null: node:http and node:https. */
  fetch: FetchLike | null;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** `value`, or `fallback` when it is undefined; NaN, infinities, 0 and negatives are refused, naming the option. */
export function positiveNumber(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new MWOAuthError('invalid_argument', `${name} must be a positive number (got ${String(value)}).`);
  }
  return value;
}

export function resolveTransport(options: HttpOptions): Transport {
  const userAgent = checkUserAgent(options.userAgent);
  const fetchImpl = options.fetch ?? null;
  if (fetchImpl !== null && typeof fetchImpl !== 'function') {
    throw new MWOAuthError(
      'invalid_argument',
      `options.fetch must be a function such as globalThis.fetch (got ${typeof fetchImpl}); leave it out to send with node:http.`,
    );
  }
  return {
    userAgent,
    fetch: fetchImpl,
    timeoutMs: positiveNumber(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs'),
    maxResponseBytes: positiveNumber(
      options.maxResponseBytes,
      DEFAULT_MAX_RESPONSE_BYTES,
      'maxResponseBytes',
    ),
  };
}

/**
 * Sends one request and reads the whole answer before `deadline`. Redirects are not followed: a
 * signed request must go to the URL it was signed for (the wiki checks the URL against $wgServer).
 */
export async function send(
  request: HttpRequest,
  transport: Transport,
  deadline: Deadline,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...request.headers, 'User-Agent': transport.userAgent };
  const jar = request.cookies ?? null;
  if (jar !== null) {
    const cookie = await jar.getCookieString(request.url);
    if (cookie !== '') headers.Cookie = cookie;
  }
  let body: string | undefined;
  if (request.method === 'POST') {
    body = request.body ? request.body.toString() : '';
    if (request.body) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  const wire: WireRequest = {
    method: request.method,
    url: new URL(request.url),
    href: request.url,
    headers,
    body,
    deadline,
    maxBytes: transport.maxResponseBytes,
  };
  const answer = transport.fetch === null ? await viaNode(wire) : await viaFetch(wire, transport.fetch);
  if (jar !== null) {
    // A cookie the jar refuses (another domain, a public suffix, malformed) is dropped, as a browser does.
    for (const set of answer.headers.getSetCookie()) {
      await jar.setCookie(set, request.url).catch(() => undefined);
    }
  }
  return answer;
}

/**
 * Waits `ms`. It does not know the deadline: the caller decides first whether the wait fits
 * (ApiClient gives up when a retry's wait would not leave time for the retry; a test's injected
 * sleep replaces this one, so the check cannot live here).
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
