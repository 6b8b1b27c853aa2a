import 'server-only';
import type { ApiClient, SuppressedProfile, UserProfile, WikiCookieJar } from 'mwoauth';
import type { WikiTarget } from '../wiki/farm';
import type { TokenCache, WikiDeadline } from '../wiki/deadline';
import type { Credentials, Handshake, NewLogin } from './credentials';

// The login flow: one interface, one implementation a protocol (login/oauth1.ts, login/oauth2.ts).
// Route handlers call it and never branch on the protocol themselves (CONTRIBUTING.md, "Two axes").

/**
 * Where a call of the user goes: the login wiki (no `wiki`, or one with `home`), or another wiki of
 * the farm the app may call (lib/server/wiki/farm.ts resolveWiki checks that first). The same token
 * works there (1.0a: signed for that wiki's URL, farm-01; 2.0: the Bearer as is, farm-10).
 */
export interface WikiCall {
  readonly wiki?: WikiTarget;
  /** That wiki's tokens for this request (deadline.ts TokenCache). */
  readonly tokens?: TokenCache;
}

/** What a failed wiki call means for the session. */
export type SessionVerdict = 'revoked' | 'expired' | 'keep';

export interface LoginStart {
  readonly authorizeUrl: string;
  /** What the wiki's redirect back will name: the request token's key (1.0a) or `state` (2.0). */
  readonly key: string;
  readonly handshake: Handshake;
}

export interface LoginFlow {
  readonly protocol: Credentials['protocol'];
  /**
   * initiate: 1.0a asks the wiki for a request token; 2.0 makes state + a PKCE verifier and asks
   * nothing. `lang`: the language our pages are in, for the wiki's consent screen (1.0a `uselang`,
   * 2.0 `ui_locales`); null: none sent.
   */
  start(deadline: WikiDeadline, lang?: string | null): Promise<LoginStart>;
  /** The key the wiki's redirect back names (oauth_token / state); null when absent or repeated. */
  callbackKey(query: URLSearchParams): string | null;
  /** callback: trade the verifier / code, then learn who logged in. */
  finish(
    handshake: Handshake,
    query: URLSearchParams,
    deadline: WikiDeadline,
  ): Promise<NewLogin | 'suppressed'>;
  /**
   * Who the user is, asked of the wiki now: identify's verified JWT (1.0a) or resource/profile (2.0).
   * `jar`: this login's wiki cookies (lib/server/wiki/cookies.ts), sent and updated; null: none.
   * Another wiki of the farm with `on.wiki` (its identify there: iss is that wiki's, farm-07).
   */
  identify(
    credentials: Credentials,
    deadline: WikiDeadline,
    jar?: WikiCookieJar | null,
    on?: WikiCall,
  ): Promise<UserProfile | SuppressedProfile>;
  /**
   * api.php as the user (signed, or Bearer), assert=user, with this login's wiki cookies (`jar`: the
   * jar holds each wiki's by host, so another wiki gets its own); another wiki's api.php with `on.wiki`.
   */
  api(credentials: Credentials, deadline: WikiDeadline, jar?: WikiCookieJar | null, on?: WikiCall): ApiClient;
  /** 2.0: new credentials from the refresh token (the old one dies: o2-15). 1.0a: returns them unchanged. */
  refresh(credentials: Credentials, deadline: WikiDeadline): Promise<Credentials>;
  /** What a failed wiki call means for the session (1.0a: fixtures 13, 14, 33b; 2.0: o2-10, o2-13, o2-15). */
  verdict(error: unknown): SessionVerdict;
}
