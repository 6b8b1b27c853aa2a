// The public shapes of devwiki: what tests and scripts pass in and get back (see devwiki/README.md).

/** A registered OAuth 1.0a consumer ("Connected App"), as Special:OAuthConsumerRegistration would hold it. */
export interface DevwikiConsumer {
  id: number;
  name: string;
  key: string;
  secret: string;
  /** The registered callback URL (also where `oob` sends the browser, fixture 27b). */
  callbackUrl: string;
  /** Extension:OAuth's "callback is prefix" registration option (fixtures 24*). */
  callbackIsPrefix: boolean;
  /** Grant names, e.g. basic, editpage, createeditmovepage, privateinfo. */
  grants: string[];
  /** Owner-only consumers cannot use the three-legged flow (E010); they have one fixed access token. */
  ownerOnly: boolean;
  owner?: string;
  accessToken?: { key: string; secret: string };
}

/** The endpoints a fault can be set on; '*' means every request. */
export type DevwikiEndpoint = 'initiate' | 'authorize' | 'token' | 'identify' | 'api' | 'login' | '*';

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
  'initiate' | 'authorize' | 'token' | 'identify' | 'api' | 'login' | 'managegrants' | 'page' | 'other';

export interface DevwikiRequestRecord {
  method: string;
  endpoint: DevwikiRequestEndpoint;
  /** The MediaWiki title for index.php requests, e.g. 'Special:OAuth/initiate'. */
  title?: string;
  /** The `action` parameter of api.php requests. */
  action?: string;
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
}

export interface Devwiki {
  /** http://127.0.0.1:<port>: $wgServer and $wgCanonicalServer (the JWT iss; the signature base-string host). */
  origin: string;
  /** origin + '/w/index.php' */
  indexUrl: string;
  /** origin + '/w/api.php' */
  apiUrl: string;
  consumers: DevwikiConsumer[];
  setFault(endpoint: DevwikiEndpoint, fault: DevwikiFault | null): void;
  setClockOffset(seconds: number): void;
  approve(authorizeUrl: string, username: string): Promise<string>;
  revoke(username: string, consumerKey: string): void;
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
  close(): Promise<void>;
}
