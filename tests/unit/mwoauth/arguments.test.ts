// Every public function throws MWOAuthError, never a TypeError from deep inside, when a caller
// (JavaScript, or TypeScript through `any`) leaves out its options or passes something else than an
// object: the README promises `code` to branch on. Nothing is sent in any of these cases.
import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  complete,
  Handshaker,
  identify,
  initiate,
  MWOAuthError,
  signRequest,
  verifyIdentityJwt,
} from 'mwoauth';
import { fakeFetch } from '../../support/mwoauth-fake-fetch';

const MW = 'https://meta.wikimedia.org/w/index.php';
const API = 'https://meta.wikimedia.org/w/api.php';
const CONSUMER = { key: 'consumer-key', secret: 'consumer-secret' };
const TOKEN = { key: 'token-key', secret: 'token-secret' };
const UA = 'tests/1.0 (tests@example.org)';
const CALLBACK = `oauth_token=${TOKEN.key}&oauth_verifier=v`;

/** Whatever `run` throws or rejects with, or null. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
    return null;
  } catch (error) {
    return error;
  }
}

function mwoauthError(code: string): unknown {
  return expect.objectContaining({ name: 'MWOAuthError', code });
}

/** Lets a test pass what the types forbid, as a JavaScript caller could. */
function untyped<T>(value: unknown): T {
  return value as T;
}

// Each public entry point, called with `options` in place of its options object.
const calls: [string, (options: unknown) => unknown][] = [
  ['initiate', (o) => initiate(MW, CONSUMER, untyped(o))],
  ['complete', (o) => complete(MW, CONSUMER, TOKEN, CALLBACK, untyped(o))],
  ['identify', (o) => identify(MW, CONSUMER, TOKEN, untyped(o))],
  ['new Handshaker', (o) => new Handshaker(MW, CONSUMER, untyped(o))],
];

describe('missing or malformed options', () => {
  for (const [name, call] of calls) {
    for (const absent of [undefined, null]) {
      it(`should make ${name} with ${String(absent)} options ask for a User-Agent`, async () => {
        expect(await failure(() => call(absent))).toEqual(mwoauthError('missing_user_agent'));
      });
    }
    for (const wrong of ['tests/1.0 (tests@example.org)', 42, [UA]]) {
      it(`should make ${name} refuse the options ${JSON.stringify(wrong)} with invalid_argument`, async () => {
        const error = await failure(() => call(wrong));
        expect(error).toEqual(mwoauthError('invalid_argument'));
        expect(error).toMatchObject({ message: expect.stringContaining('userAgent') });
      });
    }
  }

  for (const options of [undefined, null, 'https://meta.wikimedia.org/w/api.php']) {
    it(`should make new ApiClient refuse ${JSON.stringify(options) ?? 'undefined'} with invalid_argument naming what it needs`, async () => {
      const error = await failure(() => new ApiClient(untyped(options)));
      expect(error).toEqual(mwoauthError('invalid_argument'));
      expect(error).toMatchObject({
        message: expect.stringMatching(/apiUrl.*consumer.*accessToken.*userAgent/),
      });
    });
  }

  it("should make an ApiClient's calls treat null call options as none, and refuse non-object ones or params", async () => {
    const fetch = fakeFetch(() => new Response('{}'));
    const api = new ApiClient({ apiUrl: API, consumer: CONSUMER, accessToken: TOKEN, userAgent: UA, fetch });
    expect(await api.get({ action: 'query' }, untyped(null))).toEqual({});
    expect(await failure(() => api.post({ action: 'edit' }, untyped('user')))).toEqual(
      mwoauthError('invalid_argument'),
    );
    for (const params of [undefined, null, 'action=query']) {
      expect(await failure(() => api.get(untyped(params)))).toEqual(mwoauthError('invalid_argument'));
      expect(await failure(() => api.queryAll(untyped(params)).next())).toEqual(
        mwoauthError('invalid_argument'),
      );
    }
    expect(fetch.requests).toHaveLength(1);
  });

  it("should make a Handshaker's initiate treat null options as none, and refuse a bare string", async () => {
    const fetch = fakeFetch(
      () => new Response('oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=true'),
    );
    const handshaker = new Handshaker(MW, CONSUMER, { userAgent: UA, fetch });
    expect(await handshaker.initiate(untyped(null))).toHaveProperty('redirectUrl');
    expect(await failure(() => handshaker.initiate(untyped('https://example.org/callback')))).toEqual(
      mwoauthError('invalid_argument'),
    );
    expect(fetch.requests).toHaveLength(1);
  });

  for (const options of [undefined, null, 'consumer-secret']) {
    it(`should make verifyIdentityJwt refuse ${JSON.stringify(options) ?? 'undefined'} options with invalid_argument`, async () => {
      expect(await failure(() => verifyIdentityJwt('a.b.c', untyped(options)))).toEqual(
        mwoauthError('invalid_argument'),
      );
    });
  }

  it('should make verifyIdentityJwt refuse a missing consumer key, secret or nonce with invalid_argument', async () => {
    const good = { consumerKey: 'k', consumerSecret: 's', issuer: 'https://meta.wikimedia.org', nonce: 'n' };
    for (const name of ['consumerKey', 'consumerSecret', 'nonce']) {
      const error = await failure(() => verifyIdentityJwt('a.b.c', untyped({ ...good, [name]: undefined })));
      expect(error).toEqual(mwoauthError('invalid_argument'));
      expect(error).toMatchObject({ message: expect.stringContaining(name) });
    }
  });

  for (const input of [undefined, null, 'GET https://x.org']) {
    it(`should make signRequest refuse ${JSON.stringify(input) ?? 'undefined'} with invalid_argument`, () => {
      expect(() => signRequest(untyped(input))).toThrow(mwoauthError('invalid_argument'));
    });
  }
});

describe('a consumer that is not an object', () => {
  for (const consumer of [undefined, null, 'consumer-key', 42]) {
    const shown = JSON.stringify(consumer) ?? 'undefined';
    const fetch = fakeFetch(() => new Response(''));
    const options = { userAgent: UA, fetch };
    const withConsumer: [string, () => unknown][] = [
      ['initiate', () => initiate(MW, untyped(consumer), options)],
      ['complete', () => complete(MW, untyped(consumer), TOKEN, CALLBACK, options)],
      ['identify', () => identify(MW, untyped(consumer), TOKEN, options)],
      ['new Handshaker', () => new Handshaker(MW, untyped(consumer), options)],
      [
        'new ApiClient',
        () => new ApiClient({ ...options, apiUrl: API, consumer: untyped(consumer), accessToken: TOKEN }),
      ],
      [
        'signRequest',
        () => signRequest({ method: 'GET', url: API, consumer: untyped(consumer), nonce: 'n', timestamp: 1 }),
      ],
    ];
    for (const [name, call] of withConsumer) {
      it(`should make ${name} refuse the consumer ${shown} with invalid_argument naming it`, async () => {
        const error = await failure(call);
        expect(error).toBeInstanceOf(MWOAuthError);
        expect(error).toMatchObject({
          code: 'invalid_argument',
          message: expect.stringContaining('consumer'),
        });
        expect(fetch.requests).toHaveLength(0);
      });
    }
  }
});
