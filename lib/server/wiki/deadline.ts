import 'server-only';
import {
  ApiClient,
  MWOAuthError,
  type ApiCallOptions,
  type ApiClientOptions,
  type ApiParams,
  type ApiResponse,
} from 'mwoauth';
import type { AppConfig } from '../config';

// How long one request of ours may spend on the wiki, and lib/mwoauth's options bound to it.

/**
 * The time one request of ours may spend on the wiki: MW_TIMEOUT_MS for ALL its calls together
 * (the callback's complete + identify, the sandbox's token + edit), so a slow wiki cannot make one
 * request last a multiple of it. Each call is given what is left as its lib/mwoauth `timeoutMs`.
 */
export class WikiDeadline {
  readonly #end: number;
  readonly #totalMs: number;

  constructor(totalMs: number) {
    this.#totalMs = totalMs;
    this.#end = performance.now() + totalMs;
  }

  /** Milliseconds left; throws MWOAuthError `timeout` when none are (the next call cannot start). */
  remainingMs(): number {
    const left = Math.ceil(this.#end - performance.now());
    if (left <= 0) {
      throw new MWOAuthError(
        'timeout',
        `The wiki used up this request's ${this.#totalMs} ms (MW_TIMEOUT_MS) before its last call could start; the wiki may be slow. Try again later, or raise MW_TIMEOUT_MS.`,
      );
    }
    return left;
  }
}

/** Starts the deadline of one request of ours (call it once per request, before the first call). */
export function startWikiDeadline(config: AppConfig): WikiDeadline {
  return new WikiDeadline(config.wikiTimeoutMs);
}

/**
 * Options every lib/mwoauth call of the app takes: who we are, and how long the wiki may take: what
 * is left of `deadline` (default: a deadline of its own, for a request that makes one call).
 */
export function wikiOptions(
  config: AppConfig,
  deadline: WikiDeadline = startWikiDeadline(config),
): { userAgent: string; timeoutMs: number } {
  return { userAgent: config.userAgent, timeoutMs: deadline.remainingMs() };
}

/**
 * An ApiClient whose every call (get, post, and so getToken and queryAll) is given what is left of
 * `deadline` when it starts, not when the client was made: a task handed one client (WikiUser's
 * withWiki) still spends one MW_TIMEOUT_MS on all its calls together.
 */
class DeadlineApiClient extends ApiClient {
  readonly #options: ApiClientOptions;
  readonly #deadline: WikiDeadline;

  constructor(options: ApiClientOptions, deadline: WikiDeadline) {
    super({ ...options, timeoutMs: deadline.remainingMs() });
    this.#options = options;
    this.#deadline = deadline;
  }

  override async get(params: ApiParams, options: ApiCallOptions = {}): Promise<ApiResponse> {
    return this.#now().get(params, options);
  }

  override async post(params: ApiParams, options: ApiCallOptions = {}): Promise<ApiResponse> {
    return this.#now().post(params, options);
  }

  #now(): ApiClient {
    return new ApiClient({ ...this.#options, timeoutMs: this.#deadline.remainingMs() });
  }
}

/** `new ApiClient(options)`, each call bounded by what is left of `deadline` (see DeadlineApiClient). */
export function deadlineApiClient(options: ApiClientOptions, deadline: WikiDeadline): ApiClient {
  return new DeadlineApiClient(options, deadline);
}
