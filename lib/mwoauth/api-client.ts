// Requests to a wiki's action API (api.php) on behalf of the user who holds the access token:
// signed with OAuth 1.0a, or with an OAuth 2.0 Bearer token (`auth: { bearer }`, fixtures o2-11,
// o2-12); the methods are the same. An access token authorized on one Wikimedia wiki works on all of
// them, so any api.php URL may be given. format=json&formatversion=2 are added; POST bodies are
// form-encoded (and, with 1.0a, signed: fixture 10).
// Retries are bounded: maxlag errors, HTTP 429 and `ratelimited` with a Retry-After (and, for GETs
// only, 503) are retried after Retry-After while the wait fits in the call's deadline; past that the
// error carries `retryAfterS`
// (https://www.mediawiki.org/wiki/Manual:Maxlag_parameter).
import { MWOAuthError, redactSecrets } from './errors.ts';
import {
  type CookieJarOption,
  type Deadline,
  type HttpResponse,
  positiveNumber,
  remainingMs,
  resolveTransport,
  sleep as realSleep,
  startDeadline,
  type Transport,
} from './http.ts';
import {
  apiError,
  edgeTokenError,
  htmlPageError,
  httpStatusError,
  withRateLimit,
} from './mediawiki-errors.ts';
import {
  type Authorizer,
  bearerAuthorizer,
  oauth1Authorizer,
  type RequestOptions,
  sendAuthorized,
} from './oauth-request.ts';
import { type AccessToken, type ConsumerToken, toToken } from './tokens.ts';
import { parseHttpUrl } from './wiki-urls.ts';

/** A parameter value: lists are joined with '|' (or U+001F when a value holds '|'); true is sent as ''; false, null and undefined are left out. */
export type ApiParamValue = string | number | boolean | readonly (string | number)[] | null | undefined;
export type ApiParams = Record<string, ApiParamValue>;

/** A decoded API answer (a JSON object). Narrow its fields before use. */
export type ApiResponse = Record<string, unknown>;

export type ApiAssert = 'user' | 'bot' | 'anon';

/**
 * How requests are authorized: OAuth 1.0a (the consumer and the user's access token; each request
 * signed) or OAuth 2.0 (the user's access token, sent as `Authorization: Bearer`).
 */
export type ApiAuth =
  { readonly consumer: ConsumerToken; readonly accessToken: AccessToken } | { readonly bearer: string };

export interface ApiClientOptions extends RequestOptions, CookieJarOption {
  /** The wiki's api.php, e.g. https://meta.wikimedia.org/w/api.php. */
  apiUrl: string;
  /** OAuth 1.0a `{ consumer, accessToken }` or OAuth 2.0 `{ bearer }`. Or give consumer and accessToken here. */
  auth?: ApiAuth;
  /** OAuth 1.0a: the consumer, beside accessToken (the same as auth: { consumer, accessToken }). */
  consumer?: ConsumerToken;
  /** OAuth 1.0a: the user's access token, beside consumer. */
  accessToken?: AccessToken;
  /** Retries after a maxlag error or HTTP 429 (GETs: also 503). Default 2. */
  maxRetries?: number;
  /** Longest single wait the client accepts before a retry, in ms (> 0). Default 5 000. */
  maxRetryWaitMs?: number;
  /** Adds maxlag=<seconds> (a whole number >= 1) to every request (Wikimedia asks bots for 5). Default: not sent. */
  maxlag?: number | null;
  /** Adds assert=<value> to every request (the API fails with assertuserfailed if the token no longer logs in). */
  assert?: ApiAssert | null;
  /** How to wait before a retry; replace in tests. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ApiCallOptions {
  /** assert=user|bot|anon for this request, overriding the client's default; null for none. */
  assert?: ApiAssert | null;
}

export interface QueryAllOptions extends ApiCallOptions {
  /** Stop after this many requests. Default 50. The last page yielded then still has `continue`. */
  maxPages?: number;
}

const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_MAX_RETRY_WAIT_MS = 5_000;
const DEFAULT_MAX_PAGES = 50;
/** Wait when the wiki says 503/429 without Retry-After. */
const DEFAULT_RETRY_WAIT_MS = 1_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A call's arguments as a JavaScript caller may pass them: params must be an object (else nothing
 * would be sent but format=json); options may be null, meaning none. Returns the options.
 */
function checkCallArgs<T extends ApiCallOptions>(
  params: ApiParams,
  options: T | null,
  fn: string,
): T | ApiCallOptions {
  if (!isObject(params)) {
    throw new MWOAuthError(
      'invalid_argument',
      `${fn} takes the API parameters as an object, e.g. { action: 'query', meta: 'userinfo' }.`,
    );
  }
  if (options === null) return {};
  if (!isObject(options)) {
    throw new MWOAuthError(
      'invalid_argument',
      `The options of ${fn} must be an object, e.g. { assert: 'user' }.`,
    );
  }
  return options;
}

/** Encodes API parameters (MediaWiki's multi-value convention: '|', or U+001F first when a value contains '|'). */
export function encodeApiParams(params: ApiParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === false) continue;
    if (value === true) out.append(name, '');
    else if (typeof value === 'string' || typeof value === 'number') out.append(name, String(value));
    else {
      const items = value.map(String);
      out.append(
        name,
        items.some((v) => v.includes('|')) ? `\u001f${items.join('\u001f')}` : items.join('|'),
      );
    }
  }
  return out;
}

/** Seconds or an HTTP date, as ms from now; null when absent or unreadable. */
function retryAfterMs(response: HttpResponse): number | null {
  const value = response.headers.get('retry-after');
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** The Authorizer for the options' `auth` (or their `consumer` + `accessToken`), checked. */
function authorizerFor(options: ApiClientOptions): Authorizer {
  const auth: unknown = options.auth;
  const loose = options.consumer !== undefined || options.accessToken !== undefined;
  if (auth === undefined) {
    if (!loose) {
      throw new MWOAuthError(
        'invalid_argument',
        'new ApiClient needs credentials: auth: { bearer: accessToken } (OAuth 2.0) or ' +
          'auth: { consumer, accessToken } (OAuth 1.0a; consumer and accessToken may also be given beside apiUrl).',
      );
    }
    return oauth1Authorizer(
      toToken(options.consumer, 'consumer'),
      toToken(options.accessToken, 'access token'),
    );
  }
  if (loose) {
    throw new MWOAuthError(
      'invalid_argument',
      'new ApiClient takes auth or consumer + accessToken, not both: move them into auth.',
    );
  }
  if (!isObject(auth)) {
    throw new MWOAuthError(
      'invalid_argument',
      'auth must be an object: { bearer: accessToken } (OAuth 2.0) or { consumer, accessToken } (OAuth 1.0a).',
    );
  }
  if ('bearer' in auth) {
    if ('consumer' in auth || 'accessToken' in auth) {
      throw new MWOAuthError(
        'invalid_argument',
        'auth is either { bearer } (OAuth 2.0) or { consumer, accessToken } (OAuth 1.0a), not both.',
      );
    }
    return bearerAuthorizer(auth.bearer);
  }
  return oauth1Authorizer(toToken(auth.consumer, 'consumer'), toToken(auth.accessToken, 'access token'));
}

export class ApiClient {
  readonly apiUrl: string;
  readonly #authorizer: Authorizer;
  readonly #options: ApiClientOptions;
  readonly #transport: Transport;
  readonly #maxRetries: number;
  readonly #maxRetryWaitMs: number;
  readonly #maxlag: number | null;

  constructor(options: ApiClientOptions) {
    if (!isObject(options)) {
      throw new MWOAuthError(
        'invalid_argument',
        'new ApiClient takes an options object { apiUrl, consumer, accessToken, userAgent } (OAuth 1.0a) or ' +
          '{ apiUrl, auth: { bearer }, userAgent } (OAuth 2.0), e.g. apiUrl "https://meta.wikimedia.org/w/api.php".',
      );
    }
    const url = parseHttpUrl(options.apiUrl, "wiki's api.php URL (apiUrl)");
    if (url.search !== '' || url.hash !== '') {
      throw new MWOAuthError('invalid_url', 'apiUrl must be the api.php URL without query or fragment.');
    }
    this.apiUrl = url.toString();
    this.#authorizer = authorizerFor(options);
    this.#transport = resolveTransport(options);
    const retries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) {
      throw new MWOAuthError('invalid_argument', 'maxRetries must be a whole number from 0 to 10.');
    }
    this.#maxRetries = retries;
    // Unchecked, NaN would lift the cap (every `wait > NaN` is false) and a negative cap stop all retries.
    this.#maxRetryWaitMs = positiveNumber(
      options.maxRetryWaitMs,
      DEFAULT_MAX_RETRY_WAIT_MS,
      'maxRetryWaitMs',
    );
    // api.php reads maxlag as an integer (Manual:Maxlag_parameter): a fraction or NaN would fail every
    // call, and a value below 1 is only good for testing the maxlag error.
    const maxlag = options.maxlag ?? null;
    if (maxlag !== null && (!Number.isInteger(maxlag) || maxlag < 1)) {
      throw new MWOAuthError(
        'invalid_argument',
        `maxlag must be a whole number of seconds of at least 1, e.g. 5 (got ${String(maxlag)}).`,
      );
    }
    this.#maxlag = maxlag;
    this.#options = { ...options };
  }

  /** The authorization scheme: 'oauth1' (signed requests) or 'bearer' (OAuth 2.0). */
  get scheme(): Authorizer['scheme'] {
    return this.#authorizer.scheme;
  }

  /** A GET (signed, or with the Bearer token); use it for reads (action=query). */
  get(params: ApiParams, options: ApiCallOptions = {}): Promise<ApiResponse> {
    return this.#call('GET', params, options);
  }

  /** A POST with a form-encoded body; use it for writes (action=edit with a csrf token). */
  post(params: ApiParams, options: ApiCallOptions = {}): Promise<ApiResponse> {
    return this.#call('POST', params, options);
  }

  /** A token from meta=tokens, e.g. getToken('csrf') for edits (needed even with OAuth: fixture 09-10). */
  async getToken(type: string = 'csrf'): Promise<string> {
    const answer = await this.get({ action: 'query', meta: 'tokens', type });
    const query = answer.query;
    const tokens = isObject(query) ? query.tokens : undefined;
    const token = isObject(tokens) ? tokens[`${type}token`] : undefined;
    if (typeof token !== 'string' || token === '') {
      throw new MWOAuthError('unexpected_response', `The API returned no ${type} token.`);
    }
    return token;
  }

  /**
   * Follows query continuation (https://www.mediawiki.org/wiki/API:Continue): yields each answer,
   * then sends the original parameters plus its `continue` values, until there is none or maxPages
   * requests were made.
   */
  async *queryAll(
    params: ApiParams,
    options: QueryAllOptions = {},
  ): AsyncGenerator<ApiResponse, void, undefined> {
    options = checkCallArgs(params, options, 'queryAll');
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    if (!Number.isInteger(maxPages) || maxPages < 1) {
      throw new MWOAuthError('invalid_argument', 'maxPages must be a whole number of at least 1.');
    }
    const first: ApiParams = { action: 'query', ...params };
    let next = first;
    for (let page = 0; page < maxPages; page++) {
      const answer = await this.get(next, options);
      yield answer;
      const cont = answer.continue;
      if (!isObject(cont)) return;
      const extra: ApiParams = {};
      for (const [k, v] of Object.entries(cont)) {
        if (typeof v === 'string' || typeof v === 'number') extra[k] = v;
      }
      // Into the ORIGINAL request, not the previous one: the continue keys change between pages
      // (rvcontinue, then gapcontinue), and a stale one would resume the wrong module (API:Continue).
      next = { ...first, ...extra };
    }
  }

  async #call(method: 'GET' | 'POST', params: ApiParams, options: ApiCallOptions): Promise<ApiResponse> {
    options = checkCallArgs(params, options, method === 'GET' ? 'get' : 'post');
    try {
      const assert = options.assert === undefined ? (this.#options.assert ?? null) : options.assert;
      const all: ApiParams = {
        format: 'json',
        formatversion: 2,
        ...params,
        ...(assert === null ? {} : { assert }),
        ...(this.#maxlag === null ? {} : { maxlag: this.#maxlag }),
      };
      const encoded = encodeApiParams(all);
      const url = new URL(this.apiUrl);
      if (method === 'GET') url.search = encoded.toString();
      const deadline = startDeadline(this.#transport.timeoutMs);
      const jar = this.#options.cookieJar ?? null;
      let jarCleared = false;
      for (let attempt = 0; ; attempt++) {
        // 1.0a: a fresh nonce and timestamp each attempt: the wiki refuses a nonce twice (fixture 18b).
        const { response } = await sendAuthorized(
          { method, url: url.toString(), body: method === 'POST' ? encoded : null },
          this.#authorizer,
          this.#options,
          this.#transport,
          deadline,
          jar,
        );
        const interpreted = this.#interpret(response);
        if (!(interpreted instanceof MWOAuthError)) return interpreted;
        const outcome = withRateLimit(interpreted, response);
        // The jar's sessionJwt names another user than the token, or is not the wiki's (Extension:OAuth
        // a87d4516): the SessionProvider refused before any module ran, so forget the jar and send
        // once more without it; the wiki then sets the right one.
        if (outcome.mediawikiCode === 'mwoauth-invalid-authorization-jwt' && jar !== null && !jarCleared) {
          jarCleared = true;
          await jar.removeAllCookies();
          continue;
        }
        const wait = this.#retryWait(method, response, outcome, attempt, deadline);
        if (wait === null) throw outcome;
        await (this.#options.sleep ?? realSleep)(wait);
      }
    } catch (error) {
      throw redactSecrets(error, this.#authorizer.secrets);
    }
  }

  /** The answer, or the error it carries. */
  #interpret(response: HttpResponse): ApiResponse | MWOAuthError {
    // Wikimedia's traffic layer refuses an expired Bearer token before api.php runs (edgeTokenError).
    const refused = edgeTokenError(response);
    if (refused !== null) return refused;
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      json = undefined;
    }
    const error = apiError(response, json, this.#authorizer.scheme);
    if (error !== null) return error;
    if (response.status < 200 || response.status >= 300) {
      return /^\s*</.test(response.text)
        ? htmlPageError(response, 'an API answer')
        : httpStatusError(response, 'an API answer');
    }
    if (!isObject(json)) {
      return /^\s*</.test(response.text)
        ? htmlPageError(response, 'an API answer')
        : new MWOAuthError(
            'unexpected_response',
            'The API answer is not a JSON object. Check apiUrl (it should end in api.php).',
            {
              status: response.status,
            },
          );
    }
    return json;
  }

  /**
   * How long to wait before retrying, or null to give up now. A POST is retried only when the
   * request surely did nothing: a maxlag error (ApiMain refuses before running the module) or a 429
   * (refused, RFC 6585 §4). A 503 may come from a proxy after the wiki saved an edit, so re-sending
   * a POST then could apply it twice; a GET is safe to repeat.
   */
  #retryWait(
    method: 'GET' | 'POST',
    response: HttpResponse,
    error: MWOAuthError,
    attempt: number,
    deadline: Deadline,
  ): number | null {
    // `ratelimited` (MediaWiki's $wgRateLimits, refused before the module acted) only when the wiki
    // says how long to wait: API:Etiquette asks clients to back off, not to guess.
    const retriable =
      error.mediawikiCode === 'maxlag' ||
      response.status === 429 ||
      (error.mediawikiCode === 'ratelimited' && retryAfterMs(response) !== null) ||
      (response.status === 503 && method === 'GET');
    if (!retriable || attempt >= this.#maxRetries) return null;
    const wait = retryAfterMs(response) ?? DEFAULT_RETRY_WAIT_MS;
    // Honour Retry-After: never retry sooner than asked; give up if the wait is over the cap or
    // would leave no time for the retry itself before the deadline.
    if (wait > this.#maxRetryWaitMs || wait >= remainingMs(deadline)) return null;
    return wait;
  }
}
