// initiate/complete/Handshaker input checks that happen before anything is sent, tokens that keep
// their secret out of String()/inspect/errors yet survive JSON, and the error formats of the wiki.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { complete, Handshaker, initiate, makeToken, MWOAUTH_ERROR_CODES, MWOAuthError } from 'mwoauth';
import { environment, loadFixture } from '../../support/fixtures';
import { fakeFetch, fixtureFetch } from '../../support/mwoauth-fake-fetch';

const MW = environment.index_php;
const CONSUMER = environment.consumers.oauth1_prefix;
const REQUEST = { key: '7821f1954e245fd41d3e27f9ea237398', secret: '80338781aa4bb1d680d7a100edf33c3b' };
const UA = 'tests/1.0 (tests@example.org)';

describe('tokens', () => {
  it('should survive a JSON round trip with key and secret', () => {
    const token = makeToken('k', 's3cr3t-value');
    expect(JSON.parse(JSON.stringify(token))).toEqual({ key: 'k', secret: 's3cr3t-value' });
  });

  it('should print the secret as [redacted] in String(), template literals and util.inspect', () => {
    const token = makeToken('k', 's3cr3t-value');
    for (const shown of [String(token), `${token}`, inspect(token), inspect({ nested: token })]) {
      expect(shown).toContain('[redacted]');
      expect(shown).not.toContain('s3cr3t-value');
    }
  });

  it('should name which token is invalid', async () => {
    await expect(initiate(MW, { key: 'k', secret: '' }, { userAgent: UA })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('consumer'),
    });
    await expect(
      complete(MW, CONSUMER, { key: '', secret: 's' }, 'oauth_token=a&oauth_verifier=b', { userAgent: UA }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('request token'),
    });
  });
});

describe('before any request is sent', () => {
  it('should require a User-Agent', async () => {
    const fetch = fakeFetch(() => new Response(''));
    for (const userAgent of ['', '   ', undefined]) {
      // @ts-expect-error a caller without types may omit it
      await expect(initiate(MW, CONSUMER, { userAgent, fetch })).rejects.toMatchObject({
        code: 'missing_user_agent',
      });
    }
    expect(fetch.requests).toHaveLength(0);
  });

  it('should reject a malformed mwUri with invalid_url', async () => {
    for (const mwUri of [
      'meta.wikimedia.org',
      'https://x.org/w/index.php?title=Main_Page',
      'ftp://x.org/w/index.php',
    ]) {
      await expect(
        initiate(mwUri, CONSUMER, { userAgent: UA, fetch: fakeFetch(() => new Response('')) }),
      ).rejects.toMatchObject({
        code: 'invalid_url',
      });
    }
  });

  const bad: [string, string | URLSearchParams, string][] = [
    ['a missing oauth_verifier', `oauth_token=${REQUEST.key}`, 'callback_invalid'],
    ['a missing oauth_token', 'oauth_verifier=v', 'callback_invalid'],
    ['an empty oauth_verifier', `oauth_verifier=&oauth_token=${REQUEST.key}`, 'callback_invalid'],
    [
      'a duplicated oauth_token',
      `oauth_verifier=v&oauth_token=${REQUEST.key}&oauth_token=x`,
      'callback_invalid',
    ],
    [
      'a duplicated oauth_verifier',
      new URLSearchParams([
        ['oauth_verifier', 'v'],
        ['oauth_verifier', 'w'],
        ['oauth_token', REQUEST.key],
      ]),
      'callback_invalid',
    ],
    [
      "another login's oauth_token",
      'oauth_verifier=v&oauth_token=00000000000000000000000000000000',
      'token_mismatch',
    ],
  ];
  for (const [what, qs, code] of bad) {
    it(`should refuse a callback with ${what} (${code})`, async () => {
      const fetch = fakeFetch(() => new Response(''));
      await expect(complete(MW, CONSUMER, REQUEST, qs, { userAgent: UA, fetch })).rejects.toMatchObject({
        code,
      });
      expect(fetch.requests).toHaveLength(0);
    });
  }

  it('should accept the callback as a query with or without ?, a full URL, or URLSearchParams', async () => {
    const location = loadFixture('04-authorize-accept-redirect').response.headers.Location ?? '';
    const query = new URL(location).search;
    for (const qs of [query, query.slice(1), location, new URL(location).searchParams]) {
      const fetch = fixtureFetch(loadFixture('05-token-success'));
      const token = await complete(MW, CONSUMER, REQUEST, qs, { userAgent: UA, fetch });
      expect(token.key).toBe('83a7b4316f6837ba6fdbc57d28ec4563');
      expect(fetch.requests[0]?.headers.get('authorization')).toContain(
        'oauth_verifier="169f1f109c6ba85b5749cc1b7844c6a7"',
      );
    }
  });
});

describe('initiate', () => {
  it("should send oauth_callback 'oob' by default and require oauth_callback_confirmed", async () => {
    const fetch = fakeFetch(() => new Response('oauth_token=a&oauth_token_secret=b'));
    await expect(initiate(MW, CONSUMER, { userAgent: UA, fetch })).rejects.toMatchObject({
      code: 'callback_not_confirmed',
    });
    expect(fetch.requests[0]?.headers.get('authorization')).toContain('oauth_callback="oob"');
  });

  it('should parse a MediaWiki Application Connection Error page', async () => {
    const page =
      '<!DOCTYPE html><html><head><title>Application Connection Error - RealWiki</title></head><body>' +
      '<p>Sorry, something went wrong connecting this application.</p><span class="plainlinks mw-mwoautherror-details">Unknown OAuth key, ' +
      '<a class="external" href="https://www.mediawiki.org/wiki/Help:OAuth/Errors#E006">E006</a></span></body></html>';
    await expect(
      initiate(MW, CONSUMER, { userAgent: UA, fetch: fakeFetch(() => new Response(page)) }),
    ).rejects.toMatchObject({
      code: 'mediawiki',
      mediawikiCode: 'mwoauthserver-bad-consumer-key',
    });
  });
});

describe('Handshaker', () => {
  it('should run initiate, complete and identify with the bound wiki and consumer', async () => {
    const answers = ['01-initiate-success', '05-token-success', '07-identify-success'].map(
      (n) => loadFixture(n).response.body,
    );
    const fetch = fakeFetch(...answers.map((body) => () => new Response(body)));
    const handshaker = new Handshaker(MW, CONSUMER, {
      userAgent: UA,
      fetch,
      now: () => 1795331577_000,
      nonce: () => '44901020068282336061795331577',
    });
    const { requestToken } = await handshaker.initiate();
    const location = loadFixture('04-authorize-accept-redirect').response.headers.Location ?? '';
    const access = await handshaker.complete(JSON.parse(JSON.stringify(requestToken)), location);
    const identity = await handshaker.identify(JSON.parse(JSON.stringify(access)));
    expect(identity).toMatchObject({ username: 'Alice', suppressed: false });
    expect(String(handshaker)).not.toContain(CONSUMER.secret);
  });
});

describe('Handshaker options', () => {
  it('should refuse an issuer with a path when constructed, and accept an origin with a trailing slash', () => {
    expect(
      () => new Handshaker(MW, CONSUMER, { userAgent: UA, issuer: 'https://meta.wikimedia.org/w' }),
    ).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining('issuer') }),
    );
    expect(new Handshaker(MW, CONSUMER, { userAgent: UA, issuer: 'https://meta.wikimedia.org/' }).mwUri).toBe(
      MW,
    );
  });
});

describe('MWOAuthError', () => {
  it('should export its codes, set its name and never show a secret echoed by the wiki', async () => {
    expect(MWOAUTH_ERROR_CODES).toContain('timeout');
    const echo = fakeFetch(
      () => new Response(`Error: bad request from ${CONSUMER.secret} and ${REQUEST.secret}`),
    );
    const error: unknown = await complete(
      MW,
      CONSUMER,
      REQUEST,
      `oauth_verifier=v&oauth_token=${REQUEST.key}`,
      {
        userAgent: UA,
        fetch: echo,
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MWOAuthError);
    expect(error).toMatchObject({ name: 'MWOAuthError', code: 'mediawiki' });
    const shown = [String(error), JSON.stringify(error), inspect(error)].join(' ');
    expect(shown).toContain('[redacted]');
    expect(shown).not.toContain(CONSUMER.secret);
    expect(shown).not.toContain(REQUEST.secret);
  });
});
