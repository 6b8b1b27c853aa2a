// One signed request to the wiki: validate the transport, sign with a fresh nonce and the current
// timestamp, send before the deadline. Shared by the handshake functions and ApiClient.
import { type Deadline, type HttpOptions, type HttpResponse, send, type Transport } from './http';
import { type ExtraOAuthParams, generateNonce, signRequest } from './sign';
import type { ConsumerToken, OAuthToken } from './tokens';

/** Options of every function that talks to the wiki. */
export interface RequestOptions extends HttpOptions {
  /**
   * The current time in milliseconds since the epoch (for oauth_timestamp and the identify JWT's
   * checks). Default Date.now. The wiki refuses timestamps more than 300 s off.
   */
  now?: () => number;
  /**
   * Nonce source. Default: 128 random bits from node:crypto. Replace only to replay recorded
   * exchanges in tests: the wiki refuses a nonce it has seen (fixtures 18b, 18c).
   */
  nonce?: () => string;
}

export interface SignedCall {
  method: 'GET' | 'POST';
  url: string;
  body?: URLSearchParams | null;
  consumer: ConsumerToken;
  token: OAuthToken | null;
  extra?: ExtraOAuthParams;
}

export interface SignedResponse {
  response: HttpResponse;
  /** The oauth_nonce sent (identify's JWT must echo it). */
  nonce: string;
}

export async function sendSigned(
  call: SignedCall,
  options: RequestOptions,
  transport: Transport,
  deadline: Deadline,
): Promise<SignedResponse> {
  const nonce = (options.nonce ?? generateNonce)();
  const timestamp = Math.floor((options.now ?? Date.now)() / 1000);
  const signed = signRequest({
    method: call.method,
    url: call.url,
    body: call.body ?? null,
    consumer: call.consumer,
    token: call.token,
    extra: call.extra,
    nonce,
    timestamp,
  });
  const response = await send(
    {
      method: call.method,
      url: call.url,
      headers: {
        Authorization: signed.authorization,
        Accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
      },
      body: call.body ?? null,
    },
    transport,
    deadline,
  );
  return { response, nonce };
}
