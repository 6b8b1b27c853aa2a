import 'server-only';
import {
  createAuthorization,
  exchangeCode,
  fetchProfile,
  type ApiClient,
  type WikiCookieJar,
  MWOAuthError,
  refreshTokens,
  type OAuth2Tokens,
} from 'mwoauth';
import type { OAuth2AppConfig } from '../config';
import { isFarmRefusal } from '../wiki/farm';
import { deadlineApiClient, wikiOptions, type WikiDeadline } from '../wiki/deadline';
import type { Credentials } from './credentials';
import type { LoginFlow, SessionVerdict, WikiCall } from './flow';

// The login flow for OAuth 2.0 (Extension:OAuth's rest.php/oauth2/*; fixtures o2-01 to o2-23):
// authorization code with state and PKCE S256 (always, confidential clients too), the code
// exchange, resource/profile for who the user is (there is no identify JWT), api.php with a Bearer
// token, and the refresh of access tokens that expire (1 hour by default, 4 hours on Wikimedia
// wikis) with refresh tokens the wiki rotates (the old one dies at first use: o2-15).

// What a failed call means, remembered on the error itself: the same MediaWiki code means
// different things at different steps (invalid_request at the refresh is a dead refresh token,
// o2-15; elsewhere a bad request of ours).
const deadRefreshTokens = new WeakSet<object>();
const foreignSessions = new WeakSet<object>();

/** 400/401 invalid_request (MediaWiki, o2-15) or invalid_grant (RFC 6749 §5.2) at the refresh. */
function isDeadRefreshToken(error: unknown): boolean {
  return (
    error instanceof MWOAuthError &&
    error.code === 'mediawiki' &&
    (error.status === 400 || error.status === 401) &&
    (error.mediawikiCode === 'invalid_request' || error.mediawikiCode === 'invalid_grant')
  );
}

/**
 * The access token was refused: 401 access_denied at resource/profile (o2-10), api.php's
 * mwoauth-invalid-authorization with a Bearer token (o2-13: expired, revoked, or killed by a
 * refresh elsewhere: league/oauth2-server revokes the old access token when it rotates), and
 * assert=user failing; on Wikimedia, the traffic layer's 401 with WWW-Authenticate
 * error="invalid_token" on api.php and rest.php alike (T419034; lib/mwoauth edgeTokenError), which
 * also comes long before expires_in when the user updated the app's authorization (Extension:OAuth
 * 0bdc100a). A refresh tells these apart: a revoked grant's refresh token is dead too.
 */
const EXPIRED_CODES = new Set([
  'invalid_token',
  'access_denied',
  'mwoauth-invalid-authorization',
  'assertuserfailed',
  'assertnameduserfailed',
]);

function bearerOf(credentials: Credentials): Extract<Credentials, { protocol: '2.0' }> {
  if (credentials.protocol === '2.0') return credentials;
  const error = new MWOAuthError(
    'invalid_argument',
    'This session was made with OAuth 1.0a, but the app now uses OAuth 2.0: log in again.',
  );
  foreignSessions.add(error);
  throw error;
}

function toCredentials(tokens: OAuth2Tokens): Credentials {
  return {
    protocol: '2.0',
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
  };
}

export function oauth2Flow(config: OAuth2AppConfig): LoginFlow {
  const { indexUrl, apiUrl } = config.wiki;
  const { client, redirectUri } = config;

  function apiClient(
    credentials: Credentials,
    deadline: WikiDeadline,
    jar: WikiCookieJar | null = null,
    on: WikiCall = {},
  ): ApiClient {
    return deadlineApiClient(
      {
        // Another wiki's api.php takes the same Bearer token (farm-10, farm-11).
        apiUrl: on.wiki?.apiUrl ?? apiUrl,
        auth: { bearer: bearerOf(credentials).accessToken },
        userAgent: config.userAgent,
        // This login's wiki cookies (lib/server/wiki/cookies.ts); the jar sends each host its own.
        cookieJar: jar,
        // Fail, never act anonymously, once the token stops logging in.
        assert: 'user',
      },
      deadline,
      on.tokens,
    );
  }
  return {
    protocol: '2.0',

    // No request to the wiki: state and the PKCE verifier are made here and kept in the handshake
    // cookie; the authorize URL carries the S256 challenge (o2-20).
    async start(_deadline, lang = null) {
      const { redirectUrl, state, codeVerifier } = await createAuthorization(indexUrl, client, {
        redirectUri,
        // The consent screen in the visitor's language on MediaWiki 1.47+ (Extension:OAuth 5cc52b0b).
        uiLocales: lang,
      });
      return { authorizeUrl: redirectUrl, key: state, handshake: { protocol: '2.0', state, codeVerifier } };
    },

    // The wiki sends the user back with ?code=…&state=… (o2-05). Exactly one state: a repeated
    // one names no login (and makes no request to the wiki).
    callbackKey(query) {
      const states = query.getAll('state');
      const [state] = states;
      return states.length === 1 && state !== undefined && state !== '' ? state : null;
    },

    async finish(handshake, query, deadline) {
      if (handshake.protocol !== '2.0') {
        throw new MWOAuthError('token_mismatch', 'This login was started with another protocol.');
      }
      const tokens = await exchangeCode(indexUrl, client, handshake, query, {
        redirectUri,
        ...wikiOptions(config, deadline),
      });
      // Who logged in: resource/profile's answer, never the access token's claims (see identify below).
      const profile = await fetchProfile(indexUrl, tokens.accessToken, wikiOptions(config, deadline));
      if (profile.suppressed) return 'suppressed';
      return { sub: profile.sub, username: profile.username, credentials: toCredentials(tokens) };
    },

    // Who the user is comes from rest.php/oauth2/resource/profile, never from the access token: it is
    // opaque to clients, and its `sub` changed form in production (Extension:OAuth acb25b54, T399199:
    // `mw:CentralAuth::<id>`), which broke clients that read it.
    async identify(credentials, deadline, jar = null, on = {}) {
      const wiki = on.wiki ?? null;
      const accessToken = bearerOf(credentials).accessToken;
      if (wiki === null || wiki.home)
        return fetchProfile(indexUrl, accessToken, { ...wikiOptions(config, deadline), cookieJar: jar });
      try {
        // That wiki's rest.php/oauth2/resource/profile: the central wiki's token works there (farm-12).
        return await fetchProfile(wiki.indexUrl, accessToken, {
          ...wikiOptions(config, deadline),
          cookieJar: jar,
        });
      } catch (error) {
        // For a user without a local account there, REL1_39's profile handler fails with HTTP 500
        // (a TypeError; _facts.json farm.user_without_local_account.oauth2_profile_endpoint), which
        // cannot be told from a fault; its api.php can: ask it, and throw its refusal if it has one.
        if (!(error instanceof MWOAuthError) || error.code !== 'http_error' || error.status !== 500)
          throw error;
        try {
          await apiClient(credentials, deadline, jar, on).get({ action: 'query', meta: 'userinfo' });
        } catch (why) {
          if (isFarmRefusal(why)) throw why;
        }
        throw error;
      }
    },

    api: apiClient,

    async refresh(credentials, deadline) {
      const current = bearerOf(credentials);
      if (current.refreshToken === null) return current; // owner-only: nothing to refresh with
      try {
        return toCredentials(
          await refreshTokens(indexUrl, client, current.refreshToken, wikiOptions(config, deadline)),
        );
      } catch (error) {
        if (isDeadRefreshToken(error) && error instanceof MWOAuthError) deadRefreshTokens.add(error);
        throw error;
      }
    },

    verdict(error): SessionVerdict {
      if (typeof error !== 'object' || error === null) return 'keep';
      // Another wiki of the farm refusing the consumer or a user it does not know yet: the token is
      // good (lib/server/wiki/farm.ts); a refresh would not change that.
      if (isFarmRefusal(error)) return 'keep';
      if (deadRefreshTokens.has(error) || foreignSessions.has(error)) return 'revoked';
      if (
        error instanceof MWOAuthError &&
        error.code === 'mediawiki' &&
        error.mediawikiCode !== null &&
        EXPIRED_CODES.has(error.mediawikiCode)
      ) {
        return 'expired';
      }
      return 'keep';
    },
  };
}
