// Special:OAuth/identify's JWT: each forged, misdirected, stale or replayed token is rejected with
// code invalid_identity and the reason naming the failed check; error answers are MediaWiki errors.
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { identify, MWOAuthError, normaliseGrants, type IdentifyOptions } from 'mwoauth';
import { loadFixture } from '../../support/fixtures';
import { fakeFetch } from '../../support/mwoauth-fake-fetch';

const MW_URI = 'https://meta.wikimedia.org/w/index.php';
const ISSUER = 'https://meta.wikimedia.org';
const CONSUMER = { key: 'c705adb805893d28900603b2cafa3aeb', secret: 'consumer-secret-0123456789' };
const ACCESS = { key: '83a7b4316f6837ba6fdbc57d28ec4563', secret: 'access-secret-0123456789' };
const NOW_S = 1_800_000_000;
const NONCE = 'the-nonce-that-was-sent';

/** The claims of fixture 07 (Alice), moved to this test's issuer, time and nonce. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const recorded = loadFixture('07-identify-success').jwt?.payload ?? {};
  const all: Record<string, unknown> = {
    ...recorded,
    iss: ISSUER,
    aud: CONSUMER.key,
    iat: NOW_S,
    exp: NOW_S + 100,
    nonce: NONCE,
    ...overrides,
  };
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
  return all;
}

function hs(payload: Record<string, unknown>, secret = CONSUMER.secret, alg = 'HS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', alg }).sign(new TextEncoder().encode(secret));
}

async function identifyWith(
  body: string,
  options: Partial<IdentifyOptions> = {},
  consumer: { key: string; secret: string } = CONSUMER,
): Promise<unknown> {
  const fetch = fakeFetch(
    () => new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } }),
  );
  try {
    return await identify(MW_URI, consumer, ACCESS, {
      userAgent: 'tests/1.0 (tests@example.org)',
      fetch,
      now: () => NOW_S * 1000,
      nonce: () => NONCE,
      ...options,
    });
  } catch (error) {
    return error;
  }
}

function rejected(reason: string): unknown {
  return expect.objectContaining({ name: 'MWOAuthError', code: 'invalid_identity', reason });
}

describe('identify', () => {
  it('should accept a well-formed JWT and return the typed identity', async () => {
    const result = await identifyWith(await hs(claims()));
    expect(result).toMatchObject({
      suppressed: false,
      username: 'Alice',
      sub: '3',
      grants: ['basic', 'editpage', 'createeditmovepage'],
    });
  });

  it('should accept the nonce it sent, not the one the caller chose afterwards', async () => {
    const fetch = fakeFetch(async (req) => {
      const nonce = /oauth_nonce="([^"]+)"/.exec(req.headers.get('authorization') ?? '')?.[1] ?? '';
      return new Response(await hs(claims({ nonce })));
    });
    const identity = await identify(MW_URI, CONSUMER, ACCESS, {
      userAgent: 'tests/1.0',
      fetch,
      now: () => NOW_S * 1000,
    });
    expect(identity.sub).toBe('3');
  });

  it('should reject alg none', async () => {
    const header = base64url.encode(JSON.stringify({ typ: 'JWT', alg: 'none' }));
    const payload = base64url.encode(JSON.stringify(claims()));
    expect(await identifyWith(`${header}.${payload}.`)).toEqual(rejected('alg'));
  });

  it('should reject HS512 even with the right secret', async () => {
    expect(await identifyWith(await hs(claims(), CONSUMER.secret, 'HS512'))).toEqual(rejected('alg'));
  });

  it('should reject RS256', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwt = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await identifyWith(jwt)).toEqual(rejected('alg'));
  });

  it('should reject a JWT signed with another secret', async () => {
    expect(await identifyWith(await hs(claims(), 'not-the-consumer-secret'))).toEqual(rejected('signature'));
  });

  it('should reject a JWT for another consumer (aud)', async () => {
    expect(await identifyWith(await hs(claims({ aud: 'another-consumer' })))).toEqual(rejected('aud'));
  });

  it('should reject an aud given as a list, even one that holds the consumer key', async () => {
    // MediaWiki sends a string; jose alone would accept any list containing the key.
    expect(await identifyWith(await hs(claims({ aud: [CONSUMER.key] })))).toEqual(rejected('aud'));
    expect(await identifyWith(await hs(claims({ aud: [CONSUMER.key, 'another-consumer'] })))).toEqual(
      rejected('aud'),
    );
  });

  for (const iss of [
    'https://evil.example.org',
    'http://meta.wikimedia.org',
    'https://meta.wikimedia.org/',
    'https://meta.wikimedia.org:8443',
    'https://en.wikipedia.org',
  ]) {
    it(`should reject the issuer ${iss}`, async () => {
      expect(await identifyWith(await hs(claims({ iss })))).toEqual(rejected('iss'));
    });
  }

  it('should accept another issuer only when the issuer option names it', async () => {
    const jwt = await hs(claims({ iss: 'https://canonical.example.org' }));
    expect(await identifyWith(jwt)).toEqual(rejected('iss'));
    expect(await identifyWith(jwt, { issuer: 'https://canonical.example.org' })).toMatchObject({
      username: 'Alice',
    });
  });

  it('should accept an issuer option given as an origin with a trailing slash, a default port or capitals', async () => {
    const jwt = await hs(claims());
    for (const issuer of [
      'https://meta.wikimedia.org/',
      'https://meta.wikimedia.org:443',
      'HTTPS://Meta.Wikimedia.org',
    ]) {
      expect(await identifyWith(jwt, { issuer })).toMatchObject({ username: 'Alice' });
    }
  });

  for (const issuer of [
    'https://meta.wikimedia.org/w/index.php',
    'https://meta.wikimedia.org/wiki',
    'https://meta.wikimedia.org/?title=x',
    'https://meta.wikimedia.org/?',
    'https://meta.wikimedia.org/#top',
    'ftp://meta.wikimedia.org',
    'meta.wikimedia.org',
    '',
  ]) {
    it(`should refuse the issuer option ${JSON.stringify(issuer)} with invalid_argument before sending anything`, async () => {
      const fetch = fakeFetch(() => new Response('unused'));
      const error = await identify(MW_URI, CONSUMER, ACCESS, { userAgent: 'tests/1.0', fetch, issuer }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: 'invalid_argument',
        message: expect.stringMatching(/issuer.*https:\/\/meta\.wikimedia\.org/),
      });
      expect(fetch.requests).toHaveLength(0);
    });
  }

  it('should reject an expired JWT, and accept one expired within the leeway', async () => {
    const expired = await hs(claims({ iat: NOW_S - 120, exp: NOW_S - 20 }));
    expect(await identifyWith(expired)).toEqual(rejected('exp'));
    const justExpired = await hs(claims({ iat: NOW_S - 105, exp: NOW_S - 5 }));
    expect(await identifyWith(justExpired)).toMatchObject({ username: 'Alice' });
  });

  it('should reject an iat in the future beyond the leeway', async () => {
    expect(await identifyWith(await hs(claims({ iat: NOW_S + 60, exp: NOW_S + 160 })))).toEqual(
      rejected('iat_future'),
    );
    expect(await identifyWith(await hs(claims({ iat: NOW_S + 5, exp: NOW_S + 105 })))).toMatchObject({
      username: 'Alice',
    });
  });

  it('should reject a stale iat (older than 100 s + leeway) even when exp is far away', async () => {
    expect(await identifyWith(await hs(claims({ iat: NOW_S - 300, exp: NOW_S + 3600 })))).toEqual(
      rejected('iat_stale'),
    );
  });

  it('should reject an exp that is not after iat', async () => {
    expect(await identifyWith(await hs(claims({ iat: NOW_S, exp: NOW_S })))).toEqual(rejected('exp'));
    expect(await identifyWith(await hs(claims({ iat: NOW_S, exp: NOW_S - 5 })))).toEqual(rejected('exp'));
  });

  it("should reject an exp more than MediaWiki's 100 s + leeway after iat, and accept one within", async () => {
    expect(await identifyWith(await hs(claims({ iat: NOW_S, exp: NOW_S + 3600 })))).toEqual(rejected('exp'));
    expect(await identifyWith(await hs(claims({ iat: NOW_S, exp: NOW_S + 111 })))).toEqual(rejected('exp'));
    expect(await identifyWith(await hs(claims({ iat: NOW_S, exp: NOW_S + 110 })))).toMatchObject({
      username: 'Alice',
    });
    expect(await identifyWith(await hs(claims({ iat: NOW_S, exp: NOW_S + 99 })))).toMatchObject({
      username: 'Alice',
    });
  });

  for (const claim of ['iss', 'aud', 'exp', 'iat', 'sub', 'nonce']) {
    it(`should reject a JWT without ${claim}`, async () => {
      const result = await identifyWith(await hs(claims({ [claim]: undefined })));
      expect(result).toEqual(rejected('claims'));
    });
  }

  for (const claim of ['editcount', 'confirmed_email', 'blocked', 'groups', 'rights', 'grants']) {
    it(`should reject a user's JWT without ${claim}`, async () => {
      expect(await identifyWith(await hs(claims({ [claim]: undefined })))).toEqual(rejected('claims'));
    });
  }

  it('should reject a wrong nonce', async () => {
    expect(await identifyWith(await hs(claims({ nonce: 'a-replayed-nonce' })))).toEqual(rejected('nonce'));
  });

  it("should turn MediaWiki's error JSON into a mediawiki error", async () => {
    const body = loadFixture('13-identify-unknown-access-token').response.body;
    expect(await identifyWith(body)).toEqual(
      expect.objectContaining({
        code: 'mediawiki',
        mediawikiCode: 'mwoauthdatastore-access-token-not-found',
      }),
    );
  });

  it('should reject an HTML page where the JWT should be', async () => {
    const html =
      '<!DOCTYPE html><html><head><title>Login required</title></head><body>Please log in</body></html>';
    expect(await identifyWith(html)).toEqual(
      expect.objectContaining({ code: 'unexpected_response', contentType: 'text/html' }),
    );
  });

  it('should reject a body that is neither a JWT nor an error', async () => {
    expect(await identifyWith('hello')).toEqual(
      expect.objectContaining({ code: 'unexpected_response', contentType: null }),
    );
    expect(await identifyWith('a.b.c')).toEqual(rejected('malformed'));
  });

  it("should model a suppressed user's JWT, which carries only sub and blocked", async () => {
    const suppressed = {
      iss: ISSUER,
      aud: CONSUMER.key,
      iat: NOW_S,
      exp: NOW_S + 100,
      nonce: NONCE,
      sub: '42',
      blocked: true,
    };
    expect(await identifyWith(await hs(suppressed))).toEqual({ ...suppressed, suppressed: true });
  });

  it('should normalise grants sent as an object or as a list', () => {
    expect(normaliseGrants({ '0': 'basic', '2': 'editpage', '10': 'x', '3': 'createeditmovepage' })).toEqual([
      'basic',
      'editpage',
      'createeditmovepage',
      'x',
    ]);
    expect(normaliseGrants(['basic', 'editpage'])).toEqual(['basic', 'editpage']);
    expect(normaliseGrants({ a: 'basic' })).toBeNull();
    expect(normaliseGrants([1])).toBeNull();
  });

  it('should import the HMAC key once per consumer secret, not on every identify', async () => {
    // jose imports a raw Uint8Array key (crypto.subtle.importKey) on every verify; identify reuses
    // one CryptoKey per secret. Secrets of this test only, so no earlier test warmed the cache.
    const first = { key: CONSUMER.key, secret: 'import-once-secret-one-0123456789' };
    const second = { key: CONSUMER.key, secret: 'import-once-secret-two-0123456789' };
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    try {
      const rawImports = (): number => importKey.mock.calls.filter(([format]) => format === 'raw').length;
      for (let i = 0; i < 3; i++) {
        const jwt = await hs(claims(), first.secret); // signing imports too: count only identify's
        const counted = rawImports();
        await expect(identifyWith(jwt, {}, first)).resolves.toMatchObject({ username: 'Alice' });
        if (i > 0) expect(rawImports()).toBe(counted);
      }
      const jwt = await hs(claims(), second.secret);
      const counted = rawImports();
      await expect(identifyWith(jwt, {}, second)).resolves.toMatchObject({ username: 'Alice' });
      expect(rawImports()).toBe(counted + 1);
    } finally {
      importKey.mockRestore();
    }
  });

  it('should still reject a JWT signed with another secret after the right key was imported', async () => {
    expect(await identifyWith(await hs(claims()))).toMatchObject({ username: 'Alice' });
    expect(await identifyWith(await hs(claims(), 'another-secret-0123456789'))).toEqual(
      rejected('signature'),
    );
  });

  it('should report each rejection as an MWOAuthError', async () => {
    expect(await identifyWith(await hs(claims({ nonce: 'x' })))).toBeInstanceOf(MWOAuthError);
  });
});
