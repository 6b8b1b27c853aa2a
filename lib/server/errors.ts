import 'server-only';

/** Every `AppError.code` (STYLE.md §4: one error class with a typed code). */
export const APP_ERROR_CODES = [
  /** One or more environment variables are missing or invalid; `problems` lists each. */
  'invalid_config',
  /** The session store (Redis) did not answer within its deadline or refused: pages answer 503. */
  'store_unavailable',
  /** The wiki ended the session (revoked; 2.0: expired where it cannot be refreshed): log in again. */
  'session_ended',
  /**
   * The login does not fit in the login cookie (OAuth 2.0 tokens grow with the client's grants);
   * `problems` says what to change. Never stored: it would read back as "logged out".
   */
  'session_too_large',
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/**
 * An error of the app's own glue (lib/server), as opposed to the wiki's (`MWOAuthError`). The
 * message never contains a secret: configuration problems name the variable, not its value.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  /** For `invalid_config`: one line per problem, each naming the variable and the fix. */
  readonly problems: readonly string[];

  constructor(code: AppErrorCode, message: string, options: { problems?: readonly string[] } = {}) {
    super(message);
    this.code = code;
    this.problems = options.problems ?? [];
  }
}
