import 'server-only';
import { MWOAuthError } from 'mwoauth';
import { getConfig, isProduction } from '../config';
import { AppError } from '../core/errors';
import { homeWiki, NO_LOCAL_ACCOUNT, WRONG_WIKI, type WikiTarget } from '../wiki/farm';
import type { Failure } from './page';
import { counted, failure, type FailureKind, type FailureOptions, type FailureTask } from './catalogue';
import { english, type Translator } from '../i18n';

// What the wiki's errors mean to a user. The deadline of a request is in wiki/deadline.ts; what
// an error means for the session (revoked or not) is the login flow's (login/oauth1.ts).

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
  if (isProduction() || !(error instanceof MWOAuthError)) return null;
  return error.message;
}

/** What the app was doing when the wiki failed: the texts speak of it. */
export type WikiTask = FailureTask;

const START_AGAIN_HREF = '/api/mwoauth/initiate';

/** The wikis a failure speaks of: the one called, and the login wiki. */
export interface FailureWikis {
  readonly wiki: Pick<WikiTarget, 'name' | 'indexUrl'>;
  readonly home: Pick<WikiTarget, 'name' | 'indexUrl'>;
}

/**
 * The failures only another wiki of the farm gives (lib/server/wiki/farm.ts): the texts name that wiki
 * and the login wiki, and the way forward is on one of them, not a new login (the login is good).
 */
function farmFailure(error: MWOAuthError, t: Translator, wikis: FailureWikis | undefined): Failure | null {
  const code = error.mediawikiCode;
  if (error.code !== 'mediawiki' || (code !== WRONG_WIKI && code !== NO_LOCAL_ACCOUNT)) return null;
  // Without `wikis`, the call was the login wiki's (its consumer not for its own wiki).
  const { wiki, home } = wikis ?? { wiki: homeWiki(getConfig()), home: homeWiki(getConfig()) };
  const details = developmentDetails(error);
  if (code === WRONG_WIKI) {
    return failure('wrong_wiki', t, {
      what: [wiki.name, home.name],
      todo: [home.name, wiki.name],
      href: `${home.indexUrl}?title=Special:OAuthConsumerRegistration/propose`,
      mediawikiCode: code,
      details,
    });
  }
  return failure('no_local_account', t, {
    what: [wiki.name],
    todo: [wiki.name, home.name],
    href: wiki.indexUrl,
    mediawikiCode: code,
    details,
  });
}

/**
 * What a failed call to the wiki means to the user, for the failure page, in the language of `t`
 * (default English). `loginHref` restarts the login (with its `next`). Only fixed texts and
 * MediaWiki's error key are shown in production: an error's own message may quote the wiki's HTML
 * and is for the server log (in development it is added as `details`). `wikis`: the wiki called and
 * the login wiki, for a call to another wiki of the farm (default: the login wiki for both).
 */
export function describeWikiError(
  error: unknown,
  loginHref: string = START_AGAIN_HREF,
  task: WikiTask = 'login',
  t: Translator = english(),
  wikis?: FailureWikis,
): Failure {
  const limited = rateLimit(error);
  if (limited !== undefined) {
    // Not a login problem: the way on is to wait, so the action leads home, not to a new login.
    const details = developmentDetails(error);
    if (limited === null) return failure('wiki_rate_limited_unknown', t, { task, details });
    return failure('wiki_rate_limited', t, {
      task,
      details,
      todo: counted(t, Math.max(1, Math.ceil(limited / 60))),
    });
  }
  const farm = error instanceof MWOAuthError ? farmFailure(error, t, wikis) : null;
  if (farm !== null) return farm;
  const [kind, options] = describe(error);
  return failure(kind, t, { ...options, task, href: loginHref, details: developmentDetails(error) });
}

/**
 * The wiki limiting the rate of our requests (lib/mwoauth retried as far as Retry-After and the
 * deadline allowed): the seconds its Retry-After asked for, null when it said none; undefined for
 * any other error. HTTP 429 comes from Wikimedia's global API rate limits (wikitech-l 2026-03-02),
 * `ratelimited` from MediaWiki's own $wgRateLimits.
 */
export function rateLimit(error: unknown): number | null | undefined {
  if (!(error instanceof MWOAuthError)) return undefined;
  if (error.status !== 429 && error.mediawikiCode !== 'ratelimited') return undefined;
  return error.retryAfterS;
}

const OAUTH2_CLIENT_CODES = new Set([
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

/** The catalogue's kind of failure for `error`, with its MediaWiki key and parameters. */
function describe(error: unknown): [FailureKind, FailureOptions] {
  if (error instanceof AppError) {
    // Redis did not answer (or answered an error): an outage to retry later, not a setting to fix.
    if (error.code === 'store_unavailable') return ['store_unavailable', {}];
    return isProduction()
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
  // OAuth 2.0's token endpoint (league/oauth2-server's codes, fixtures o2-07, o2-08, o2-08b,
  // o2-19): the client ID or secret refused (also a confidential client configured without its
  // secret) or a grant it was not registered for: trying again cannot help, whoever runs the app
  // must fix the registration. Or the code was used, expired or did not match its PKCE verifier.
  if (mediawikiCode !== null && OAUTH2_CLIENT_CODES.has(mediawikiCode))
    return ['consumer', { mediawikiCode }];
  if (mediawikiCode === 'invalid_grant' || mediawikiCode === 'invalid_request') {
    return ['handshake_expired', { mediawikiCode }];
  }
  return ['refused', { mediawikiCode }];
}
