// OAuth 1.0a credentials: the consumer (from Special:OAuthConsumerRegistration), the request token
// (initiate, lives 600 s on the wiki) and the access token (complete; permanent until the user
// revokes it in Special:OAuthManageMyGrants). All three are plain `{ key, secret }` pairs so a
// session can store them as JSON; the objects this module makes also print their secret as
// `[redacted]` in String(), template literals and util.inspect (CONTRIBUTING.md).
import { MWOAuthError } from './errors.ts';

export interface OAuthToken {
  readonly key: string;
  readonly secret: string;
}

/** The application's key and secret, as registered on the wiki. */
export type ConsumerToken = OAuthToken;
/** Temporary credentials from Special:OAuth/initiate. */
export type RequestToken = OAuthToken;
/** Token credentials from Special:OAuth/token (or shown at registration for owner-only consumers). */
export type AccessToken = OAuthToken;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function describe(key: string): string {
  return `{ key: '${key}', secret: '[redacted]' }`;
}

/**
 * Makes a token whose `key` and `secret` are ordinary enumerable properties (so
 * `JSON.parse(JSON.stringify(token))` gives them back) while String(), `${token}` and util.inspect
 * hide the secret.
 */
export function makeToken(key: string, secret: string): OAuthToken {
  const token = { key, secret };
  Object.defineProperties(token, {
    toString: { value: (): string => describe(key), enumerable: false },
    [Symbol.toPrimitive]: { value: (): string => describe(key), enumerable: false },
    [INSPECT]: { value: (): string => `OAuthToken ${describe(key)}`, enumerable: false },
  });
  return Object.freeze(token);
}

/**
 * Checks that `value` is a `{ key, secret }` pair with non-empty strings (what a session hands back
 * after JSON.parse) and returns a redacting copy. `what` names it in the error ("consumer",
 * "request token", "access token").
 */
export function toToken(value: unknown, what: string): OAuthToken {
  if (typeof value !== 'object' || value === null) {
    throw new MWOAuthError('invalid_argument', `The ${what} must be an object { key, secret }.`);
  }
  const key: unknown = Reflect.get(value, 'key');
  const secret: unknown = Reflect.get(value, 'secret');
  if (typeof key !== 'string' || key.trim() === '') {
    throw new MWOAuthError('invalid_argument', `The ${what}'s key is missing or empty.`);
  }
  if (typeof secret !== 'string' || secret.trim() === '') {
    throw new MWOAuthError('invalid_argument', `The ${what}'s secret is missing or empty.`);
  }
  return makeToken(key, secret);
}
