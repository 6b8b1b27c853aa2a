// python-mwoauth's Handshaker: the wiki, the consumer and the options bound once, so a web app
// calls handshaker.initiate() / .complete(requestToken, query) / .identify(accessToken).
import { MWOAuthError } from './errors.ts';
import { complete, identify, initiate, type InitiateResult, parseMwUri } from './handshake.ts';
import { checkRequestOptions } from './http.ts';
import { type Identity, normaliseIssuer } from './identity.ts';
import type { RequestOptions } from './oauth-request.ts';
import { type AccessToken, type ConsumerToken, type RequestToken, toToken } from './tokens.ts';

export interface HandshakerOptions extends RequestOptions {
  /** oauth_callback for initiate: 'oob' (default, the registered callback) or a URL under it. */
  callback?: string;
  /** Seconds of clock skew allowed when verifying identities. Default 10. */
  leeway?: number;
  /** Expected `iss` of identities. Default: the origin of mwUri. */
  issuer?: string;
}

export class Handshaker {
  readonly mwUri: string;
  readonly #consumer: ConsumerToken;
  readonly #options: HandshakerOptions;

  constructor(mwUri: string, consumer: ConsumerToken, options: HandshakerOptions) {
    parseMwUri(mwUri);
    this.mwUri = mwUri;
    this.#consumer = toToken(consumer, 'consumer');
    options = checkRequestOptions(options, 'new Handshaker');
    // Checked now rather than at the first identify(), so a bad configuration fails at start-up.
    if (options.issuer !== undefined) normaliseIssuer(options.issuer);
    this.#options = { ...options };
  }

  /** Step 1: a request token and the URL to send the user to. */
  async initiate(options: { callback?: string } | null = {}): Promise<InitiateResult> {
    if (options !== null && (typeof options !== 'object' || Array.isArray(options))) {
      throw new MWOAuthError(
        'invalid_argument',
        "Handshaker.initiate takes an object, e.g. { callback: 'oob' }, or nothing.",
      );
    }
    return initiate(this.mwUri, this.#consumer, {
      ...this.#options,
      callback: options?.callback ?? this.#options.callback,
    });
  }

  /** Step 3: the access token, from the request token and the callback's query. */
  complete(requestToken: RequestToken, responseQs: string | URLSearchParams): Promise<AccessToken> {
    return complete(this.mwUri, this.#consumer, requestToken, responseQs, this.#options);
  }

  /** The verified identity of the access token's user. */
  identify(accessToken: AccessToken): Promise<Identity> {
    return identify(this.mwUri, this.#consumer, accessToken, this.#options);
  }

  toString(): string {
    return `Handshaker(${this.mwUri}, consumer ${this.#consumer.key})`;
  }
}
