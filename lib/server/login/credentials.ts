import 'server-only';
import type { OAuthToken } from 'mwoauth';
import type { WikiCookies } from '../wiki/cookies';

// What a session holds to act as the user, and what a login in progress holds, for each protocol
// (CONTRIBUTING.md, "Two axes"). Narrowed from unknown where they are read back (session/, handshakes).

export type Credentials =
  | { readonly protocol: '1.0a'; readonly accessToken: OAuthToken }
  | {
      readonly protocol: '2.0';
      readonly accessToken: string;
      /** null for a token that is never refreshed (an owner-only client's). */
      readonly refreshToken: string | null;
      /** Seconds since the epoch; null: never expires (owner-only, fixture o2-21). */
      readonly expiresAt: number | null;
    };

/** The protocol's part of a login in progress: what the callback needs besides the wiki's answer. */
export type Handshake =
  | { readonly protocol: '1.0a'; readonly requestToken: OAuthToken }
  | { readonly protocol: '2.0'; readonly state: string; readonly codeVerifier: string };

/** Who logged in, and with what. */
export interface NewLogin {
  readonly sub: string;
  readonly username: string;
  readonly credentials: Credentials;
  /** The wiki's cookies the login got (lib/server/wiki/cookies.ts); absent or null: none. */
  readonly wikiCookies?: WikiCookies | null;
}

/** A token that expires within this many seconds is refreshed before the wiki is asked. */
export const REFRESH_MARGIN_S = 60;

/**
 * When the credentials must be refreshed (seconds since the epoch: REFRESH_MARGIN_S before they
 * expire), or null: never (1.0a tokens do not expire; owner-only 2.0 tokens neither).
 */
export function refreshDueAt(credentials: Credentials): number | null {
  if (credentials.protocol === '1.0a' || credentials.expiresAt === null) return null;
  return credentials.expiresAt - REFRESH_MARGIN_S;
}

/** The refresh token to refresh with (store.refreshOnce's key), or null: none (1.0a, owner-only 2.0). */
export function refreshTokenOf(credentials: Credentials): string | null {
  return credentials.protocol === '2.0' ? credentials.refreshToken : null;
}
