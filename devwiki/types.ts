// The public shapes of devwiki: what tests and scripts pass in and get back (see devwiki/README.md).

/**
 * A registered consumer ("Connected App"), as Special:OAuthConsumerRegistration would hold it: OAuth
 * 1.0a (the default) or, with `oauthVersion: '2.0'`, an OAuth 2.0 client whose `key` is the client id
 * and `secret` the client secret.
 */
export interface DevwikiConsumer {
  id: number;
  name: string;
  key: string;
  secret: string;
  /** '1.0a' when left out. A 2.0 client is refused by the 1.0a endpoints and the other way round. */
  oauthVersion?: '1.0a' | '2.0';
  /**
   * OAuth 2.0 only: false makes a public client, which must use PKCE (fixture o2-18) and whose secret
   * is never checked (o2-20 sends none). Default true (confidential: client_secret required, o2-08).
   */
  confidential?: boolean;
  /** The registered callback URL (also where `oob` sends the browser, fixture 27b). */
  callbackUrl: string;
  /** Extension:OAuth's "callback is prefix" registration option (fixtures 24*). */
  callbackIsPrefix: boolean;
  /** Grant names, e.g. basic, editpage, createeditmovepage, privateinfo. */
  grants: string[];
  /**
   * Owner-only consumers cannot use the three-legged flow (E010); a 1.0a one has one fixed access
   * token (`accessToken`); a 2.0 one gets a non-expiring access token minted by devwiki
   * (`Devwiki.ownerOnlyAccessToken`, fixture o2-21) and the client_credentials grant (o2-23).
   */
  ownerOnly: boolean;
  owner?: string;
  /** 1.0a owner-only consumers only. */
  accessToken?: { key: string; secret: string };
  /**
   * The "Applicable project" (oarc_wiki): the id of the one wiki of the farm its tokens work on, or
   * '*' (left out) for every wiki. Elsewhere api.php and identify answer
   * mwoauth-invalid-authorization-wrong-wiki (fixtures farm-13 ... farm-15).
   */
  wiki?: string;
}

/** The endpoints a fault can be set on; '*' means every request. */
export type DevwikiEndpoint =
  'initiate' | 'authorize' | 'token' | 'identify' | 'profile' | 'api' | 'login' | '*';

export type DevwikiForgery =
  | 'alg-none'
  | 'hs512'
  | 'wrong-key'
  | 'wrong-aud'
  | 'wrong-iss'
  | 'wrong-nonce'
  | 'expired'
  | 'stale'
  | 'future-iat'
  | 'missing-claims';

export type DevwikiFault =
  | { kind: 'status'; status: number }
  | { kind: 'html' }
  | { kind: 'garbage' }
  | { kind: 'hang' }
  | { kind: 'trickle'; bytesPerSecond?: number }
  | { kind: 'huge'; bytes: number }
  | { kind: 'latency'; ms: number }
  | { kind: 'forged-identify'; forgery: DevwikiForgery };

/** What the request log calls each kind of request. */
export type DevwikiRequestEndpoint =
  | 'initiate'
  | 'authorize'
  | 'token'
  | 'identify'
  | 'profile'
  | 'api'
  | 'login'
  | 'managegrants'
  | 'page'
  | 'other';

export interface DevwikiRequestRecord {
  method: string;
  endpoint: DevwikiRequestEndpoint;
  /** The MediaWiki title for index.php requests, e.g. 'Special:OAuth/initiate'. */
  title?: string;
  /** The `action` parameter of api.php requests. */
  action?: string;
  /** The path as sent, without the query: tells /w/rest.php/oauth2/access_token from Special:OAuth/token. */
  path: string;
  /** The `grant_type` of OAuth 2.0 token requests: authorization_code, refresh_token, client_credentials. */
  grantType?: string;
  /** When the request arrived, by devwiki's clock (ms since epoch, before any clock offset). */
  time: number;
}

export interface DevwikiRevision {
  revid: number;
  user: string;
  comment: string;
  tags: string[];
  content: string;
  /** ISO 8601 without milliseconds, as the API shows it: 2026-11-22T07:12:57Z. */
  timestamp: string;
}

export interface DevwikiOptions {
  /** Default 0 = a random free port. devwiki always binds 127.0.0.1. */
  port?: number;
  /** Default: the three default consumers (devwiki/consumers.ts). */
  consumers?: DevwikiConsumer[];
  /** Injectable clock, ms since epoch. Default Date.now. */
  now?: () => number;
  /** Added to every response. */
  latencyMs?: number;
  /** One line per request and event. Default: silent. */
  log?: (line: string) => void;
  /** OAuth 2.0 access token lifetime ($wgOAuth2GrantExpirationInterval), whole seconds. Default 3600. */
  accessTokenTtlS?: number;
  /** OAuth 2.0 refresh token lifetime ($wgOAuth2RefreshTokenTTL), whole seconds. Default 60 (PT1M, o2-15). */
  refreshTokenTtlS?: number;
  /** This (central) wiki's id, WikiMap::getCurrentWikiId(): named in wrong-wiki errors. Default 'devwiki'. */
  wikiId?: string;
  /**
   * More wikis of the same farm (devwiki/farm.ts), each on its own port, sharing this wiki's users,
   * consumers and authorizations; ids default to devwiki2, devwiki3, ..., ports to 0 (any free one).
   */
  otherWikis?: DevwikiOtherWikiOptions[];
  /**
   * Behave as Wikimedia's wikis do in 2026 (devwiki/wikimedia.ts): true or the mode's options.
   * The token lifetimes then default to 4 hours and 365 days. Default: the recorded 1.39 behaviour.
   */
  wikimedia?: boolean | DevwikiWikimediaOptions;
}

export interface DevwikiOtherWikiOptions {
  wikiId?: string;
  /** Default 0 = a random free port. */
  port?: number;
}

/** A rate-limit budget of the Wikimedia-like edge: `requests` per `windowS` seconds. */
export interface DevwikiRateBudget {
  requests: number;
  windowS: number;
}

/** The Wikimedia-like mode (devwiki/wikimedia.ts); every field optional. */
export interface DevwikiWikimediaOptions {
  /** Per client IP, for requests the edge cannot tie to a user. Default 500 per 3600 s. */
  anonymousBudget?: DevwikiRateBudget;
  /** Per user (a valid Bearer token, or an OAuth 1.0a request with a valid sessionJwt). Default 5000 per 3600 s. */
  userBudget?: DevwikiRateBudget;
  /** Lifetime of the sessionJwt cookie, whole seconds. Default 14400. */
  sessionJwtTtlS?: number;
}

/** What tests and scripts can do with a devwiki in the Wikimedia-like mode. */
export interface DevwikiWikimedia {
  /**
   * Invalidates the user's OAuth 2.0 access tokens for the client now, as updating an authorization
   * does on Wikimedia (Extension:OAuth 0bdc100a): the refresh tokens keep working. Returns how many.
   */
  invalidateAccessTokens(username: string, clientId: string): number;
  /** Replaces the budgets (and forgets what was counted). */
  setBudgets(budgets: { anonymousBudget?: DevwikiRateBudget; userBudget?: DevwikiRateBudget }): void;
  /** A valid sessionJwt naming `username` (to send as another user's cookie in tests). */
  sessionJwtFor(username: string): string;
  /** What the edge counted each request it let through against, in order. */
  readonly counted: ReadonlyArray<{ kind: 'anonymous'; ip: string } | { kind: 'user'; userId: number }>;
  /** How many requests the edge refused with 429. */
  readonly refusals: number;
  /** How many OAuth requests carried a sessionJwt naming another user than their token's (each refused). */
  readonly crossUserCookies: number;
}

export interface DevwikiTokenLifetimes {
  accessTokenTtlS?: number;
  refreshTokenTtlS?: number;
}

export interface Devwiki {
  /** WikiMap::getCurrentWikiId(): 'devwiki' (or DevwikiOptions.wikiId), 'devwiki2', ... */
  wikiId: string;
  /**
   * The farm's other wikis (DevwikiOptions.otherWikis), each a Devwiki with its own origin, pages,
   * requests and faults; [] on those wikis and on a devwiki alone. Closing the central wiki closes them.
   */
  otherWikis: Devwiki[];
  /** Whether the user has an account on this wiki (always on the central wiki; farm-17). */
  hasLocalAccount(username: string): boolean;
  /** Makes the user's account on this wiki, as logging in there once does (farm-21). */
  createLocalAccount(username: string): void;
  /** http://127.0.0.1:<port>: $wgServer and $wgCanonicalServer (the JWT iss; the signature base-string host). */
  origin: string;
  /** origin + '/w/index.php' */
  indexUrl: string;
  /** origin + '/w/api.php' */
  apiUrl: string;
  /** origin + '/w/rest.php' (OAuth 2.0: /oauth2/authorize, /oauth2/access_token, /oauth2/resource/profile) */
  restUrl: string;
  consumers: DevwikiConsumer[];
  setFault(endpoint: DevwikiEndpoint, fault: DevwikiFault | null): void;
  setClockOffset(seconds: number): void;
  /**
   * Logs in as `username` and presses Allow, following the wiki's own redirects (OAuth 2.0: authorize
   * -> Special:OAuth/approve -> authorize?approval_pass=1); returns the redirect to the application.
   */
  approve(authorizeUrl: string, username: string): Promise<string>;
  /** Revokes the user's authorization of the consumer: 1.0a access tokens, 2.0 access and refresh tokens. */
  revoke(username: string, consumerKey: string): void;
  /** Changes the OAuth 2.0 lifetimes for tokens issued from now on. Throws on a bad value. */
  setTokenLifetimes(lifetimes: DevwikiTokenLifetimes): void;
  /** The non-expiring access token of an owner-only OAuth 2.0 client (minted once, o2-21). */
  ownerOnlyAccessToken(clientId: string): Promise<string>;
  /** The public key (SPKI PEM) the OAuth 2.0 access tokens are signed with (RS256). */
  oauth2PublicKey(): Promise<string>;
  requests: ReadonlyArray<DevwikiRequestRecord>;
  readPage(title: string): DevwikiRevision | null;
  protectPage(title: string): void;
  blockUser(username: string): void;
  /**
   * Replaces a user's rights (creating the user as an ordinary one if new), e.g. to give one the
   * hundreds a steward has: identify's JWT carries them all, api.php those its grants allow.
   */
  setUserRights(username: string, rights: readonly string[]): void;
  /** Sets a user's preferences read by uiprop=options (creating the user if new). */
  setUserOptions(
    username: string,
    options: { language?: string; gender?: 'male' | 'female' | 'unknown' },
  ): void;
  /** The Wikimedia-like mode's controls; null in the default (1.39) mode. */
  wikimedia: DevwikiWikimedia | null;
  close(): Promise<void>;
}
