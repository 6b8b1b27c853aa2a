import 'server-only';
import { MWOAuthError } from '@/lib/mwoauth';
import { isProduction } from './config';
import { AppError } from './errors';
import type { Failure } from './failure-page';

// What the wiki's errors mean to a user. The deadline of a request is in wiki/deadline.ts; what
// an error means for the session (revoked or not) is the login flow's (login/oauth1.ts).

export { startWikiDeadline, WikiDeadline, wikiOptions } from './wiki/deadline';

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
export type WikiTask = 'login' | 'profile';

const START_AGAIN = { label: 'Log in again', href: '/api/mwoauth/initiate' } as const;

/**
 * What a failed call to the wiki means to the user, for the failure page. `loginHref` restarts the
 * login (with its `next`). Only fixed texts and MediaWiki's error key are shown in production: an
 * error's own message may quote the wiki's HTML and is for the server log (in development it is
 * added as `details`).
 */
export function describeWikiError(
  error: unknown,
  loginHref: string = START_AGAIN.href,
  task: WikiTask = 'login',
): Failure {
  return { ...describe(error, loginHref, task), details: developmentDetails(error) };
}

function describe(error: unknown, loginHref: string, task: WikiTask): Failure {
  const again = { label: START_AGAIN.label, href: loginHref };
  // What the failure stopped, at the end of a sentence.
  const stopped = task === 'login' ? 'the login could not finish' : 'this app could not load your profile';
  const notIn =
    task === 'login' ? 'so you were not logged in' : 'so this app could not load your profile from the wiki';
  if (error instanceof AppError) {
    return {
      status: 500,
      title: 'This app is not configured',
      what: 'The server is missing some of its settings, so it cannot talk to the wiki.',
      todo: isProduction()
        ? 'If you run this app, read the server log: it names each missing or invalid setting.'
        : `Fix these settings (see .env.example) and restart: ${error.problems.join(' ')}`,
      action: null,
      mediawikiCode: null,
    };
  }
  if (!(error instanceof MWOAuthError)) {
    return {
      status: 500,
      title: 'Something went wrong on our side',
      what:
        task === 'login'
          ? 'An unexpected error stopped the login. Nothing was changed on the wiki.'
          : 'An unexpected error on this app’s side: it could not load your profile from the wiki. Nothing was changed on the wiki.',
      todo: 'Try again. If it happens again, tell whoever runs this app.',
      action: again,
      mediawikiCode: null,
    };
  }
  const key = error.mediawikiCode;
  switch (error.code) {
    case 'timeout':
      return {
        status: 504,
        title: 'The wiki did not answer in time',
        what: `The wiki is slow or unreachable right now, so ${stopped}.`,
        todo: 'Wait a minute and try again.',
        action: again,
        mediawikiCode: null,
      };
    case 'network':
      return {
        status: 502,
        title: 'The wiki could not be reached',
        what: 'This app could not connect to the wiki.',
        todo: 'Wait a minute and try again. If it keeps happening, the wiki may be down.',
        action: again,
        mediawikiCode: null,
      };
    case 'token_mismatch':
    case 'callback_invalid':
      return {
        status: 400,
        title: 'This login link is not valid',
        what: 'The address the wiki sent you back with does not match a login started in this browser.',
        todo: 'Start the login again from this site.',
        action: again,
        mediawikiCode: null,
      };
    case 'invalid_identity':
      if (error.reason === 'iss') {
        // Extension:OAuth sets iss to $wgCanonicalServer, which need not be the host MW_INDEX_URL
        // names (a wiki reached through an internal name, or http vs https).
        return {
          status: 502,
          title: 'The wiki’s answer could not be verified',
          what: `This app’s settings do not match the wiki: the wiki signed its statement of who you are as another server than the one this app was told to expect, ${notIn}.`,
          todo: 'If you run this app: the wiki’s canonical server ($wgCanonicalServer) differs from the origin of MW_INDEX_URL; set MW_ISSUER to the canonical server, e.g. https://meta.wikimedia.org.',
          action: null,
          mediawikiCode: null,
        };
      }
      return {
        status: 502,
        title: 'The wiki’s answer could not be verified',
        what:
          error.reason === 'iat_future' || error.reason === 'iat_stale' || error.reason === 'exp'
            ? 'The wiki’s statement of who you are is dated too far from this server’s clock.'
            : `The wiki’s statement of who you are did not pass this app’s checks, ${notIn}.`,
        todo: 'Try again. If it keeps happening, whoever runs this app should check the server clock and the wiki URL.',
        action: again,
        mediawikiCode: null,
      };
    case 'mediawiki':
      break;
    default:
      if (isRedirect(error)) {
        return {
          status: 502,
          title: 'The wiki sent this app to another address',
          what: `The wiki answered with a redirect instead of an answer. Signed requests are not re-sent to a new address, so ${stopped}.`,
          todo: 'If you run this app: set MW_INDEX_URL and MW_API_URL to the addresses the wiki redirects to (often https:// instead of http://, or another host name).',
          action: null,
          mediawikiCode: null,
        };
      }
      if (isWrongAddress(error)) {
        return {
          status: 502,
          title: 'This app is pointed at the wrong address',
          what: 'The address this app has for the wiki does not lead to a wiki’s index.php or api.php.',
          todo: 'If you run this app: check MW_INDEX_URL (the wiki’s index.php, e.g. https://meta.wikimedia.org/w/index.php) and MW_API_URL (its api.php).',
          action: null,
          mediawikiCode: null,
        };
      }
      if (isHtmlPage(error)) {
        return {
          status: 502,
          title: 'The wiki answered with a web page',
          what: 'This app asked the wiki for data and got a web page back: a wrong address, a login wall or proxy in front of the wiki, or the wiki’s own error page.',
          todo: 'If you run this app: check that MW_INDEX_URL is the wiki’s index.php and MW_API_URL its api.php, with nothing in between. If they are right, the wiki is failing: try again in a few minutes.',
          action: again,
          mediawikiCode: key,
        };
      }
      return {
        status: 502,
        title: 'The wiki gave an unexpected answer',
        what: 'The wiki answered, but not in a way this app understands (an error page or an outage, perhaps).',
        todo: 'Wait a minute and try again.',
        action: again,
        mediawikiCode: key,
      };
  }
  if (isBlocked(error)) {
    return {
      status: 403,
      title: 'Your account is blocked on the wiki',
      what: 'The wiki refused because your account is blocked.',
      todo: 'See your block on the wiki for its reason and how to appeal.',
      action: null,
      mediawikiCode: key,
    };
  }
  if (key === 'mwoauth-callback-not-oob' || key === 'mwoauth-callback-not-oob-or-prefix') {
    return {
      status: 502,
      title: 'This app’s registration on the wiki does not match its settings',
      what: 'The wiki refused to start the login because of the callback URL this app sent.',
      todo:
        key === 'mwoauth-callback-not-oob'
          ? 'If you run this app: the consumer was registered with a fixed callback, so set MW_CALLBACK=oob (or unset it), or register a consumer with “Allow consumer to specify a callback in requests”.'
          : 'If you run this app: set MW_CALLBACK=oob, or to a URL that starts with the callback URL registered for the consumer.',
      action: null,
      mediawikiCode: key,
    };
  }
  if (
    key === 'mwoauthserver-bad-consumer-key' ||
    key === 'mwoauthserver-consumer-owner-only' ||
    key === 'mwoauth-oauth-exception'
  ) {
    return {
      status: 502,
      title: 'The wiki does not accept this app',
      what: 'The wiki refused this app’s credentials, so no login could start.',
      todo: 'If you run this app: check MW_CONSUMER_KEY and MW_CONSUMER_SECRET, that the consumer is approved and not owner-only, and the server clock.',
      action: null,
      mediawikiCode: key,
    };
  }
  if (key !== null && key.startsWith('mwoauthdatastore-')) {
    return {
      status: 400,
      title: 'This login has expired or was already used',
      what: 'The wiki no longer recognises this login attempt: it lasts 10 minutes and works once.',
      todo: 'Start the login again.',
      action: again,
      mediawikiCode: key,
    };
  }
  return {
    status: 502,
    title: 'The wiki refused',
    what: `The wiki answered with an error, so ${stopped}.`,
    todo: 'Try again. If it keeps happening, search for the error key below.',
    action: again,
    mediawikiCode: key,
  };
}
