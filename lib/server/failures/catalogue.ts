import 'server-only';
import type { Failure } from './page';
import type { MessageKey, MessageParam, Translator } from '../i18n';

// Every failure page of the app as data: its HTTP status, its messages (i18n/en.json and the
// translations) and its way forward. describeWikiError (lib/server/failures/describe.ts) picks a kind for an
// error; the route handlers and the rate limiter name theirs. The texts are the visitor's language's;
// only MediaWiki's error key and the development-only details stay as the wiki and lib/mwoauth wrote
// them.

/**
 * What the app was doing when it failed: some texts speak of it. `page`: any page of the tool
 * author's own ("this page could not load what it needs"); `profile` is the profile page's.
 */
export type FailureTask = 'login' | 'profile' | 'page';

/** A message for each task, when the text speaks of what was stopped. */
type PerTask = { readonly [task in FailureTask]: MessageKey };

type ActionKind = 'login-again' | 'login' | 'home' | 'visit-wiki' | 'propose-consumer';

interface CatalogueEntry {
  readonly status: number;
  readonly title: MessageKey;
  readonly what: MessageKey | PerTask;
  readonly todo: MessageKey;
  readonly action: ActionKind | null;
}

const WAIT = 'nextmwoauth-failure-timeout-todo';
const AGAIN = 'nextmwoauth-failure-login-again-todo';

export const FAILURES = {
  config_production: {
    status: 500,
    title: 'nextmwoauth-failure-config-title',
    what: 'nextmwoauth-failure-config-what',
    todo: 'nextmwoauth-failure-config-todo-production',
    action: null,
  },
  /** todo's $1: the configuration's problems (English: they are for developers). */
  config_development: {
    status: 500,
    title: 'nextmwoauth-failure-config-title',
    what: 'nextmwoauth-failure-config-what',
    todo: 'nextmwoauth-failure-config-todo-development',
    action: null,
  },
  internal: {
    status: 500,
    title: 'nextmwoauth-failure-internal-title',
    what: {
      login: 'nextmwoauth-failure-internal-what-login',
      profile: 'nextmwoauth-failure-internal-what-profile',
      page: 'nextmwoauth-failure-internal-what-page',
    },
    todo: 'nextmwoauth-failure-internal-todo',
    action: 'login-again',
  },
  timeout: {
    status: 504,
    title: 'nextmwoauth-failure-timeout-title',
    what: {
      login: 'nextmwoauth-failure-timeout-what-login',
      profile: 'nextmwoauth-failure-timeout-what-profile',
      page: 'nextmwoauth-failure-timeout-what-page',
    },
    todo: WAIT,
    action: 'login-again',
  },
  network: {
    status: 502,
    title: 'nextmwoauth-failure-network-title',
    what: 'nextmwoauth-failure-network-what',
    todo: 'nextmwoauth-failure-network-todo',
    action: 'login-again',
  },
  callback_invalid: {
    status: 400,
    title: 'nextmwoauth-failure-callback-invalid-title',
    what: 'nextmwoauth-failure-callback-invalid-what',
    todo: 'nextmwoauth-failure-callback-invalid-todo',
    action: 'login-again',
  },
  identity_iss: {
    status: 502,
    title: 'nextmwoauth-failure-identity-title',
    what: {
      login: 'nextmwoauth-failure-identity-iss-what-login',
      profile: 'nextmwoauth-failure-identity-iss-what-profile',
      page: 'nextmwoauth-failure-identity-iss-what-page',
    },
    todo: 'nextmwoauth-failure-identity-iss-todo',
    action: null,
  },
  identity_clock: {
    status: 502,
    title: 'nextmwoauth-failure-identity-title',
    what: 'nextmwoauth-failure-identity-clock-what',
    todo: 'nextmwoauth-failure-identity-todo',
    action: 'login-again',
  },
  identity_invalid: {
    status: 502,
    title: 'nextmwoauth-failure-identity-title',
    what: {
      login: 'nextmwoauth-failure-identity-invalid-what-login',
      profile: 'nextmwoauth-failure-identity-invalid-what-profile',
      page: 'nextmwoauth-failure-identity-invalid-what-page',
    },
    todo: 'nextmwoauth-failure-identity-todo',
    action: 'login-again',
  },
  redirect: {
    status: 502,
    title: 'nextmwoauth-failure-redirect-title',
    what: {
      login: 'nextmwoauth-failure-redirect-what-login',
      profile: 'nextmwoauth-failure-redirect-what-profile',
      page: 'nextmwoauth-failure-redirect-what-page',
    },
    todo: 'nextmwoauth-failure-redirect-todo',
    action: null,
  },
  wrong_address: {
    status: 502,
    title: 'nextmwoauth-failure-wrong-address-title',
    what: 'nextmwoauth-failure-wrong-address-what',
    todo: 'nextmwoauth-failure-wrong-address-todo',
    action: null,
  },
  html_page: {
    status: 502,
    title: 'nextmwoauth-failure-html-page-title',
    what: 'nextmwoauth-failure-html-page-what',
    todo: 'nextmwoauth-failure-html-page-todo',
    action: 'login-again',
  },
  unexpected: {
    status: 502,
    title: 'nextmwoauth-failure-unexpected-title',
    what: 'nextmwoauth-failure-unexpected-what',
    todo: WAIT,
    action: 'login-again',
  },
  blocked: {
    status: 403,
    title: 'nextmwoauth-failure-blocked-title',
    what: 'nextmwoauth-failure-blocked-what',
    todo: 'nextmwoauth-failure-blocked-todo',
    action: null,
  },
  callback_not_oob: {
    status: 502,
    title: 'nextmwoauth-failure-callback-mismatch-title',
    what: 'nextmwoauth-failure-callback-mismatch-what',
    todo: 'nextmwoauth-failure-callback-not-oob-todo',
    action: null,
  },
  callback_not_prefix: {
    status: 502,
    title: 'nextmwoauth-failure-callback-mismatch-title',
    what: 'nextmwoauth-failure-callback-mismatch-what',
    todo: 'nextmwoauth-failure-callback-not-prefix-todo',
    action: null,
  },
  consumer: {
    status: 502,
    title: 'nextmwoauth-failure-consumer-title',
    what: 'nextmwoauth-failure-consumer-what',
    todo: 'nextmwoauth-failure-consumer-todo',
    action: null,
  },
  handshake_expired: {
    status: 400,
    title: 'nextmwoauth-failure-handshake-expired-title',
    what: 'nextmwoauth-failure-handshake-expired-what',
    todo: AGAIN,
    action: 'login-again',
  },
  refused: {
    status: 502,
    title: 'nextmwoauth-failure-refused-title',
    what: {
      login: 'nextmwoauth-failure-refused-what-login',
      profile: 'nextmwoauth-failure-refused-what-profile',
      page: 'nextmwoauth-failure-refused-what-page',
    },
    todo: 'nextmwoauth-failure-refused-todo',
    action: 'login-again',
  },
  /** The callback without a handshake of this browser for its oauth_token. */
  not_started: {
    status: 400,
    title: 'nextmwoauth-failure-not-started-title',
    what: 'nextmwoauth-failure-not-started-what',
    todo: AGAIN,
    action: 'login-again',
  },
  suppressed_login: {
    status: 403,
    title: 'nextmwoauth-failure-suppressed-login-title',
    what: 'nextmwoauth-failure-suppressed-login-what',
    todo: 'nextmwoauth-failure-suppressed-login-todo',
    action: null,
  },
  /** Rendered by the profile page itself (status unused there). */
  suppressed_profile: {
    status: 403,
    title: 'nextmwoauth-failure-suppressed-profile-title',
    what: 'nextmwoauth-failure-suppressed-profile-what',
    todo: 'nextmwoauth-failure-suppressed-profile-todo',
    action: null,
  },
  callback_method: {
    status: 405,
    title: 'nextmwoauth-failure-callback-invalid-title',
    what: 'nextmwoauth-failure-callback-method-what',
    todo: 'nextmwoauth-failure-callback-invalid-todo',
    action: 'login-again',
  },
  initiate_method: {
    status: 405,
    title: 'nextmwoauth-failure-initiate-method-title',
    what: 'nextmwoauth-failure-initiate-method-what',
    todo: 'nextmwoauth-failure-initiate-method-todo',
    action: 'login',
  },
  /** A page asked with a method pages do not serve; what's $1: the method. */
  page_method: {
    status: 405,
    title: 'nextmwoauth-failure-page-method-title',
    what: 'nextmwoauth-failure-page-method-what',
    todo: 'nextmwoauth-failure-open-in-browser-todo',
    action: 'home',
  },
  /** TRACE or TRACK (refused before Next: lib/server/http/early-guard.ts); what's $1: the method. */
  trace: {
    status: 405,
    title: 'nextmwoauth-failure-trace-title',
    what: 'nextmwoauth-failure-trace-what',
    todo: 'nextmwoauth-failure-open-in-browser-todo',
    action: 'home',
  },
  /** An absolute-form or asterisk-form request target (lib/server/http/early-guard.ts). */
  not_a_path: {
    status: 400,
    title: 'nextmwoauth-failure-not-a-path-title',
    what: 'nextmwoauth-failure-not-a-path-what',
    todo: 'nextmwoauth-failure-open-in-browser-todo',
    action: 'home',
  },
  /** A body over PAGE_BODY_LIMIT; what's $1: the limit in KB. */
  too_large: {
    status: 413,
    title: 'nextmwoauth-failure-too-large-title',
    what: 'nextmwoauth-failure-too-large-what',
    todo: 'nextmwoauth-failure-too-large-todo',
    action: 'home',
  },
  /** A page POST (server action) from another origin, scheme included. */
  form_cross_site: {
    status: 403,
    title: 'nextmwoauth-failure-form-cross-site-title',
    what: 'nextmwoauth-failure-form-cross-site-what',
    todo: 'nextmwoauth-failure-form-cross-site-todo',
    action: 'home',
  },
  logout_cross_site: {
    status: 403,
    title: 'nextmwoauth-failure-logout-cross-site-title',
    what: 'nextmwoauth-failure-logout-cross-site-what',
    todo: 'nextmwoauth-failure-logout-button-todo',
    action: 'home',
  },
  /** what's $1/$2: the body limit in bytes. */
  logout_too_large: {
    status: 413,
    title: 'nextmwoauth-failure-logout-button-title',
    what: 'nextmwoauth-failure-logout-too-large-what',
    todo: 'nextmwoauth-failure-logout-button-todo',
    action: 'home',
  },
  logout_get: {
    status: 405,
    title: 'nextmwoauth-failure-logout-button-title',
    what: 'nextmwoauth-failure-logout-get-what',
    todo: 'nextmwoauth-failure-logout-get-todo',
    action: 'home',
  },
  /** what's $1–$4: the limit and its window; todo's $1/$2: the seconds to wait. */
  rate_limited: {
    status: 429,
    title: 'nextmwoauth-failure-rate-limited-title',
    what: 'nextmwoauth-failure-rate-limited-what',
    todo: 'nextmwoauth-failure-rate-limited-todo',
    action: null,
  },
  /**
   * The WIKI limited the rate of our requests (HTTP 429 past its Retry-After within the deadline,
   * or the API error `ratelimited`), not the app's own login limit (`rate_limited`). todo's $1/$2:
   * the minutes to wait, from Retry-After.
   */
  wiki_rate_limited: {
    status: 429,
    title: 'nextmwoauth-failure-wiki-rate-limited-title',
    what: {
      login: 'nextmwoauth-failure-wiki-rate-limited-what-login',
      profile: 'nextmwoauth-failure-wiki-rate-limited-what-profile',
      page: 'nextmwoauth-failure-wiki-rate-limited-what-page',
    },
    todo: 'nextmwoauth-failure-wiki-rate-limited-todo',
    action: 'home',
  },
  /** The same, when the wiki said no Retry-After. */
  wiki_rate_limited_unknown: {
    status: 429,
    title: 'nextmwoauth-failure-wiki-rate-limited-title',
    what: {
      login: 'nextmwoauth-failure-wiki-rate-limited-what-login',
      profile: 'nextmwoauth-failure-wiki-rate-limited-what-profile',
      page: 'nextmwoauth-failure-wiki-rate-limited-what-page',
    },
    todo: 'nextmwoauth-failure-wiki-rate-limited-todo-unknown',
    action: 'home',
  },
  /**
   * Another wiki of the farm refused the consumer: it is registered for other wikis only (its
   * "Applicable project"; farm-14, farm-15). what's $1: the wiki called, $2: the login wiki;
   * todo's $1: the login wiki, $2: the wiki called. The action (href required) proposes a new
   * consumer version on the login wiki's Special:OAuthConsumerRegistration.
   */
  wrong_wiki: {
    status: 403,
    title: 'nextmwoauth-failure-wrong-wiki-title',
    what: 'nextmwoauth-failure-wrong-wiki-what',
    todo: 'nextmwoauth-failure-wrong-wiki-todo',
    action: 'propose-consumer',
  },
  /**
   * Another wiki of the farm does not know the user yet (no local account: farm-17, farm-18).
   * what's $1: the wiki called; todo's $1: the wiki called, $2: the login wiki. The action (href
   * required) opens the wiki called.
   */
  no_local_account: {
    status: 403,
    title: 'nextmwoauth-failure-no-local-account-title',
    what: 'nextmwoauth-failure-no-local-account-what',
    todo: 'nextmwoauth-failure-no-local-account-todo',
    action: 'visit-wiki',
  },
  /** The session store (Redis) did not answer in time or refused: AppError 'store_unavailable'. */
  store_unavailable: {
    status: 503,
    title: 'nextmwoauth-failure-store-unavailable-title',
    what: 'nextmwoauth-failure-store-unavailable-what',
    todo: 'nextmwoauth-failure-store-unavailable-todo',
    action: 'home',
  },
} as const satisfies Readonly<Record<string, CatalogueEntry>>;

export type FailureKind = keyof typeof FAILURES;

const ACTION_LABELS: Readonly<Record<ActionKind, MessageKey>> = {
  'login-again': 'nextmwoauth-action-login-again',
  login: 'nextmwoauth-login',
  home: 'nextmwoauth-action-home',
  'visit-wiki': 'nextmwoauth-action-visit-wiki',
  'propose-consumer': 'nextmwoauth-action-propose-consumer',
};

/** Where a failure's action leads when the caller does not say: a new login, or home. */
const ACTION_HREFS: Readonly<Record<ActionKind, string>> = {
  'login-again': '/api/mwoauth/initiate',
  login: '/api/mwoauth/initiate',
  home: '/',
  // Always given by the caller (describeWikiError): the wiki to visit, the registration page.
  'visit-wiki': '/',
  'propose-consumer': '/',
};

export interface FailureOptions {
  /** The task the texts speak of; default a login. */
  readonly task?: FailureTask;
  /** Where the action leads (e.g. loginPath(next)); default ACTION_HREFS. */
  readonly href?: string;
  readonly mediawikiCode?: string | null;
  readonly details?: string | null;
  /** $1, $2… of the `what` message. */
  readonly what?: readonly MessageParam[];
  /** $1, $2… of the `todo` message. */
  readonly todo?: readonly MessageParam[];
}

/** The failure page of `kind`, in the language of `t`. */
export function failure(kind: FailureKind, t: Translator, options: FailureOptions = {}): Failure {
  const entry: CatalogueEntry = FAILURES[kind];
  const whatKey = typeof entry.what === 'string' ? entry.what : entry.what[options.task ?? 'login'];
  return {
    status: entry.status,
    title: t.t(entry.title),
    what: t.t(whatKey, ...(options.what ?? [])),
    todo: t.t(entry.todo, ...(options.todo ?? [])),
    action:
      entry.action === null
        ? null
        : { label: t.t(ACTION_LABELS[entry.action]), href: options.href ?? ACTION_HREFS[entry.action] },
    mediawikiCode: options.mediawikiCode ?? null,
    details: options.details ?? null,
    lang: t.lang,
    dir: t.dir,
  };
}

/** A count for a message: formatted for $n, raw for the PLURAL that follows it as $n+1. */
export function counted(t: Translator, value: number): [string, number] {
  return [t.number(value), value];
}
