import 'server-only';
import { ApiClient, MWOAuthError, type AccessToken, type IdentifyOptions } from '@/lib/mwoauth';
import type { AppConfig } from './config';
import { AppError } from './errors';
import type { Failure } from './failure-page';
import { failure, type FailureKind, type FailureOptions, type FailureTask } from './failures/catalogue';
import { english, type Translator } from './i18n';

// The configured wiki: lib/mwoauth bound to the environment, and what its errors mean to a user.

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
 * Options of every identify call of the app: wikiOptions, and the expected `iss` when MW_ISSUER is
 * set (else lib/mwoauth expects the origin of MW_INDEX_URL).
 */
export function identifyOptions(config: AppConfig, deadline?: WikiDeadline): IdentifyOptions {
  const options: IdentifyOptions = wikiOptions(config, deadline);
  if (config.wiki.issuer !== null) options.issuer = config.wiki.issuer;
  return options;
}

/**
 * A client of the wiki's api.php acting as the user who holds `accessToken`. Its calls each get what
 * is left of `deadline` when the client is made: make one client per call when a request makes
 * several in a row.
 */
export function apiClientFor(
  config: AppConfig,
  accessToken: AccessToken,
  deadline?: WikiDeadline,
): ApiClient {
  return new ApiClient({
    apiUrl: config.wiki.apiUrl,
    consumer: config.consumer,
    accessToken,
    ...wikiOptions(config, deadline),
    // A write or read done for a logged-in user must fail, not happen anonymously, if the token
    // stopped logging in (API assert=user).
    assert: 'user',
  });
}

/**
 * MediaWiki's answers for an access token the user revoked in Special:OAuthManageMyGrants (or that
 * never existed): identify says mwoauthdatastore-access-token-not-found (fixtures 13, 33); the API
 * says mwoauth-invalid-authorization (fixtures 14, 33b); assert=user fails once the token no longer
 * logs anyone in.
 */
const REVOKED_CODES = new Set([
  'mwoauthdatastore-access-token-not-found',
  'mwoauth-invalid-authorization',
  'assertuserfailed',
  'assertnameduserfailed',
]);

/** True when `error` means the session's access token no longer works: the session must end. */
export function isRevoked(error: unknown): boolean {
  return (
    error instanceof MWOAuthError &&
    error.code === 'mediawiki' &&
    error.mediawikiCode !== null &&
    REVOKED_CODES.has(error.mediawikiCode)
  );
}

/** Blocks: API error codes (ApiBlockInfoTrait) and Extension:OAuth's blocked-user refusals. */
export function isBlocked(error: unknown): boolean {
  if (!(error instanceof MWOAuthError) || error.mediawikiCode === null) return false;
  return /^(blocked|autoblocked|globalblocking-blocked|systemblocked|mwoauth-invalid-authorization-blocked-user|mwoauthserver-blocked)/.test(
    error.mediawikiCode,
  );
}

/** A 3xx: the wiki (or its proxy) moved; lib/mwoauth does not follow redirects with signed requests. */
function isRedirect(error: MWOAuthError): boolean {
  return error.code === 'http_error' && error.status !== null && error.status >= 300 && error.status < 400;
}

/** A URL lib/mwoauth refused, or a 404/410: the configured address is not the wiki's. */
function isWrongAddress(error: MWOAuthError): boolean {
  return (
    error.code === 'invalid_url' ||
    (error.code === 'http_error' && (error.status === 404 || error.status === 410))
  );
}

/**
 * An HTML page with HTTP 200 where index.php's Special:OAuth pages or api.php answer with text or
 * JSON (lib/mwoauth's htmlPageError sets `contentType`): the URL reaches something else.
 */
function isHtmlPage(error: MWOAuthError): boolean {
  return error.code === 'unexpected_response' && /html/i.test(error.contentType ?? '');
}

/**
 * In development, the error's own message for the page's "Details" (lib/mwoauth keeps secrets out of
 * its messages); in production, null: the message may quote the wiki's page, and is in the log.
 */
function developmentDetails(error: unknown): string | null {
  if (process.env.NODE_ENV === 'production' || !(error instanceof MWOAuthError)) return null;
  return error.message;
}

/** What the app was doing when the wiki failed: the texts speak of it. */
export type WikiTask = FailureTask;

const START_AGAIN_HREF = '/api/mwoauth/initiate';

/**
 * What a failed call to the wiki means to the user, for the failure page, in the language of `t`
 * (default English). `loginHref` restarts the login (with its `next`). Only fixed texts and
 * MediaWiki's error key are shown in production: an error's own message may quote the wiki's HTML
 * and is for the server log (in development it is added as `details`).
 */
export function describeWikiError(
  error: unknown,
  loginHref: string = START_AGAIN_HREF,
  task: WikiTask = 'login',
  t: Translator = english(),
): Failure {
  const [kind, options] = describe(error);
  return failure(kind, t, { ...options, task, href: loginHref, details: developmentDetails(error) });
}

/** The catalogue's kind of failure for `error`, with its MediaWiki key and parameters. */
function describe(error: unknown): [FailureKind, FailureOptions] {
  if (error instanceof AppError) {
    return process.env.NODE_ENV === 'production'
      ? ['config_production', {}]
      : ['config_development', { todo: [error.problems.join(' ')] }];
  }
  if (!(error instanceof MWOAuthError)) return ['internal', {}];
  const mediawikiCode = error.mediawikiCode;
  switch (error.code) {
    case 'timeout':
      return ['timeout', {}];
    case 'network':
      return ['network', {}];
    case 'token_mismatch':
    case 'callback_invalid':
      return ['callback_invalid', {}];
    case 'invalid_identity':
      // Extension:OAuth sets iss to $wgCanonicalServer, which need not be the host MW_INDEX_URL
      // names (a wiki reached through an internal name, or http vs https).
      if (error.reason === 'iss') return ['identity_iss', {}];
      return error.reason === 'iat_future' || error.reason === 'iat_stale' || error.reason === 'exp'
        ? ['identity_clock', {}]
        : ['identity_invalid', {}];
    case 'mediawiki':
      break;
    default:
      if (isRedirect(error)) return ['redirect', {}];
      if (isWrongAddress(error)) return ['wrong_address', {}];
      if (isHtmlPage(error)) return ['html_page', { mediawikiCode }];
      return ['unexpected', { mediawikiCode }];
  }
  if (isBlocked(error)) return ['blocked', { mediawikiCode }];
  if (mediawikiCode === 'mwoauth-callback-not-oob') return ['callback_not_oob', { mediawikiCode }];
  if (mediawikiCode === 'mwoauth-callback-not-oob-or-prefix') {
    return ['callback_not_prefix', { mediawikiCode }];
  }
  if (
    mediawikiCode === 'mwoauthserver-bad-consumer-key' ||
    mediawikiCode === 'mwoauthserver-consumer-owner-only' ||
    mediawikiCode === 'mwoauth-oauth-exception'
  ) {
    return ['consumer', { mediawikiCode }];
  }
  if (mediawikiCode !== null && mediawikiCode.startsWith('mwoauthdatastore-')) {
    return ['handshake_expired', { mediawikiCode }];
  }
  return ['refused', { mediawikiCode }];
}
