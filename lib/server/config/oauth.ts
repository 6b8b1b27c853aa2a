import 'server-only';
import { makeToken, type ConsumerToken, type OAuth2Client } from 'mwoauth';
import { parseHttpUrl, type Env } from './env';

// How this app is registered on the wiki. A union on `protocol` (CONTRIBUTING.md, "Two axes"), chosen by
// MW_OAUTH_VERSION: OAuth 1.0a (MW_CONSUMER_KEY, MW_CONSUMER_SECRET, MW_CALLBACK) or OAuth 2.0
// (the client ID and an optional client secret in the same variables, and the redirect URI).

/** OAuth 1.0a: a consumer from Special:OAuthConsumerRegistration. */
export interface OAuth1Config {
  readonly protocol: '1.0a';
  /**
   * The consumer's key and secret, from Special:OAuthConsumerRegistration; its secret prints as
   * [redacted] (lib/mwoauth's makeToken).
   */
  readonly consumer: ConsumerToken;
  /** `oob` (the wiki sends users to the registered callback) or a URL under a callback-is-prefix one. */
  readonly callback: string;
}

/** OAuth 2.0: a client from Special:OAuthConsumerRegistration/propose/oauth2. */
export interface OAuth2Config {
  readonly protocol: '2.0';
  /** The client ID and secret (null: a public client, PKCE only); the secret prints as [redacted]. */
  readonly client: OAuth2Client;
  /** The callback URL registered for the client, sent at authorize and at the code exchange. */
  readonly redirectUri: string;
}

export type OAuthConfig = OAuth1Config | OAuth2Config;

/** The route the wiki sends the browser back to, under the app's origin. */
export const CALLBACK_PATH = '/api/mwoauth/callback';

function readCallback(env: Env, problems: string[]): string {
  const raw = env.MW_CALLBACK?.trim() ?? '';
  if (raw === '' || raw === 'oob') return 'oob';
  const url = parseHttpUrl(raw);
  if (url === null) {
    problems.push(
      'MW_CALLBACK must be "oob" (the wiki sends users to the callback URL you registered) or an http(s) URL under the registered callback-is-prefix URL, e.g. https://my-tool.toolforge.org/api/mwoauth/callback.',
    );
    return 'oob';
  }
  return url.href;
}

/**
 * OAuth 2.0's redirect URI: MW_CALLBACK when set, else APP_URL + /api/mwoauth/callback. The wiki
 * compares it with the registered callback, and it must be sent at both steps (an exchange that
 * sends one the authorize request did not is refused), so it cannot be taken from each request.
 */
function readRedirectUri(env: Env, problems: string[]): string {
  const callback = env.MW_CALLBACK?.trim() ?? '';
  const appUrl = env.APP_URL?.trim() ?? '';
  if (callback !== '') {
    const url = callback === 'oob' ? null : parseHttpUrl(callback);
    if (url !== null) return url.href;
    problems.push(
      'MW_CALLBACK must be the http(s) callback URL registered for the OAuth 2.0 client (e.g. https://my-tool.toolforge.org/api/mwoauth/callback); "oob" is OAuth 1.0a only.',
    );
    return '';
  }
  const origin = appUrl === '' ? null : parseHttpUrl(appUrl);
  if (origin !== null) return new URL(CALLBACK_PATH, origin.origin).href;
  if (appUrl === '') {
    problems.push(
      'MW_OAUTH_VERSION=2.0 needs the callback URL registered for the client: set APP_URL (the callback is then APP_URL/api/mwoauth/callback) or MW_CALLBACK to the registered URL.',
    );
  }
  return '';
}

function readOAuth2(env: Env, problems: string[]): OAuth2Config {
  const clientId = env.MW_CONSUMER_KEY?.trim() ?? '';
  const secret = env.MW_CONSUMER_SECRET?.trim() ?? '';
  if (clientId === '') {
    problems.push(
      'MW_CONSUMER_KEY is not set: with MW_OAUTH_VERSION=2.0 it is the client ID of an OAuth 2.0 client registered at Special:OAuthConsumerRegistration/propose/oauth2 on the wiki.',
    );
  }
  // No secret: a public client ("client is confidential" left unticked at registration), which
  // the wiki lets in with PKCE alone (fixtures o2-18 to o2-20).
  const client: OAuth2Client = { clientId, clientSecret: secret === '' ? null : secret };
  Object.defineProperty(client, Symbol.for('nodejs.util.inspect.custom'), {
    value: (): string =>
      `{ clientId: '${clientId}', clientSecret: ${secret === '' ? 'null' : "'[redacted]'"} }`,
    enumerable: false,
  });
  return { protocol: '2.0', client: Object.freeze(client), redirectUri: readRedirectUri(env, problems) };
}

/** MW_OAUTH_VERSION: `1.0a` (the default) or `2.0`. */
function readVersion(env: Env, problems: string[]): '1.0a' | '2.0' {
  const raw = env.MW_OAUTH_VERSION?.trim() ?? '';
  if (raw === '' || raw === '1.0a' || raw === '1.0') return '1.0a';
  if (raw === '2.0' || raw === '2') return '2.0';
  problems.push(
    'MW_OAUTH_VERSION must be "1.0a" (the default) or "2.0": the protocol the consumer was registered for on the wiki.',
  );
  return '1.0a';
}

/** The registration: MW_OAUTH_VERSION, MW_CONSUMER_KEY, MW_CONSUMER_SECRET and MW_CALLBACK. */
export function readOAuth(env: Env, problems: string[]): OAuthConfig {
  if (readVersion(env, problems) === '2.0') return readOAuth2(env, problems);
  const key = env.MW_CONSUMER_KEY?.trim() ?? '';
  const secret = env.MW_CONSUMER_SECRET?.trim() ?? '';
  if (key === '') {
    problems.push(
      'MW_CONSUMER_KEY is not set: register a consumer at Special:OAuthConsumerRegistration/propose on the wiki (OAuth 1.0a) and copy its consumer key.',
    );
  }
  if (secret === '') {
    problems.push(
      'MW_CONSUMER_SECRET is not set: copy the consumer secret shown once when the consumer was registered.',
    );
  }
  const callback = readCallback(env, problems);
  return { protocol: '1.0a', consumer: makeToken(key, secret), callback };
}
