// One error class with a typed `code` (CONTRIBUTING.md). Callers branch on `code` (and, for errors the
// wiki reported, on `mediawikiCode`, MediaWiki's own message key); messages are for humans and say
// what to do where a fix is known. No message ever contains a secret: see `redactSecrets`.

/** Every `MWOAuthError.code`, as a list (for exhaustive tables and tests). */
export const MWOAUTH_ERROR_CODES = [
  /** A parameter is missing or malformed (a token without key or secret, a bad option). */
  'invalid_argument',
  /** `mwUri`/`apiUrl` or a callback URL cannot be parsed or is not http(s). */
  'invalid_url',
  /** No User-Agent: Wikimedia's policy requires a descriptive one with contact information. */
  'missing_user_agent',
  /** The wiki could not be reached (DNS, refused connection, TLS, reset). */
  'network',
  /** The overall deadline (connect + headers + body) passed. */
  'timeout',
  /** The answer was larger than the body cap. */
  'response_too_large',
  /** A non-2xx HTTP status without a MediaWiki error in it (proxy error pages, redirects, 503). */
  'http_error',
  /** HTTP 200 but not what the endpoint returns (an HTML page, truncated JSON, a missing field). */
  'unexpected_response',
  /** The wiki reported an error; `mediawikiCode` holds its message key, API error code or OAuth 2.0 `error`. */
  'mediawiki',
  /** The callback's `oauth_token` (1.0a) or `state` (2.0) is not the one this login started with. */
  'token_mismatch',
  /** The callback's query lacks `oauth_token`/`oauth_verifier` (2.0: `state`/`code`), or has one twice or empty. */
  'callback_invalid',
  /** initiate's answer lacks `oauth_callback_confirmed=true` (OAuth 1.0a, RFC 5849 §2.1). */
  'callback_not_confirmed',
  /** Special:OAuth/identify's JWT failed a check; `reason` says which. */
  'invalid_identity',
] as const;

export type MWOAuthErrorCode = (typeof MWOAUTH_ERROR_CODES)[number];

/** Which check an identify JWT failed (`MWOAuthError.reason` when `code` is `invalid_identity`). */
export const IDENTITY_FAILURE_REASONS = [
  'malformed',
  'alg',
  'signature',
  'aud',
  'iss',
  'exp',
  'iat_future',
  'iat_stale',
  'nonce',
  'claims',
] as const;

export type IdentityFailureReason = (typeof IDENTITY_FAILURE_REASONS)[number];

export interface MWOAuthErrorOptions {
  /** MediaWiki's message key (`mwoauthdatastore-bad-verifier`) or API error code (`maxlag`). */
  mediawikiCode?: string | null;
  /** The HTTP status of the answer that caused the error, when there was one. */
  status?: number | null;
  /**
   * When the wiki limited the rate (HTTP 429, or the API error `ratelimited`): the seconds its
   * Retry-After asked to wait before trying again, or null when it said none.
   */
  retryAfterS?: number | null;
  /** For `invalid_identity`: the failed check. */
  reason?: IdentityFailureReason | null;
  /**
   * What the answer turned out to be, when that explains the error: 'text/html' for an HTML page
   * where index.php or api.php should have sent text or JSON (judged from the body: wikis label
   * the identify JWT application/json, proxies label anything anyhow). It means the URL reaches
   * something else (a login wall, a proxy, the wrong path), not that the wiki is down.
   */
  contentType?: string | null;
  cause?: unknown;
}

/**
 * Marks an MWOAuthError across copies of this module: Next bundles proxy.ts, the pages and the route
 * handlers separately, each with its own copy of this class, while the app's flow is shared by the
 * process. A refresh that fails inside proxy.ts throws the other copy's class; without the brand it
 * is not `instanceof MWOAuthError` there, and is logged as an unexpected error with its stack.
 */
const MWOAUTH_ERROR_BRAND = Symbol.for('next-mwoauth.MWOAuthError');

export class MWOAuthError extends Error {
  override readonly name = 'MWOAuthError';
  readonly code: MWOAuthErrorCode;
  readonly mediawikiCode: string | null;
  readonly status: number | null;
  readonly reason: IdentityFailureReason | null;
  readonly contentType: string | null;
  readonly retryAfterS: number | null;

  constructor(code: MWOAuthErrorCode, message: string, options: MWOAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.mediawikiCode = options.mediawikiCode ?? null;
    this.status = options.status ?? null;
    this.reason = options.reason ?? null;
    this.contentType = options.contentType ?? null;
    this.retryAfterS = options.retryAfterS ?? null;
    Object.defineProperty(this, MWOAUTH_ERROR_BRAND, { value: true, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && Reflect.get(value, MWOAUTH_ERROR_BRAND) === true;
  }

  /** What JSON.stringify shows: code and message, never the cause (which may hold request data). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      mediawikiCode: this.mediawikiCode,
      status: this.status,
      reason: this.reason,
      contentType: this.contentType,
      retryAfterS: this.retryAfterS,
    };
  }
}

export function isMWOAuthError(value: unknown): value is MWOAuthError {
  return value instanceof MWOAuthError;
}

/**
 * Returns `error` with every occurrence of the given secrets replaced by `[redacted]` in its message.
 * Every public function passes its errors through this with the consumer and token secrets, so that
 * a wiki (or proxy) that echoes request data cannot make a secret reach a log.
 */
export function redactSecrets(error: unknown, secrets: readonly string[]): unknown {
  const present = secrets.filter((s) => s.length > 0);
  if (!(error instanceof MWOAuthError) || present.length === 0) return error;
  let message = error.message;
  for (const secret of present) message = message.split(secret).join('[redacted]');
  if (message === error.message) return error;
  return new MWOAuthError(error.code, message, {
    mediawikiCode: error.mediawikiCode,
    status: error.status,
    reason: error.reason,
    contentType: error.contentType,
    retryAfterS: error.retryAfterS,
    cause: error.cause,
  });
}
