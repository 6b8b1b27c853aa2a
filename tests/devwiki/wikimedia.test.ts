// devwiki's Wikimedia-like mode (devwiki/wikimedia.ts) over real HTTP, each behaviour with the
// public source it models; and the default mode keeping the recorded 1.39 behaviour for each.
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki, type DevwikiOptions } from '../../devwiki';
import {
  complete,
  createAuthorization,
  exchangeCode,
  generateNonce,
  initiate,
  makeToken,
  signRequest,
  type AccessToken,
  type OAuth2Tokens,
} from 'mwoauth';

const [APP, , BOT, O2] = defaultConsumers();
if (APP === undefined || BOT === undefined || O2 === undefined) throw new Error('defaults');
const consumer = makeToken(APP.key, APP.secret);
const o2client = { clientId: O2.key, clientSecret: O2.secret };
const userAgent = 'next-mwoauth devwiki wikimedia test/1.0 (https://example.org/contact)';
const REDIRECT = O2.callbackUrl;

const wikis: Devwiki[] = [];
async function wiki(options: DevwikiOptions = { wikimedia: true }): Promise<Devwiki> {
  const started = await startDevwiki(options);
  wikis.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(wikis.splice(0).map((w) => w.close()));
});

async function login1(w: Devwiki, user: string): Promise<AccessToken> {
  const callback = 'http://localhost:3000/api/mwoauth/callback';
  const { redirectUrl, requestToken } = await initiate(w.indexUrl, consumer, { callback, userAgent });
  const back = new URL(await w.approve(redirectUrl, user));
  return complete(w.indexUrl, consumer, requestToken, back.searchParams, { userAgent });
}

async function login2(w: Devwiki, user: string): Promise<OAuth2Tokens> {
  const auth = await createAuthorization(w.indexUrl, o2client, { redirectUri: REDIRECT });
  const back = await w.approve(auth.redirectUrl, user);
  return exchangeCode(w.indexUrl, o2client, auth, new URL(back).searchParams, {
    redirectUri: REDIRECT,
    userAgent,
  });
}

/** api.php userinfo signed with OAuth 1.0a, with the given Cookie header; the raw answer. */
async function signedUserinfo(w: Devwiki, token: AccessToken, cookie: string | null): Promise<Response> {
  const url = `${w.apiUrl}?action=query&meta=userinfo&format=json&formatversion=2`;
  const signed = signRequest({
    method: 'GET',
    url,
    consumer,
    token,
    nonce: generateNonce(),
    timestamp: Math.floor(Date.now() / 1000),
  });
  const headers: Record<string, string> = { Authorization: signed.authorization, 'User-Agent': userAgent };
  if (cookie !== null) headers.Cookie = cookie;
  return fetch(url, { headers });
}

function cookiePair(response: Response): string | null {
  const set = response.headers.getSetCookie().find((c) => c.startsWith('sessionJwt='));
  return set === undefined ? null : (set.split(';')[0] ?? null);
}

async function bearerGet(w: Devwiki, accessToken: string, url: string): Promise<Response> {
  return fetch(url, { headers: { Authorization: `Bearer ${accessToken}`, 'User-Agent': userAgent } });
}

describe('the edge 401 for refused Bearer tokens (T419034; m3api-oauth2 be39075)', () => {
  it('should answer an expired access token on api.php and rest.php with 401 and error="invalid_token"', async () => {
    const w = await wiki();
    const tokens = await login2(w, 'Alice');
    w.setClockOffset(4 * 3600 + 1); // past the 4-hour lifetime
    for (const url of [
      `${w.apiUrl}?action=query&meta=userinfo&format=json`,
      `${w.restUrl}/oauth2/resource/profile`,
    ]) {
      const answer = await bearerGet(w, tokens.accessToken, url);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
      expect(answer.headers.get('mediawiki-api-error')).toBeNull();
    }
  });

  it('should keep the recorded 1.39 answers in the default mode (o2-13: mwoauth-invalid-authorization; o2-10)', async () => {
    const w = await wiki({});
    const tokens = await login2(w, 'Alice');
    w.setClockOffset(3601);
    const api = await bearerGet(w, tokens.accessToken, `${w.apiUrl}?action=query&meta=userinfo&format=json`);
    expect(api.status).toBe(200);
    expect(api.headers.get('mediawiki-api-error')).toBe('mwoauth-invalid-authorization');
    const profile = await bearerGet(w, tokens.accessToken, `${w.restUrl}/oauth2/resource/profile`);
    expect(profile.status).toBe(401);
    expect(profile.headers.get('www-authenticate')).toBeNull();
    expect(w.wikimedia).toBeNull();
  });

  it('should invalidate a user access tokens early on request, leaving the refresh token good (0bdc100a)', async () => {
    const w = await wiki();
    const tokens = await login2(w, 'Alice');
    const url = `${w.apiUrl}?action=query&meta=userinfo&format=json`;
    expect((await bearerGet(w, tokens.accessToken, url)).status).toBe(200);
    expect(w.wikimedia?.invalidateAccessTokens('Alice', O2.key)).toBe(1);
    expect((await bearerGet(w, tokens.accessToken, url)).status).toBe(401);
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken ?? '',
      client_id: O2.key,
      client_secret: O2.secret,
    });
    const refreshed = await fetch(`${w.restUrl}/oauth2/access_token`, { method: 'POST', body: form });
    expect(refreshed.status).toBe(200);
    const next: unknown = await refreshed.json();
    const access = typeof next === 'object' && next !== null ? Reflect.get(next, 'access_token') : null;
    expect((await bearerGet(w, String(access), url)).status).toBe(200);
  });
});

describe('a refresh after the user revoked the grant (Extension:OAuth 2380caff, T336113)', () => {
  it('should be 400 invalid_grant on the Wikimedia-like wiki, and 401 invalid_request on 1.39 (o2-15)', async () => {
    for (const [options, status, error] of [
      [{ wikimedia: true }, 400, 'invalid_grant'],
      [{}, 401, 'invalid_request'],
    ] as const) {
      const w = await wiki(options);
      const tokens = await login2(w, 'Alice');
      w.revoke('Alice', O2.key);
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refreshToken ?? '',
        client_id: O2.key,
        client_secret: O2.secret,
      });
      const refused = await fetch(`${w.restUrl}/oauth2/access_token`, { method: 'POST', body: form });
      expect(refused.status).toBe(status);
      expect(await refused.json()).toMatchObject({ error, hint: 'Token has been revoked' });
    }
  });
});

describe('token lifetimes (wmf-config: PT4H, P365D)', () => {
  it('should issue 4-hour access tokens and 365-day refresh tokens, and 1 hour / 1 minute by default', async () => {
    /** The access token's lifetime, bounded by the clock before and after the login. */
    const lifetime = async (w: Devwiki): Promise<[number, number]> => {
      const before = Math.floor(Date.now() / 1000);
      const tokens = await login2(w, 'Alice');
      const after = Math.ceil(Date.now() / 1000);
      return [(tokens.expiresAt ?? 0) - after, (tokens.expiresAt ?? 0) - before];
    };
    const [wmLow, wmHigh] = await lifetime(await wiki());
    expect(wmLow).toBeLessThanOrEqual(4 * 3600);
    expect(wmHigh).toBeGreaterThanOrEqual(4 * 3600);
    const [oldLow, oldHigh] = await lifetime(await wiki({}));
    expect(oldLow).toBeLessThanOrEqual(3600);
    expect(oldHigh).toBeGreaterThanOrEqual(3600);
    // The refresh token of the Wikimedia-like wiki still works a day later; 1.39's is dead after 60 s.
    const w = await wiki();
    const tokens = await login2(w, 'Alice');
    w.setClockOffset(86_400);
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken ?? '',
      client_id: O2.key,
      client_secret: O2.secret,
    });
    expect((await fetch(`${w.restUrl}/oauth2/access_token`, { method: 'POST', body: form })).status).toBe(
      200,
    );
  });
});

describe('sessionJwt (Extension:OAuth a87d4516, T417833)', () => {
  it('should set sessionJwt on an OAuth 1.0a API answer, and accept it back without setting it again', async () => {
    const w = await wiki();
    const token = await login1(w, 'Alice');
    const first = await signedUserinfo(w, token, null);
    const cookie = cookiePair(first);
    expect(cookie).toMatch(/^sessionJwt=[\w-]+\.[\w-]+\.[\w-]+$/);
    const set = first.headers.getSetCookie()[0] ?? '';
    expect(set).toMatch(/; expires=.+; Max-Age=14400; path=\/; HttpOnly$/);
    const again = await signedUserinfo(w, token, cookie);
    expect(again.status).toBe(200);
    expect(cookiePair(again)).toBeNull();
  });

  it('should refuse a sessionJwt that names another user with mwoauth-invalid-authorization-jwt', async () => {
    const w = await wiki();
    const alice = await login1(w, 'Alice');
    const bobs = `sessionJwt=${w.wikimedia?.sessionJwtFor('Bob') ?? ''}`;
    const answer = await signedUserinfo(w, alice, bobs);
    expect(answer.headers.get('mediawiki-api-error')).toBe('mwoauth-invalid-authorization-jwt');
    const body: unknown = await answer.json();
    expect(JSON.stringify(body)).toContain("Invalid 'sessionJwt' cookie: ");
    expect(w.wikimedia?.crossUserCookies).toBe(1);
    // Not one this wiki signed: refused the same way.
    const forged = await signedUserinfo(w, alice, 'sessionJwt=a.b.c');
    expect(forged.headers.get('mediawiki-api-error')).toBe('mwoauth-invalid-authorization-jwt');
  });

  it('should renew the cookie once a quarter of its life has passed (core verifyJwtCookie)', async () => {
    const w = await wiki({ wikimedia: { sessionJwtTtlS: 400 } });
    const token = await login1(w, 'Alice');
    const cookie = cookiePair(await signedUserinfo(w, token, null));
    w.setClockOffset(50);
    expect(cookiePair(await signedUserinfo(w, token, cookie))).toBeNull();
    w.setClockOffset(120);
    const renewed = cookiePair(await signedUserinfo(w, token, cookie));
    expect(renewed).not.toBeNull();
    expect(renewed).not.toBe(cookie);
  });

  it('should set it for an owner-only OAuth 2.0 client, not for a user token', async () => {
    const w = await wiki();
    const BOT2 = defaultConsumers()[5];
    if (BOT2 === undefined) throw new Error('defaults');
    const url = `${w.apiUrl}?action=query&meta=userinfo&format=json`;
    const owner = await bearerGet(w, await w.ownerOnlyAccessToken(BOT2.key), url);
    expect(cookiePair(owner)).not.toBeNull();
    const user = await bearerGet(w, (await login2(w, 'Alice')).accessToken, url);
    expect(cookiePair(user)).toBeNull();
  });

  it('should never set it in the default mode', async () => {
    const w = await wiki({});
    const token = await login1(w, 'Alice');
    const answer = await signedUserinfo(w, token, null);
    expect(answer.status).toBe(200);
    expect(answer.headers.getSetCookie()).toEqual([]);
  });
});

describe('rate limits (wikitech-l 2026-03-02; Wikimedia APIs/Rate limits)', () => {
  it('should count OAuth 1.0a requests without sessionJwt per IP, and answer 429 with Retry-After past the budget', async () => {
    const w = await wiki({ wikimedia: { anonymousBudget: { requests: 3, windowS: 60 } } });
    const alice = await login1(w, 'Alice');
    const bob = await login1(w, 'Bob');
    const statuses = [];
    for (const token of [alice, bob, alice, bob])
      statuses.push((await signedUserinfo(w, token, null)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await signedUserinfo(w, alice, null);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(w.wikimedia?.refusals).toBe(2);
  });

  it('should count requests with a valid sessionJwt per user, each user in their own budget', async () => {
    const w = await wiki({
      wikimedia: { anonymousBudget: { requests: 2, windowS: 60 }, userBudget: { requests: 3, windowS: 60 } },
    });
    const alice = await login1(w, 'Alice');
    const bob = await login1(w, 'Bob');
    const aliceJar = cookiePair(await signedUserinfo(w, alice, null));
    const bobJar = cookiePair(await signedUserinfo(w, bob, null));
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await signedUserinfo(w, alice, aliceJar)).status);
      statuses.push((await signedUserinfo(w, bob, bobJar)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect((await signedUserinfo(w, alice, aliceJar)).status).toBe(429);
    expect(w.wikimedia?.counted.filter((c) => c.kind === 'anonymous')).toHaveLength(2);
  });

  it('should refuse nonsense budgets with a message naming the form', async () => {
    await expect(
      startDevwiki({ wikimedia: { anonymousBudget: { requests: 0, windowS: 60 } } }),
    ).rejects.toThrow(/whole numbers from 1, e\.g\. \{ requests: 20, windowS: 60 \}/);
  });
});

describe('the consent screen language (Extension:OAuth 5cc52b0b, T412199)', () => {
  it('should map ui_locales to uselang on the way to Special:OAuth/approve, and ignore it in the default mode', async () => {
    for (const [options, expected] of [
      [{ wikimedia: true }, 'ar'],
      [{}, null],
    ] as const) {
      const w = await wiki(options);
      const auth = await createAuthorization(w.indexUrl, o2client, { redirectUri: REDIRECT });
      const url = `${auth.redirectUrl}&ui_locales=ar%20fr`;
      const loggedIn = await fetch(`${w.indexUrl}?title=Special:UserLogin`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'wpName=Alice&wpPassword=x',
        redirect: 'manual',
      });
      const cookie = (loggedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const answer = await fetch(url, { headers: { Cookie: cookie }, redirect: 'manual' });
      expect(answer.status).toBe(307);
      const location = new URL(answer.headers.get('location') ?? '');
      expect(location.searchParams.get('title')).toBe('Special:OAuth/approve');
      expect(location.searchParams.get('uselang')).toBe(expected);
    }
  });
});
