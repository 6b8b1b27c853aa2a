// An OAuth 2.0 client of the wiki (Special:OAuthConsumerRegistration/propose/oauth2), and the
// oauth4webapi objects that describe it and the wiki. Extension:OAuth publishes no discovery
// document, so the wiki's "metadata" is written here: the endpoints under rest.php/oauth2/.
import * as oauth from 'oauth4webapi';
import { MWOAuthError } from '../errors.ts';
import { oauth2Endpoint, parseHttpUrl } from '../wiki-urls.ts';

/**
 * The client's credentials as the wiki issued them. A public client (registered as not
 * confidential) has no secret: pass null and it authenticates with PKCE alone (o2-20). A
 * confidential client sends its secret in the form body (client_secret_post, as o2-06 shows).
 */
export interface OAuth2Client {
  readonly clientId: string;
  readonly clientSecret?: string | null;
}

/** A client checked: an absent secret is null. */
export interface CheckedClient {
  readonly clientId: string;
  readonly clientSecret: string | null;
}

/** The client, checked before anything is built or sent (what a session or config hands back is unknown). */
export function toClient(value: unknown): CheckedClient {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MWOAuthError(
      'invalid_argument',
      'The OAuth 2.0 client must be an object { clientId, clientSecret } (clientSecret null for a public client).',
    );
  }
  const clientId: unknown = Reflect.get(value, 'clientId');
  const clientSecret: unknown = Reflect.get(value, 'clientSecret');
  if (typeof clientId !== 'string' || clientId.trim() === '') {
    throw new MWOAuthError(
      'invalid_argument',
      "The OAuth 2.0 client's clientId is missing or empty (the client application key shown at registration).",
    );
  }
  if (clientSecret === undefined || clientSecret === null) return { clientId, clientSecret: null };
  if (typeof clientSecret !== 'string' || clientSecret.trim() === '') {
    throw new MWOAuthError(
      'invalid_argument',
      "The OAuth 2.0 client's clientSecret must be a non-empty string, or null for a public (non-confidential) client.",
    );
  }
  return { clientId, clientSecret };
}

/** The wiki as oauth4webapi sees an authorization server. `issuer` is its origin ($wgCanonicalServer: the JWTs' iss, o2-06). */
export function authorizationServer(restUrl: string): oauth.AuthorizationServer {
  return {
    issuer: parseHttpUrl(restUrl, 'rest.php URL').origin,
    authorization_endpoint: oauth2Endpoint(restUrl, 'authorize'),
    token_endpoint: oauth2Endpoint(restUrl, 'access_token'),
  };
}

export function clientMetadata(client: CheckedClient): oauth.Client {
  return { client_id: client.clientId };
}

/** client_secret_post for a confidential client (o2-06, o2-14, o2-23); client_id alone for a public one (o2-20). */
export function clientAuthentication(client: CheckedClient): oauth.ClientAuth {
  return client.clientSecret === null ? oauth.None() : oauth.ClientSecretPost(client.clientSecret);
}
