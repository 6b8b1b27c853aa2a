// The OAuth 1.0a handshake with Extension:OAuth, as python-mwoauth's functions.py:
//   initiate  -> POST index.php?title=Special:OAuth/initiate   (request token + authorize URL)
//   (the user allows the consumer on the wiki, which redirects to the callback)
//   complete  -> POST index.php?title=Special:OAuth/token      (access token)
//   identify  -> POST index.php?title=Special:OAuth/identify   (who the user is, as a JWT)
// `mwUri` is the wiki's index.php URL, e.g. https://meta.wikimedia.org/w/index.php.
import { MWOAuthError, redactSecrets } from './errors.ts';
import { checkRequestOptions, type CookieJarOption, resolveTransport, startDeadline } from './http.ts';
import { type Identity, normaliseIssuer, verifyIdentityJwt } from './identity.ts';
import { specialOAuthError } from './mediawiki-errors.ts';
import { type RequestOptions, sendSigned } from './oauth-request.ts';
import { type AccessToken, type ConsumerToken, makeToken, type RequestToken, toToken } from './tokens.ts';
import { languageParam, parseHttpUrl, parseMwUri } from './wiki-urls.ts';

// Moved to wiki-urls.ts (both protocols use it); still importable from here.
export { parseMwUri } from './wiki-urls.ts';

export interface InitiateOptions extends RequestOptions {
  /**
   * oauth_callback: 'oob' (default) sends the user back to the callback registered with the
   * consumer; a URL is only accepted by consumers registered with "Allow consumer to specify a
   * callback", and must start with the registered one (fixtures 23, 24*, 27*).
   */
  callback?: string;
  /**
   * The language of the wiki's authorize page (MediaWiki's `uselang`, added to redirectUrl), e.g.
   * the one your own pages are in, so the consent screen speaks it too. Default: none (the wiki's
   * and the user's preference decide).
   */
  uselang?: string | null;
}

export interface InitiateResult {
  /** Where to send the user: Special:OAuth/authorize for this request token. */
  redirectUrl: string;
  /** Keep it (e.g. in the session) until the callback: complete() needs it. Lives 600 s on the wiki. */
  requestToken: RequestToken;
}

export interface IdentifyOptions extends RequestOptions, CookieJarOption {
  /** Seconds of clock skew allowed for exp/iat. Default 10. */
  leeway?: number;
  /**
   * The expected `iss`: the wiki's $wgCanonicalServer, an origin such as 'https://meta.wikimedia.org'
   * (a trailing '/' is accepted; a path or query is refused). Default: the origin of mwUri (scheme,
   * host, port). Set it when the canonical server differs from the URL you call.
   */
  issuer?: string;
}

/** index.php?title=Special%3AOAuth%2F<page>&…, encoded as the reference client does (fixture 01). */
export function specialOAuthUrl(mwUri: string, page: string, extra: Record<string, string> = {}): string {
  const url = parseMwUri(mwUri);
  url.search = new URLSearchParams({ title: `Special:OAuth/${page}`, ...extra }).toString();
  return url.toString();
}

function checkCallback(callback: unknown): string {
  if (callback === undefined) return 'oob';
  if (typeof callback !== 'string' || callback === '') {
    throw new MWOAuthError('invalid_argument', "callback must be 'oob' or an absolute http(s) URL.");
  }
  if (callback === 'oob') return callback;
  parseHttpUrl(callback, "callback (use 'oob' for the registered one)");
  return callback;
}

/**
 * key/secret from 'oauth_token=…&oauth_token_secret=…' or, with format=json, any shape the wiki has
 * sent: {"key","secret"} (REL1_39, fixture 26), {"oauth_token","oauth_token_secret",
 * "oauth_callback_confirmed"} (Extension:OAuth fda4f89e, alone for a few days in June 2026), or
 * both at once (f1d04200, b1abc60d: today's production). The RFC 5849 names win when both are there.
 */
function parseTokenAnswer(text: string, what: string): { key: string; secret: string; confirmed: boolean } {
  const body = text.trim();
  let key: unknown;
  let secret: unknown;
  let confirmed: unknown;
  if (body.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = null;
    }
    if (typeof json === 'object' && json !== null) {
      const named = (rfc: string, legacy: string): unknown => {
        const value: unknown = Reflect.get(json, rfc);
        return typeof value === 'string' && value !== '' ? value : Reflect.get(json, legacy);
      };
      key = named('oauth_token', 'key');
      secret = named('oauth_token_secret', 'secret');
      confirmed = Reflect.get(json, 'oauth_callback_confirmed');
    }
  } else {
    const params = new URLSearchParams(body);
    key = params.get('oauth_token');
    secret = params.get('oauth_token_secret');
    confirmed = params.get('oauth_callback_confirmed');
  }
  if (typeof key !== 'string' || key === '' || typeof secret !== 'string' || secret === '') {
    throw new MWOAuthError(
      'unexpected_response',
      `The wiki's answer to ${what} holds no token (expected oauth_token and oauth_token_secret). ` +
        "Check that mwUri is the wiki's index.php.",
    );
  }
  return { key, secret, confirmed: confirmed === 'true' || confirmed === true };
}

/**
 * Step 1: gets a request token and the URL to send the user to.
 * Throws MWOAuthError: `mediawiki` with mediawikiCode (e.g. mwoauth-callback-not-oob), `callback_not_confirmed`, …
 */
export async function initiate(
  mwUri: string,
  consumer: ConsumerToken,
  options: InitiateOptions,
): Promise<InitiateResult> {
  const consumerToken = toToken(consumer, 'consumer');
  options = checkRequestOptions(options, 'initiate');
  try {
    const transport = resolveTransport(options);
    const callback = checkCallback(options.callback);
    const uselang = languageParam(options.uselang, 'uselang');
    const { response } = await sendSigned(
      {
        method: 'POST',
        url: specialOAuthUrl(mwUri, 'initiate'),
        consumer: consumerToken,
        token: null,
        extra: { oauth_callback: callback },
      },
      options,
      transport,
      startDeadline(transport.timeoutMs),
    );
    const error = specialOAuthError(response, 'a request token');
    if (error !== null) throw error;
    const answer = parseTokenAnswer(response.text, 'initiate');
    // OAuth 1.0a (RFC 5849 §2.1): the server confirms it took the callback.
    if (!answer.confirmed) {
      throw new MWOAuthError(
        'callback_not_confirmed',
        'The wiki did not confirm the callback (oauth_callback_confirmed=true missing): it may not speak OAuth 1.0a.',
        { status: response.status },
      );
    }
    return {
      redirectUrl: specialOAuthUrl(mwUri, 'authorize', {
        oauth_token: answer.key,
        oauth_consumer_key: consumerToken.key,
        ...(uselang === null ? {} : { uselang }),
      }),
      requestToken: makeToken(answer.key, answer.secret),
    };
  } catch (error) {
    throw redactSecrets(error, [consumerToken.secret]);
  }
}

/** The callback's query as URLSearchParams: a query string with or without '?', a full URL, or URLSearchParams. */
function callbackParams(responseQs: unknown): URLSearchParams {
  if (responseQs instanceof URLSearchParams) return responseQs;
  if (typeof responseQs !== 'string') {
    throw new MWOAuthError(
      'invalid_argument',
      "responseQs must be the callback's query string or URLSearchParams.",
    );
  }
  if (/^https?:\/\//i.test(responseQs)) return parseHttpUrl(responseQs, 'callback URL').searchParams;
  return new URLSearchParams(responseQs.startsWith('?') ? responseQs.slice(1) : responseQs);
}

function single(params: URLSearchParams, name: string): string {
  const values = params.getAll(name);
  if (values.length === 0) {
    throw new MWOAuthError(
      'callback_invalid',
      `The callback has no ${name}; the wiki sends oauth_verifier and oauth_token when the user clicks Allow.`,
    );
  }
  if (values.length > 1)
    throw new MWOAuthError('callback_invalid', `The callback has ${name} more than once.`);
  const value = values[0] ?? '';
  if (value === '') throw new MWOAuthError('callback_invalid', `The callback's ${name} is empty.`);
  return value;
}

/**
 * Step 3: exchanges the verifier from the callback for the access token. The callback is checked
 * before anything is sent: one non-empty oauth_token and oauth_verifier, and oauth_token must be
 * the request token this handshake started with (else `token_mismatch`: another login's callback).
 */
export async function complete(
  mwUri: string,
  consumer: ConsumerToken,
  requestToken: RequestToken,
  responseQs: string | URLSearchParams,
  options: RequestOptions,
): Promise<AccessToken> {
  const consumerToken = toToken(consumer, 'consumer');
  const request = toToken(requestToken, 'request token');
  options = checkRequestOptions(options, 'complete');
  try {
    const transport = resolveTransport(options);
    const params = callbackParams(responseQs);
    const token = single(params, 'oauth_token');
    const verifier = single(params, 'oauth_verifier');
    if (token !== request.key) {
      throw new MWOAuthError(
        'token_mismatch',
        "The callback's oauth_token is not this handshake's request token: the callback belongs to another login attempt. Start again.",
      );
    }
    const { response } = await sendSigned(
      {
        method: 'POST',
        url: specialOAuthUrl(mwUri, 'token'),
        consumer: consumerToken,
        token: request,
        extra: { oauth_verifier: verifier },
      },
      options,
      transport,
      startDeadline(transport.timeoutMs),
    );
    const error = specialOAuthError(response, 'an access token');
    if (error !== null) throw error;
    const answer = parseTokenAnswer(response.text, 'the token request');
    return makeToken(answer.key, answer.secret);
  } catch (error) {
    throw redactSecrets(error, [consumerToken.secret, request.secret]);
  }
}

const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Asks the wiki who the access token's user is, and verifies the answer (see identity.ts).
 * Throws MWOAuthError `invalid_identity` with `reason`, or `mediawiki` (e.g.
 * mwoauthdatastore-access-token-not-found when the user revoked the token).
 */
export async function identify(
  mwUri: string,
  consumer: ConsumerToken,
  accessToken: AccessToken,
  options: IdentifyOptions,
): Promise<Identity> {
  const consumerToken = toToken(consumer, 'consumer');
  const access = toToken(accessToken, 'access token');
  options = checkRequestOptions(options, 'identify');
  try {
    const transport = resolveTransport(options);
    const issuer = options.issuer === undefined ? parseMwUri(mwUri).origin : normaliseIssuer(options.issuer);
    const { response, nonce } = await sendSigned(
      { method: 'POST', url: specialOAuthUrl(mwUri, 'identify'), consumer: consumerToken, token: access },
      options,
      transport,
      startDeadline(transport.timeoutMs),
      options.cookieJar ?? null,
    );
    const error = specialOAuthError(response, 'an identity JWT');
    if (error !== null) throw error;
    let jwt = response.text.trim();
    // The wiki sends the bare JWT with Content-Type application/json (fixture 07); accept it quoted too.
    if (jwt.startsWith('"')) {
      try {
        const parsed: unknown = JSON.parse(jwt);
        if (typeof parsed === 'string') jwt = parsed;
      } catch {
        // not JSON: left as is, rejected below
      }
    }
    if (!COMPACT_JWT.test(jwt)) {
      throw new MWOAuthError(
        'unexpected_response',
        "Special:OAuth/identify did not answer with a JWT. Check that mwUri is the wiki's index.php.",
        { status: response.status },
      );
    }
    return await verifyIdentityJwt(jwt, {
      consumerSecret: consumerToken.secret,
      consumerKey: consumerToken.key,
      issuer,
      nonce,
      leeway: options.leeway,
      now: options.now,
    });
  } catch (error) {
    throw redactSecrets(error, [consumerToken.secret, access.secret]);
  }
}
