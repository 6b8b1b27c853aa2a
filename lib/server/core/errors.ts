import 'server-only';

/** Every `AppError.code` (one error class with a typed code). */
export const APP_ERROR_CODES = [
  /** One or more environment variables are missing or invalid; `problems` lists each. */
  'invalid_config',
  /** The session store (Redis) did not answer within its deadline or refused: pages answer 503. */
  'store_unavailable',
  /** The wiki ended the session (revoked; 2.0: expired where it cannot be refreshed): log in again. */
  'session_ended',
  /**
   * The wiki refused a refresh token as dead (expired, revoked, already used: o2-15). Thrown by a
   * refresh (login/fresh.ts) and remembered by the stores for a minute beside a successor, so the
   * requests that read the same session get the refusal without asking the wiki again.
   */
  'refresh_refused',
  /**
   * The login does not fit in the login cookie (OAuth 2.0 tokens grow with the client's grants);
   * `problems` says what to change. Never stored: it would read back as "logged out".
   */
  'session_too_large',
  /**
   * A WikiUser was asked to call a wiki that is neither the login wiki nor in MW_WIKIS
   * (lib/server/wiki/farm.ts resolveWiki): refused before any request; `problems` names MW_WIKIS.
   */
  'wiki_not_allowed',
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/**
 * Marks an AppError across bundles: Next bundles proxy.ts, the pages and the route handlers
 * separately, each with its own copy of this class, while the Redis connection is shared by the
 * process (redis/connection.ts keeps it on globalThis). An AppError thrown by the connection one
 * bundle created must still be `instanceof AppError` in another, or proxy.ts would answer its
 * 503 as a 500.
 */
const APP_ERROR_BRAND = Symbol.for('next-mwoauth.AppError');

/**
 * An error of the app's own glue (lib/server), as opposed to the wiki's (`MWOAuthError`). The
 * message never contains a secret: configuration problems name the variable, not its value.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  /** For `invalid_config`: one line per problem, each naming the variable and the fix. */
  readonly problems: readonly string[];

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && Reflect.get(value, APP_ERROR_BRAND) === true;
  }

  constructor(code: AppErrorCode, message: string, options: { problems?: readonly string[] } = {}) {
    super(message);
    this.code = code;
    this.problems = options.problems ?? [];
    Object.defineProperty(this, APP_ERROR_BRAND, { value: true, enumerable: false });
  }
}

/** Whether `error` is the session store's "Redis did not answer in time" (AppError 'store_unavailable'). */
export function isStoreUnavailable(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'store_unavailable';
}

/**
 * Whether `error` says the session is over: the wiki ended it (a WikiUser's call, AppError
 * 'session_ended'), or a store refused to write it again because it was logged out meanwhile.
 */
export function isSessionEnded(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'session_ended';
}

/** The wiki's refusal of a refresh token, as login/fresh.ts throws it and the stores hand it on. */
export function refreshRefused(): AppError {
  return new AppError(
    'refresh_refused',
    "The wiki refused this session's refresh token (expired, revoked or already used): log in again.",
  );
}

/** Whether `error` is the wiki's refusal of a refresh token (AppError 'refresh_refused'): the session is over. */
export function isRefreshRefused(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'refresh_refused';
}
