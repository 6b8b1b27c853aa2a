import 'server-only';
import { complete, identify, initiate, MWOAuthError, type AccessToken, type IdentifyOptions } from 'mwoauth';
import type { OAuth1AppConfig } from '../config';
import { isFarmRefusal } from '../wiki/farm';
import { deadlineApiClient, wikiOptions, type WikiDeadline } from '../wiki/deadline';
import type { Credentials } from './credentials';
import type { LoginFlow, SessionVerdict } from './flow';
import { askWikiCookies } from '../wiki/cookie-ask';

// The login flow for OAuth 1.0a (Extension:OAuth's Special:OAuth/initiate, authorize, token and
// identify; fixtures 01-07), and what the wiki's 1.0a errors mean for a session.

/**
 * Options of every identify call of the app: wikiOptions, and the expected `iss` when MW_ISSUER is
 * set (else lib/mwoauth expects the origin of MW_INDEX_URL).
 */
export function identifyOptions(config: OAuth1AppConfig, deadline?: WikiDeadline): IdentifyOptions {
  const options: IdentifyOptions = wikiOptions(config, deadline);
  if (config.wiki.issuer !== null) options.issuer = config.wiki.issuer;
  return options;
}

/**
 * MediaWiki's answers for an access token the user revoked in Special:OAuthManageMyGrants (or that
 * never existed): identify says mwoauthdatastore-access-token-not-found (fixtures 13, 33); the API
 * says mwoauth-invalid-authorization (fixtures 14, 33b); assert=user fails once the token no longer
 * logs anyone in.
 *
 * The API answers mwoauth-invalid-authorization for a revoked grant AND for a timestamp more than
 * 300 s off or a bad signature (fixtures 15, 17, 33b): so a page or an action that meets one never
 * ends the session itself (that would log users out whenever a clock drifts). It sends the browser
 * to /api/mwoauth/revoked, which asks identify, which tells them apart, before it ends the session.
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

/** Errors made for a session of another protocol (the app was switched): that session must end. */
const foreignSessions = new WeakSet<object>();

function accessTokenOf(credentials: Credentials): AccessToken {
  if (credentials.protocol === '1.0a') return credentials.accessToken;
  const error = new MWOAuthError(
    'invalid_argument',
    'This session was made with OAuth 2.0, but the app now uses OAuth 1.0a: log in again.',
  );
  foreignSessions.add(error);
  throw error;
}

/** OAuth 1.0a: tokens that never expire, so nothing to refresh. */
export function oauth1Flow(config: OAuth1AppConfig): LoginFlow {
  const { indexUrl, apiUrl } = config.wiki;
  const api: LoginFlow['api'] = (credentials, deadline, jar = null, on = {}) =>
    deadlineApiClient(
      {
        // Another wiki's api.php: the request is signed for its URL (farm-01).
        apiUrl: on.wiki?.apiUrl ?? apiUrl,
        consumer: config.consumer,
        accessToken: accessTokenOf(credentials),
        userAgent: config.userAgent,
        // Wikimedia counts a 1.0a request as the user's (not the server's anonymous budget) only
        // with the sessionJwt cookie it set (lib/server/wiki/cookies.ts).
        cookieJar: jar,
        // A write or read done for a logged-in user must fail, not happen anonymously, if the
        // token stopped logging in (API assert=user).
        assert: 'user',
      },
      deadline,
      on.tokens,
    );
  return {
    protocol: '1.0a',

    async start(deadline, lang = null) {
      const { redirectUrl, requestToken } = await initiate(indexUrl, config.consumer, {
        callback: config.callback,
        // Special:OAuth/authorize in the visitor's language, as any MediaWiki page takes it.
        uselang: lang,
        ...wikiOptions(config, deadline),
      });
      return {
        authorizeUrl: redirectUrl,
        key: requestToken.key,
        handshake: { protocol: '1.0a', requestToken },
      };
    },

    // The wiki sends the user back with oauth_verifier and oauth_token (fixture 04). Exactly one:
    // a repeated oauth_token names no login (and makes no request to the wiki).
    callbackKey(query) {
      const tokens = query.getAll('oauth_token');
      const [token] = tokens;
      return tokens.length === 1 && token !== undefined && token !== '' ? token : null;
    },

    async finish(handshake, query, deadline) {
      if (handshake.protocol !== '1.0a') {
        throw new MWOAuthError('token_mismatch', 'This login was started with another protocol.');
      }
      // One deadline for both calls: the request must not take MW_TIMEOUT_MS twice.
      const accessToken = await complete(
        indexUrl,
        config.consumer,
        handshake.requestToken,
        query,
        wikiOptions(config, deadline),
      );
      const credentials: Credentials = { protocol: '1.0a', accessToken };
      // The wiki's sessionJwt, asked for here because the login is the one request that writes a
      // session: a page cannot store a cookie, and a page that wrote one could log a user back in
      // while they log out (tests/security/cookies.test.ts). One api.php call more per login, made
      // beside identify rather than after it (one wiki round trip less): it never throws (a failed
      // ask stores nothing), and its cookies are dropped unless identify succeeds.
      const asked = config.wikiCookies
        ? askWikiCookies((jar, budget) => api(credentials, budget, jar), apiUrl, null, deadline)
        : null;
      // Should identify throw first, this ask is left to end on its own, never as an unhandled rejection.
      asked?.catch(() => undefined);
      const identity = await identify(
        indexUrl,
        config.consumer,
        accessToken,
        identifyOptions(config, deadline),
      );
      if (identity.suppressed) return 'suppressed';
      const wikiCookies = asked === null ? null : await asked;
      return { sub: identity.sub, username: identity.username, credentials, wikiCookies };
    },

    // identify's verified JWT, as lib/mwoauth returns it (the JSON of /api/mwoauth/identify). On
    // another wiki of the farm: that wiki's Special:OAuth/identify, whose iss is that wiki's own
    // $wgCanonicalServer, the origin lib/mwoauth expects of its index.php (farm-07).
    identify(credentials, deadline, jar = null, on = {}) {
      const wiki = on.wiki ?? null;
      const home = wiki === null || wiki.home;
      return identify(home ? indexUrl : wiki.indexUrl, config.consumer, accessTokenOf(credentials), {
        ...(home ? identifyOptions(config, deadline) : wikiOptions(config, deadline)),
        cookieJar: jar,
      });
    },

    api,

    async refresh(credentials) {
      return credentials;
    },

    verdict(error): SessionVerdict {
      // Another wiki of the farm refusing the consumer or a user it does not know yet: the token is
      // good (lib/server/wiki/farm.ts).
      if (isFarmRefusal(error)) return 'keep';
      if (isRevoked(error)) return 'revoked';
      return typeof error === 'object' && error !== null && foreignSessions.has(error) ? 'revoked' : 'keep';
    },
  };
}
