// The one place a request leaves: an injectable fetch, a required User-Agent, an overall deadline
// that covers connecting, the headers AND the body (a wiki that trickles a byte a second cannot hang
// the caller), and a cap on the body size (a 50 MB answer cannot exhaust memory).
import { MWOAuthError } from './errors.ts';

/** What the library needs of fetch; `globalThis.fetch` fits. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Options every request-making function takes. */
export interface HttpOptions {
  /**
   * Required: a descriptive User-Agent with contact information, per Wikimedia's policy
   * (https://meta.wikimedia.org/wiki/User-Agent_policy), e.g. `my-tool/1.2 (https://…; me@example.org)`.
   */
  userAgent: string;
  /** Default: globalThis.fetch. */
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
  fetch: FetchLike;
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
  const fetchImpl: FetchLike | undefined = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw new MWOAuthError('invalid_argument', 'No fetch available: pass options.fetch.');
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

/** An absolute point in time (performance.now() milliseconds) by which a call must be over. */
export interface Deadline {
  at: number;
  timeoutMs: number;
}

export function startDeadline(timeoutMs: number): Deadline {
  return { at: performance.now() + timeoutMs, timeoutMs };
}

export function remainingMs(deadline: Deadline): number {
  return Math.max(0, deadline.at - performance.now());
}

function timeoutError(url: URL, deadline: Deadline): MWOAuthError {
  return new MWOAuthError(
    'timeout',
    `No complete answer from ${url.origin} within ${deadline.timeoutMs} ms; the wiki may be down or slow. ` +
      'Try again later, or raise timeoutMs.',
  );
}

async function readCapped(response: Response, maxBytes: number, url: URL): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder('utf-8').decode(all);
}

function tooLarge(url: URL, maxBytes: number): MWOAuthError {
  return new MWOAuthError(
    'response_too_large',
    `The answer from ${url.origin}${url.pathname} is larger than ${maxBytes} bytes; ` +
      'ask for less (e.g. a smaller limit) or raise maxResponseBytes.',
  );
}

function networkError(url: URL, cause: unknown): MWOAuthError {
  const detail =
    cause instanceof Error && cause.cause instanceof Error
      ? cause.cause.message
      : cause instanceof Error
        ? cause.message
        : String(cause);
  return new MWOAuthError(
    'network',
    `Could not reach ${url.origin}: ${detail}. Check the wiki URL and the network.`,
    {
      cause,
    },
  );
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
  const url = new URL(request.url);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timeoutError(url, deadline));
      controller.abort();
    }, remainingMs(deadline));
  });
  // A failed fetch or body read: our own errors (deadline, size cap) as they are, an abort as the
  // deadline, anything else as the network.
  const failed = (cause: unknown): MWOAuthError => {
    if (cause instanceof MWOAuthError) return cause;
    if (controller.signal.aborted) return timeoutError(url, deadline);
    return networkError(url, cause);
  };
  const headers: Record<string, string> = { ...request.headers, 'User-Agent': transport.userAgent };
  const jar = request.cookies ?? null;
  if (jar !== null) {
    const cookie = await jar.getCookieString(request.url);
    if (cookie !== '') headers.Cookie = cookie;
  }
  let body: string | undefined;
  if (request.body) {
    body = request.body.toString();
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  let complete = false;
  try {
    let response: Response;
    try {
      response = await Promise.race([
        transport.fetch(request.url, {
          method: request.method,
          headers,
          body: request.method === 'POST' ? (body ?? '') : undefined,
          redirect: 'manual',
          signal: controller.signal,
        }),
        expired,
      ]);
    } catch (cause) {
      throw failed(cause);
    }
    if (jar !== null) {
      // A cookie the jar refuses (another domain, a public suffix, malformed) is dropped, as a browser does.
      for (const set of response.headers.getSetCookie())
        await jar.setCookie(set, request.url).catch(() => undefined);
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > transport.maxResponseBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(url, transport.maxResponseBytes);
    }
    let text: string;
    try {
      text = await Promise.race([readCapped(response, transport.maxResponseBytes, url), expired]);
    } catch (cause) {
      throw failed(cause);
    }
    complete = true;
    return { status: response.status, headers: response.headers, text };
  } finally {
    clearTimeout(timer);
    // Frees the connection if we stopped early (too large, timeout, an error). Not after a full
    // read: the connection is already back in the pool, and an abort is not free (a DOMException
    // with its stack, and an abort event through undici's listeners: a few hundredths of a
    // millisecond a call, seen in a CPU profile of identify for BENCHMARKS.md).
    if (!complete && !controller.signal.aborted) controller.abort();
  }
}

/**
 * Waits `ms`. It does not know the deadline: the caller decides first whether the wait fits
 * (ApiClient gives up when a retry's wait would not leave time for the retry; a test's injected
 * sleep replaces this one, so the check cannot live here).
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
