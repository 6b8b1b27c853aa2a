// The start of an OAuth 2.0 login: the URL of rest.php/oauth2/authorize to send the user to, with
// `state` and PKCE S256 always, confidential clients too (RFC 9700 §2.1.1; MediaWiki requires PKCE
// of public clients and renders an HTML error page without it: o2-18). No request is made: the
// wiki holds nothing until the user allows the client. Then the callback's query, checked before
// any code is exchanged.
import * as oauth from 'oauth4webapi';
import { MWOAuthError } from '../errors.ts';
import { languageParam, oauth2Endpoint, parseHttpUrl, restUrlFor } from '../wiki-urls.ts';
import { authorizationServer, toClient, type OAuth2Client } from './client.ts';
import { oauth2Error } from './errors.ts';

export interface CreateAuthorizationOptions {
  /**
   * The callback URL registered for the client (Extension:OAuth sends the user back to it with
   * ?code&state: o2-05). Sent at authorize and again at the code exchange, as o2-20 does.
   */
  redirectUri: string;
  /** Grants to ask for, e.g. ['basic', 'editpage'] (o2-20). Default: all the client was registered with. */
  scope?: string | readonly string[] | null;
  /** The wiki's rest.php. Default: beside mwUri's index.php. */
  restUrl?: string;
  /**
   * Replace only to replay recorded exchanges in tests. Default: 256 random bits each
   * (oauth4webapi's generateRandomState / generateRandomCodeVerifier).
   */
  state?: string;
  codeVerifier?: string;
  /**
   * OIDC's `ui_locales`: the language(s) for the consent screen, preferred first, e.g. 'ar' or
   * 'ar fr'. MediaWiki 1.47+ passes the first it knows on as `uselang` (Extension:OAuth 5cc52b0b,
   * T412199); older wikis ignore it. Default: none.
   */
  uiLocales?: string | null;
}

/** What createAuthorization returns: where to send the user, and what to keep until the callback. */
export interface OAuth2Authorization {
  /** rest.php/oauth2/authorize?response_type=code&client_id&state&code_challenge&code_challenge_method=S256&redirect_uri[&scope] */
  redirectUrl: string;
  /** Keep it (e.g. in the session) until the callback: the wiki sends it back, and exchangeCode checks it. */
  state: string;
  /** Keep it secret until the callback: exchangeCode sends it (PKCE). */
  codeVerifier: string;
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** MediaWiki grant names (basic, editpage, createeditmovepage, mwoauth-authonly, …). */
const GRANT = /^[A-Za-z0-9_.-]+$/;

function scopeParam(scope: CreateAuthorizationOptions['scope']): string | null {
  if (scope === undefined || scope === null) return null;
  const grants = typeof scope === 'string' ? scope.split(/\s+/).filter((g) => g !== '') : scope;
  if (!Array.isArray(grants) || !grants.every((g) => typeof g === 'string' && GRANT.test(g))) {
    throw new MWOAuthError(
      'invalid_argument',
      "scope must list grant names, e.g. ['basic', 'editpage'] or 'basic editpage'.",
    );
  }
  return grants.length === 0 ? null : grants.join(' ');
}

/** The redirect_uri: an absolute http(s) URL without fragment (RFC 6749 §3.1.2). */
export function checkRedirectUri(redirectUri: unknown): string {
  if (typeof redirectUri !== 'string' || redirectUri === '') {
    throw new MWOAuthError(
      'invalid_argument',
      'redirectUri is required: the callback URL registered for the OAuth 2.0 client, e.g. https://my-tool.toolforge.org/api/mwoauth/callback.',
    );
  }
  const url = parseHttpUrl(redirectUri, 'redirectUri');
  if (url.hash !== '') throw new MWOAuthError('invalid_url', 'redirectUri must not have a fragment (#…).');
  return redirectUri;
}

function checkOptions(options: unknown, fn: string): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new MWOAuthError(
      'invalid_argument',
      `${fn} takes an options object, e.g. { redirectUri: 'https://my-tool.example/api/mwoauth/callback' }.`,
    );
  }
  return { ...options };
}

/**
 * Step 1: the authorize URL and the state and PKCE verifier to keep. Makes no request.
 * The URL's parameters are in o2-20's order (the reference client's).
 */
export async function createAuthorization(
  mwUri: string,
  client: OAuth2Client,
  options: CreateAuthorizationOptions,
): Promise<OAuth2Authorization> {
  const checked = toClient(client);
  const opts = checkOptions(options, 'createAuthorization');
  const redirectUri = checkRedirectUri(opts.redirectUri);
  const scope = scopeParam(options.scope);
  const uiLocales = languageParam(options.uiLocales, 'uiLocales');
  const restUrl = restUrlFor(mwUri, options.restUrl);
  const state = options.state ?? oauth.generateRandomState();
  if (typeof state !== 'string' || !/^[\x21-\x7e]{1,500}$/.test(state)) {
    throw new MWOAuthError('invalid_argument', 'state must be 1 to 500 printable ASCII characters.');
  }
  const codeVerifier = options.codeVerifier ?? oauth.generateRandomCodeVerifier();
  if (typeof codeVerifier !== 'string' || !CODE_VERIFIER.test(codeVerifier)) {
    throw new MWOAuthError(
      'invalid_argument',
      'codeVerifier must be 43 to 128 letters, digits or "-._~" (RFC 7636 §4.1); leave it out to get a random one.',
    );
  }
  const url = new URL(oauth2Endpoint(restUrl, 'authorize'));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', checked.clientId);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('redirect_uri', redirectUri);
  if (scope !== null) url.searchParams.set('scope', scope);
  if (uiLocales !== null) url.searchParams.set('ui_locales', uiLocales);
  return { redirectUrl: url.toString(), state, codeVerifier };
}

/** The callback's query as URLSearchParams: a query string with or without '?', a full URL, or URLSearchParams. */
export function callbackParams(query: unknown): URLSearchParams {
  if (query instanceof URLSearchParams) return query;
  if (typeof query !== 'string') {
    throw new MWOAuthError(
      'invalid_argument',
      "The callback query must be the callback's query string or URLSearchParams.",
    );
  }
  if (/^https?:\/\//i.test(query)) return parseHttpUrl(query, 'callback URL').searchParams;
  return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
}

function single(params: URLSearchParams, name: string): string {
  const values = params.getAll(name);
  if (values.length === 0) {
    throw new MWOAuthError(
      'callback_invalid',
      `The callback has no ${name}; the wiki sends code and state when the user clicks Allow (o2-05).`,
    );
  }
  if (values.length > 1)
    throw new MWOAuthError('callback_invalid', `The callback has ${name} more than once.`);
  const value = values[0] ?? '';
  if (value === '') throw new MWOAuthError('callback_invalid', `The callback's ${name} is empty.`);
  return value;
}

/**
 * Checks the callback's query against the authorization it answers, before anything is sent:
 * one non-empty `state`, equal to ours (else `token_mismatch`: another login's callback, or a
 * forged one); an `error` the wiki put there becomes a `mediawiki` error; then one non-empty
 * `code`. Returns the parameters as oauth4webapi's validateAuthResponse brands them for the exchange.
 */
export function checkCallback(
  restUrl: string,
  clientId: string,
  expectedState: string,
  query: unknown,
): URLSearchParams {
  const params = callbackParams(query);
  const state = single(params, 'state');
  if (state !== expectedState) {
    throw new MWOAuthError(
      'token_mismatch',
      "The callback's state is not this authorization's: the callback belongs to another login attempt. Start again.",
    );
  }
  const error = oauth2Error(
    { error: params.get('error'), error_description: params.get('error_description') },
    null,
    'callback',
  );
  if (error !== null) throw error;
  single(params, 'code');
  try {
    return oauth.validateAuthResponse(
      authorizationServer(restUrl),
      { client_id: clientId },
      params,
      expectedState,
    );
  } catch (cause) {
    // What is left for it to refuse (iss of another server, a JARM or implicit-flow answer) is not a
    // callback Extension:OAuth sends.
    throw new MWOAuthError(
      'callback_invalid',
      `The callback is not an authorization code answer: ${cause instanceof Error ? cause.message : String(cause)}.`,
    );
  }
}
