import 'server-only';
import { makeToken, type ConsumerToken } from '@/lib/mwoauth';
import { parseHttpUrl, type Env } from './env';

// How this app is registered on the wiki. A union on `protocol` (DESIGN.md "Two axes"): today
// OAuth 1.0a only (MW_CONSUMER_KEY, MW_CONSUMER_SECRET, MW_CALLBACK); MW_OAUTH_VERSION=2.0 adds
// its member here (client id, an optional secret, redirect_uri), read in readOAuth.

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

export type OAuthConfig = OAuth1Config;

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

/** The registration, from MW_CONSUMER_KEY, MW_CONSUMER_SECRET and MW_CALLBACK. */
export function readOAuth(env: Env, problems: string[]): OAuthConfig {
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
