// Wikimedia's production behaviour of 2025–2026 that MediaWiki 1.39 (tests/fixtures) does not show,
// replayed through lib/mwoauth with an injected fetch. Each answer is built from a public source,
// named in its test: an Extension:OAuth commit, a Phabricator task, or a client that had to adapt.
// Beside replay.test.ts and oauth2-replay.test.ts, which replay the recorded 1.39 exchanges.
import { describe, expect, it } from 'vitest';
import { CookieJar } from 'tough-cookie';
import {
  ApiClient,
  complete,
  createAuthorization,
  fetchProfile,
  identify,
  initiate,
  MWOAuthError,
} from 'mwoauth';
import { fakeFetch } from '../../support/mwoauth-fake-fetch';

const UA = 'next-mwoauth-tests/0.1 (https://example.org/next-mwoauth; tests@example.org)';
const API = 'https://meta.wikimedia.org/w/api.php';
const INDEX = 'https://meta.wikimedia.org/w/index.php';
const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl';

/**
 * The traffic layer's refusal of an expired or invalidated Bearer token: HTTP 401, an empty body, the
 * RFC 6750 §3 challenge. Shape as m3api-oauth2 commit be39075's test builds it (T419034).
 */
function edge401(challenge: string): () => Response {
  return () => new Response('', { status: 401, headers: { 'www-authenticate': challenge } });
}

async function refusal(promise: Promise<unknown>): Promise<MWOAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MWOAuthError) return error;
    throw error;
  }
  throw new Error('expected an MWOAuthError');
}

describe('the edge 401 for a refused OAuth 2.0 access token (T419034; m3api-oauth2 be39075)', () => {
  it.each([
    ['quoted, with a realm (as be39075 tests it)', 'Bearer realm="...", error="invalid_token"'],
    ['unquoted', 'Bearer error=invalid_token'],
    [
      'with a description after it',
      'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
    ],
  ])('should read a 401 %s on api.php as mediawiki/invalid_token, status 401', async (_, challenge) => {
    const fetch = fakeFetch(edge401(challenge));
    const api = new ApiClient({ apiUrl: API, auth: { bearer: TOKEN }, userAgent: UA, fetch });
    const error = await refusal(api.get({ action: 'query', meta: 'userinfo' }));
    expect(error).toMatchObject({ code: 'mediawiki', mediawikiCode: 'invalid_token', status: 401 });
    // Not retried: only a refreshed token can help, and that is the caller's (ApiClient has no refresh token).
    expect(fetch.requests).toHaveLength(1);
    expect(error.message).not.toContain(TOKEN);
  });

  it('should read the same 401 on a POST (an edit refused before MediaWiki ran it)', async () => {
    const fetch = fakeFetch(edge401('Bearer realm="...", error="invalid_token"'));
    const api = new ApiClient({ apiUrl: API, auth: { bearer: TOKEN }, userAgent: UA, fetch });
    const error = await refusal(api.post({ action: 'edit', title: 'X', text: 'y', token: '+\\' }));
    expect(error).toMatchObject({ code: 'mediawiki', mediawikiCode: 'invalid_token', status: 401 });
  });

  it('should read it on rest.php/oauth2/resource/profile as well', async () => {
    const fetch = fakeFetch(edge401('Bearer error="invalid_token"'));
    const error = await refusal(fetchProfile(INDEX, TOKEN, { userAgent: UA, fetch }));
    expect(error).toMatchObject({ code: 'mediawiki', mediawikiCode: 'invalid_token', status: 401 });
    expect(fetch.requests[0]?.url).toBe('https://meta.wikimedia.org/w/rest.php/oauth2/resource/profile');
  });

  it.each([
    ['no WWW-Authenticate', null],
    ['another error', 'Bearer error="invalid_request"'],
    ['another spelling than RFC 6750 writes', 'Bearer Error="INVALID_TOKEN"'],
    ['the name inside another value', 'Bearer realm="x error=invalid_token"'],
  ])('should leave a 401 with %s an http_error', async (_, challenge) => {
    const headers: Record<string, string> = challenge === null ? {} : { 'www-authenticate': challenge };
    const fetch = fakeFetch(() => new Response('Unauthorized', { status: 401, headers }));
    const api = new ApiClient({ apiUrl: API, auth: { bearer: TOKEN }, userAgent: UA, fetch });
    await expect(api.get({ action: 'query' })).rejects.toMatchObject({ code: 'http_error', status: 401 });
  });

  it('should not take a 200 answer with the header for a refusal', async () => {
    const fetch = fakeFetch(
      () =>
        new Response('{"batchcomplete":true}', {
          status: 200,
          headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' },
        }),
    );
    const api = new ApiClient({ apiUrl: API, auth: { bearer: TOKEN }, userAgent: UA, fetch });
    await expect(api.get({ action: 'query' })).resolves.toEqual({ batchcomplete: true });
  });
});

/**
 * The `sessionJwt` cookie as Extension:OAuth a87d4516 (T417833) makes api.php set it on OAuth 1.0a
 * requests, and core's JwtSessionCookieHelper names it; the refusal of a cookie that names another
 * user is the API error mwoauth-invalid-authorization-jwt, "Invalid 'sessionJwt' cookie: $1"
 * (a87d4516's i18n/en.json).
 */
describe('the wiki cookies of one login (Extension:OAuth a87d4516)', () => {
  const consumer = { key: 'c0nsumer', secret: 'c0nsumer-secret' };
  const accessToken = { key: 'acce55', secret: 'acce55-secret' };
  const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtdzpDZW50cmFsQXV0aDo6NDIifQ.c2ln';
  const setJwt = `sessionJwt=${JWT}; expires=Tue, 08 Dec 2099 05:00:00 GMT; Max-Age=14400; path=/; secure; HttpOnly`;
  const ok = (headers: Record<string, string> = {}): Response =>
    new Response('{"batchcomplete":true}', {
      status: 200,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const jwtRefused = (): Response =>
    new Response(
      JSON.stringify({
        error: {
          code: 'mwoauth-invalid-authorization-jwt',
          info: "Invalid 'sessionJwt' cookie: JWT error: the subject does not match",
        },
      }),
      {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'mediawiki-api-error': 'mwoauth-invalid-authorization-jwt',
        },
      },
    );

  it('should keep the sessionJwt the wiki sets in the jar and send it back with the next request', async () => {
    const jar = new CookieJar();
    const fetch = fakeFetch(
      () => ok({ 'set-cookie': setJwt }),
      () => ok(),
    );
    const api = new ApiClient({ apiUrl: API, consumer, accessToken, userAgent: UA, fetch, cookieJar: jar });
    await api.get({ action: 'query', meta: 'userinfo' });
    await api.get({ action: 'query', meta: 'userinfo' });
    expect(fetch.requests[0]?.headers.get('cookie')).toBeNull();
    expect(fetch.requests[1]?.headers.get('cookie')).toBe(`sessionJwt=${JWT}`);
    expect(await jar.getCookieString('https://commons.wikimedia.org/w/api.php')).toBe('');
  });

  it("should never send one login's cookies with another's requests (a jar each)", async () => {
    const [aliceJar, bobJar] = [new CookieJar(), new CookieJar()];
    const fetch = fakeFetch(
      () => ok({ 'set-cookie': setJwt }),
      () => ok(),
    );
    const alice = new ApiClient({
      apiUrl: API,
      consumer,
      accessToken,
      userAgent: UA,
      fetch,
      cookieJar: aliceJar,
    });
    const bob = new ApiClient({
      apiUrl: API,
      consumer,
      accessToken,
      userAgent: UA,
      fetch,
      cookieJar: bobJar,
    });
    await alice.get({ action: 'query' });
    await bob.get({ action: 'query' });
    expect(fetch.requests[1]?.headers.get('cookie')).toBeNull();
  });

  it('should send no cookie and keep none without a jar (as before)', async () => {
    const fetch = fakeFetch(
      () => ok({ 'set-cookie': setJwt }),
      () => ok(),
    );
    const api = new ApiClient({ apiUrl: API, consumer, accessToken, userAgent: UA, fetch });
    await api.get({ action: 'query' });
    await api.get({ action: 'query' });
    expect(fetch.requests[1]?.headers.get('cookie')).toBeNull();
  });

  it('should clear the jar and retry once when the wiki refuses its sessionJwt, keeping the new one', async () => {
    const jar = new CookieJar();
    await jar.setCookie('sessionJwt=someone.elses.jwt; path=/; secure', API);
    const fetch = fakeFetch(jwtRefused, () => ok({ 'set-cookie': setJwt }));
    const api = new ApiClient({ apiUrl: API, consumer, accessToken, userAgent: UA, fetch, cookieJar: jar });
    await expect(api.post({ action: 'edit', title: 'X', text: 'y', token: '+\\' })).resolves.toEqual({
      batchcomplete: true,
    });
    expect(fetch.requests.map((r) => r.headers.get('cookie'))).toEqual([
      'sessionJwt=someone.elses.jwt',
      null,
    ]);
    expect(await jar.getCookieString(API)).toBe(`sessionJwt=${JWT}`);
  });

  it('should retry only once: a second refusal is thrown', async () => {
    const jar = new CookieJar();
    await jar.setCookie('sessionJwt=someone.elses.jwt; path=/; secure', API);
    const fetch = fakeFetch(jwtRefused);
    const api = new ApiClient({ apiUrl: API, consumer, accessToken, userAgent: UA, fetch, cookieJar: jar });
    await expect(api.get({ action: 'query' })).rejects.toMatchObject({
      code: 'mediawiki',
      mediawikiCode: 'mwoauth-invalid-authorization-jwt',
    });
    expect(fetch.requests).toHaveLength(2);
  });

  it('should carry the jar on identify, and read and fill it on fetchProfile', async () => {
    const jar = new CookieJar();
    await jar.setCookie(`sessionJwt=${JWT}; path=/; secure`, API);
    const fetch = fakeFetch(() => new Response('{"error":"x"}', { status: 401 }));
    await expect(fetchProfile(INDEX, TOKEN, { userAgent: UA, fetch, cookieJar: jar })).rejects.toThrow();
    expect(fetch.requests[0]?.headers.get('cookie')).toBe(`sessionJwt=${JWT}`);
    const idFetch = fakeFetch(() => new Response('Error: x', { status: 200 }));
    await expect(
      identify(INDEX, consumer, accessToken, { userAgent: UA, fetch: idFetch, cookieJar: jar }),
    ).rejects.toThrow();
    expect(idFetch.requests[0]?.headers.get('cookie')).toBe(`sessionJwt=${JWT}`);
  });
});

/**
 * Wikimedia's global API rate limits (wikitech-l 2026-03-02; mediawiki.org "Wikimedia APIs/Rate
 * limits"): over budget, HTTP 429 with Retry-After; and MediaWiki's own `ratelimited` API error
 * (API:Etiquette: back off as told).
 */
describe('rate limits: 429 and ratelimited, retried only as Retry-After allows', () => {
  const consumer = { key: 'c0nsumer', secret: 'c0nsumer-secret' };
  const accessToken = { key: 'acce55', secret: 'acce55-secret' };
  const tooMany = (retryAfter: string | null) => (): Response =>
    new Response('Too many requests', {
      status: 429,
      headers: retryAfter === null ? {} : { 'retry-after': retryAfter },
    });
  const ratelimited = (retryAfter: string | null) => (): Response =>
    new Response(
      JSON.stringify({ error: { code: 'ratelimited', info: "You've exceeded your rate limit." } }),
      {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'mediawiki-api-error': 'ratelimited',
          ...(retryAfter === null ? {} : { 'retry-after': retryAfter }),
        },
      },
    );
  const ok = (): Response => new Response('{"batchcomplete":true}', { status: 200 });
  const waits: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    waits.push(ms);
  };

  it('should give up at once on a 429 whose wait is longer than the client accepts, saying how long', async () => {
    const fetch = fakeFetch(tooMany('120'));
    const api = new ApiClient({ apiUrl: API, consumer, accessToken, userAgent: UA, fetch, sleep });
    await expect(api.get({ action: 'query' })).rejects.toMatchObject({
      code: 'http_error',
      status: 429,
      retryAfterS: 120,
    });
    expect(fetch.requests).toHaveLength(1);
  });

  it('should wait as Retry-After says (seconds or an HTTP date) and try again', async () => {
    waits.length = 0;
    const soon = new Date(Date.now() + 2000).toUTCString();
    const fetch = fakeFetch(tooMany('1'), tooMany(soon), ok);
    const api = new ApiClient({ apiUrl: API, consumer, accessToken, userAgent: UA, fetch, sleep });
    await expect(api.get({ action: 'query' })).resolves.toEqual({ batchcomplete: true });
    expect(waits[0]).toBe(1000);
    expect(waits[1]).toBeGreaterThan(0);
    expect(waits[1]).toBeLessThanOrEqual(2000);
  });

  it('should retry ratelimited only with a Retry-After, and say so when it gives up', async () => {
    const told = fakeFetch(ratelimited('1'), ok);
    const api = new ApiClient({ apiUrl: API, consumer, accessToken, userAgent: UA, fetch: told, sleep });
    await expect(api.post({ action: 'edit', title: 'X', text: 'y', token: '+\\' })).resolves.toEqual({
      batchcomplete: true,
    });
    const silent = fakeFetch(ratelimited(null), ok);
    const api2 = new ApiClient({ apiUrl: API, consumer, accessToken, userAgent: UA, fetch: silent, sleep });
    await expect(api2.get({ action: 'query' })).rejects.toMatchObject({
      code: 'mediawiki',
      mediawikiCode: 'ratelimited',
      retryAfterS: null,
    });
    expect(silent.requests).toHaveLength(1);
  });

  it('should carry retryAfterS from a 429 at rest.php/oauth2/resource/profile too', async () => {
    const fetch = fakeFetch(tooMany('30'));
    await expect(fetchProfile(INDEX, TOKEN, { userAgent: UA, fetch })).rejects.toMatchObject({
      status: 429,
      retryAfterS: 30,
    });
  });
});

/** The consent screen's language: `uselang` (any MediaWiki page) and `ui_locales` (Extension:OAuth 5cc52b0b, T412199). */
describe('the language of the consent screen', () => {
  it('should add uselang to the 1.0a authorize URL, and ui_locales to the 2.0 one', async () => {
    const fetch = fakeFetch(
      () =>
        new Response('oauth_token=rt&oauth_token_secret=rs&oauth_callback_confirmed=true', { status: 200 }),
    );
    const consumer = { key: 'c0nsumer', secret: 'c0nsumer-secret' };
    const started = await initiate(INDEX, consumer, { userAgent: UA, fetch, uselang: 'ar' });
    expect(new URL(started.redirectUrl).searchParams.get('uselang')).toBe('ar');
    expect(new URL(started.redirectUrl).searchParams.get('title')).toBe('Special:OAuth/authorize');

    const client = { clientId: 'client', clientSecret: null };
    const redirectUri = 'http://localhost:3000/api/mwoauth/callback';
    const auth = await createAuthorization(INDEX, client, { redirectUri, uiLocales: 'ar fr' });
    expect(new URL(auth.redirectUrl).searchParams.get('ui_locales')).toBe('ar fr');
    const none = await createAuthorization(INDEX, client, { redirectUri });
    expect(new URL(none.redirectUrl).searchParams.has('ui_locales')).toBe(false);
  });

  it('should refuse what is not a language tag, naming the option', async () => {
    const client = { clientId: 'client', clientSecret: null };
    const redirectUri = 'http://localhost:3000/api/mwoauth/callback';
    await expect(
      createAuthorization(INDEX, client, { redirectUri, uiLocales: 'ar&x=1' }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/^uiLocales must be/),
    });
    const consumer = { key: 'c0nsumer', secret: 'c0nsumer-secret' };
    await expect(
      initiate(INDEX, consumer, { userAgent: UA, uselang: 'ar fr', fetch: fakeFetch() }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/^uselang must be a language code/),
    });
  });
});

/**
 * OAuth 1.0a token answers with format=json: REL1_39's {"key","secret"} (fixture 26), the RFC 5849
 * names alone (Extension:OAuth fda4f89e, June 2026), and both (f1d04200, b1abc60d).
 */
describe('the 1.0a token answer in JSON, in every shape production has sent', () => {
  const consumer = { key: 'c0nsumer', secret: 'c0nsumer-secret' };
  const requestToken = { key: 'rt', secret: 'rs' };
  const callback = 'oauth_token=rt&oauth_verifier=v3r1f13r';
  it.each([
    ['REL1_39 (key/secret)', { key: 'at', secret: 'as' }],
    [
      'fda4f89e (oauth_token/oauth_token_secret)',
      { oauth_token: 'at', oauth_token_secret: 'as', oauth_callback_confirmed: true },
    ],
    [
      'f1d04200 and b1abc60d (both)',
      {
        oauth_token: 'at',
        oauth_token_secret: 'as',
        oauth_callback_confirmed: true,
        key: 'at',
        secret: 'as',
      },
    ],
  ])('should read the access token from %s', async (_, body) => {
    const fetch = fakeFetch(
      () =>
        new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
    const token = await complete(INDEX, consumer, requestToken, callback, { userAgent: UA, fetch });
    expect({ key: token.key, secret: token.secret }).toEqual({ key: 'at', secret: 'as' });
  });

  it('should take the request token and the confirmation from the RFC 5849 shape at initiate', async () => {
    const fetch = fakeFetch(
      () =>
        new Response(
          JSON.stringify({ oauth_token: 'rt', oauth_token_secret: 'rs', oauth_callback_confirmed: true }),
          {
            status: 200,
            headers: { 'content-type': 'application/json' },
          },
        ),
    );
    const started = await initiate(INDEX, consumer, { userAgent: UA, fetch });
    expect(started.requestToken.key).toBe('rt');
  });
});
