import { NextResponse } from 'next/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { GET as callback } from '@/app/api/mwoauth/callback/route';
import { GET as identifyRoute } from '@/app/api/mwoauth/identify/route';
import { GET as initiateRoute } from '@/app/api/mwoauth/initiate/route';
import { POST as logout } from '@/app/api/mwoauth/logout/route';
import { GET as revokedRoute } from '@/app/api/mwoauth/revoked/route';
import { AppError } from '@/lib/server/core/errors';
import { toLoginSession } from '@/lib/server/session/login-record';
import { describeWikiError } from '@/lib/server/failures/describe';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { cookieWriter } from '@/lib/server/session/cookies';
import { HANDSHAKE_COOKIE } from '@/lib/server/session/handshakes';
import { unsealOrNull } from '@/lib/server/session/seal';
import {
  APP_ORIGIN,
  configureFor,
  CookieJar,
  request,
  SESSION_SECRET,
  testOAuth2Client,
  type SetCookie,
} from '@/tests/support/app-harness';
import { loadFixture } from '@/tests/support/fixtures';
import { sessionConfig } from '@/tests/support/session-config';

// The /api/mwoauth/* route handlers with MW_OAUTH_VERSION=2.0, in-process, against an in-process
// devwiki speaking Extension:OAuth's rest.php/oauth2/* (fixtures o2-01 to o2-23).

let devwiki: Devwiki;
const confidential: DevwikiConsumer = testOAuth2Client();
const publicClient: DevwikiConsumer = testOAuth2Client({
  id: 18,
  name: 'next-mwoauth app tests (OAuth 2.0, public)',
  key: '7e57a99c0ffee7e57a99c0ffee000018',
  secret: '7e57a99c0ffee7e57a99c0ffee7e57a99c0f0018',
  confidential: false,
});
const savedEnv = { ...process.env };

beforeAll(async () => {
  // Refresh tokens that outlive every test (MediaWiki 1.39's default is PT1M, o2-15's notes).
  devwiki = await startDevwiki({ consumers: [confidential, publicClient], refreshTokenTtlS: 24 * 3600 });
});
afterAll(async () => {
  await devwiki.close();
});
beforeEach(() => {
  configureFor(devwiki, confidential);
});
afterEach(() => {
  devwiki.setClockOffset(0);
  devwiki.setTokenLifetimes({ accessTokenTtlS: 3600, refreshTokenTtlS: 24 * 3600 });
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

function count(endpoint: string, grantType?: string): number {
  return devwiki.requests.filter(
    (r) => r.endpoint === endpoint && (grantType === undefined || r.grantType === grantType),
  ).length;
}

const refreshes = (): number => count('token', 'refresh_token');

/** The login sealed in the jar's login cookie, read back with the test's SESSION_SECRET. */
async function sealedLogin(jar: CookieJar): Promise<ReturnType<typeof toLoginSession>> {
  const raw = jar.cookies.get(LOGIN_COOKIE);
  if (raw === undefined) return null;
  return toLoginSession(await unsealOrNull(raw, sessionConfig(SESSION_SECRET), 'login-cookie'));
}

async function bearerOf(jar: CookieJar): Promise<{
  accessToken: string;
  refreshToken: string | null;
  expiresAt: number | null;
}> {
  const login = await sealedLogin(jar);
  if (login?.credentials.protocol !== '2.0') throw new Error('no OAuth 2.0 login in the jar');
  return login.credentials;
}

async function startLogin(jar: CookieJar, username: string, next = '/profile'): Promise<string> {
  const response = await initiateRoute(
    request(`/api/mwoauth/initiate?next=${encodeURIComponent(next)}`, jar),
  );
  expect(response.status).toBe(303);
  jar.update(response);
  return devwiki.approve(response.headers.get('location') ?? '', username);
}

/** The whole login; returns the callback's answer and its login Set-Cookie. */
async function logIn(
  jar: CookieJar,
  username: string,
  next = '/profile',
): Promise<{ response: Response; loginCookie: SetCookie | undefined }> {
  const back = await startLogin(jar, username, next);
  const response = await callback(request(back, jar));
  const loginCookie = jar.update(response).find((c) => c.name === LOGIN_COOKIE);
  return { response, loginCookie };
}

const nowS = (): number => Math.floor(Date.now() / 1000);

function stringField(value: unknown, name: string): string {
  const field: unknown =
    typeof value === 'object' && value !== null ? Object.getOwnPropertyDescriptor(value, name)?.value : null;
  if (typeof field !== 'string') throw new Error(`the fixture has no string ${name}`);
  return field;
}

describe('GET /api/mwoauth/initiate (OAuth 2.0)', () => {
  it('should 303 to rest.php/oauth2/authorize with state and an S256 challenge, asking the wiki nothing', async () => {
    const before = devwiki.requests.length;
    const jar = new CookieJar();
    const response = await initiateRoute(request('/api/mwoauth/initiate?next=/sandbox', jar));
    expect(response.status).toBe(303);
    expect(devwiki.requests.length).toBe(before);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${devwiki.origin}/w/rest.php/oauth2/authorize`);
    const q = location.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(confidential.key);
    expect(q.get('redirect_uri')).toBe(`${APP_ORIGIN}/api/mwoauth/callback`);
    expect(q.get('code_challenge_method')).toBe('S256');
    // A base64url SHA-256 (43 characters), and a state of at least 128 bits.
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')?.length ?? 0).toBeGreaterThanOrEqual(22);
    expect(q.has('client_secret')).toBe(false);

    const [cookie] = jar.update(response);
    expect(cookie?.name).toBe(HANDSHAKE_COOKIE);
    expect(cookie?.attributes).toMatchObject({ httponly: '', samesite: 'lax', path: '/', 'max-age': '600' });
    expect(cookie?.value).toMatch(/^Fe26\.2\*/);
    expect(cookie?.value).not.toContain(q.get('state') ?? 'x');
  });

  it('should make a fresh state and verifier for every login', async () => {
    const states = new Set<string>();
    const challenges = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
      const q = new URL(r.headers.get('location') ?? '').searchParams;
      states.add(q.get('state') ?? '');
      challenges.add(q.get('code_challenge') ?? '');
    }
    expect(states.size).toBe(3);
    expect(challenges.size).toBe(3);
  });
});

describe('GET /api/mwoauth/callback (OAuth 2.0)', () => {
  it('should exchange the code, fetch the profile and seal access token, refresh token and expiry', async () => {
    const tokensBefore = count('token', 'authorization_code');
    const profilesBefore = count('profile');
    const jar = new CookieJar();
    const { response, loginCookie } = await logIn(jar, 'Alice', '/sandbox?x=1');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox?x=1`);
    expect(jar.cookies.has(HANDSHAKE_COOKIE)).toBe(false);
    expect(count('token', 'authorization_code') - tokensBefore).toBe(1);
    expect(count('profile') - profilesBefore).toBe(1);
    expect(loginCookie?.attributes).toMatchObject({ httponly: '', samesite: 'lax', path: '/' });

    const login = await sealedLogin(jar);
    expect(login).toMatchObject({ username: 'Alice', sub: '3' });
    const c = await bearerOf(jar);
    expect(c.accessToken.split('.')).toHaveLength(3); // devwiki's RS256 JWT (o2-06)
    expect(c.refreshToken).toMatch(/^def50200/);
    expect(c.expiresAt).toBeGreaterThan(nowS() + 3500);
    expect(c.expiresAt).toBeLessThanOrEqual(nowS() + 3600);

    const who = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(who.status).toBe(200);
    const body: unknown = await who.json();
    expect(body).toMatchObject({ username: 'Alice', grants: confidential.grants });
    expect(JSON.stringify(body)).not.toContain(c.accessToken);
  });

  it('should refuse a callback whose state names no login in this browser, without asking the wiki', async () => {
    const back = await startLogin(new CookieJar(), 'Alice');
    const before = devwiki.requests.length;
    const response = await callback(request(back, new CookieJar()));
    expect(response.status).toBe(400);
    expect(devwiki.requests.length).toBe(before);
    expect(new CookieJar().update(response).some((c) => c.name === LOGIN_COOKIE && c.value !== '')).toBe(
      false,
    );
  });

  it("should refuse another browser's callback (login CSRF) and a repeated state, without asking the wiki", async () => {
    const victim = new CookieJar();
    await startLogin(victim, 'Alice');
    const attackers = await startLogin(new CookieJar(), 'Mallory');
    const before = devwiki.requests.length;
    expect((await callback(request(attackers, victim))).status).toBe(400);
    const own = new URL(await startLogin(victim, 'Alice'));
    const doubled = new URL(own);
    doubled.searchParams.append('state', own.searchParams.get('state') ?? '');
    const beforeDoubled = devwiki.requests.length;
    expect((await callback(request(doubled.href, victim))).status).toBe(400);
    expect(devwiki.requests.length).toBe(beforeDoubled);
    expect(before).toBeLessThan(beforeDoubled); // (the second startLogin did ask the wiki)
  });

  it('should refuse a replayed code: the wiki spends each one once (o2-07)', async () => {
    const jar = new CookieJar();
    const back = await startLogin(jar, 'Alice');
    const cookiesBefore = new Map(jar.cookies);
    expect((await callback(request(back, jar))).status).toBe(303);
    const replay = new CookieJar();
    for (const [n, v] of cookiesBefore) replay.cookies.set(n, v);
    const again = await callback(request(back, replay));
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(new CookieJar().update(again).some((c) => c.name === LOGIN_COOKIE && c.value !== '')).toBe(false);
  });

  it('should log nobody in and try no code exchange when the wiki sends back error=access_denied', async () => {
    // Extension:OAuth shows a page after Cancel and never comes back (o2-17); an RFC 6749 §4.1.2.1
    // error redirect is what another server would send: a failure page naming the error's key.
    const jar = new CookieJar();
    const response = await initiateRoute(request('/api/mwoauth/initiate', jar));
    jar.update(response);
    const state = new URL(response.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const before = count('token');
    const back = await callback(
      request(`/api/mwoauth/callback?error=access_denied&state=${encodeURIComponent(state)}`, jar),
    );
    expect(back.status).toBeGreaterThanOrEqual(400);
    expect(await back.text()).toContain('access_denied');
    expect(count('token')).toBe(before);
    jar.update(back);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should log in with a public client: no secret configured, PKCE alone (o2-20)', async () => {
    configureFor(devwiki, publicClient);
    expect(process.env.MW_CONSUMER_SECRET).toBe('');
    const jar = new CookieJar();
    const { response } = await logIn(jar, 'Alice');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/profile`);
    const who = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(await who.json()).toMatchObject({ username: 'Alice' });

    // And its refresh, also without a secret.
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar2 = new CookieJar();
    await logIn(jar2, 'Alice');
    const before = refreshes();
    const again = await identifyRoute(request('/api/mwoauth/identify', jar2));
    jar2.update(again);
    expect(again.status).toBe(200);
    expect(refreshes() - before).toBe(1);
  });

  it('should keep the login cookie under 4096 bytes with every attribute (Set-Cookie length)', async () => {
    configureFor(devwiki, confidential, { APP_URL: 'https://tool.example' });
    const jar = new CookieJar();
    // The callback is on APP_URL's origin now: Secure cookies (the longest attributes).
    const started = await initiateRoute(request('/api/mwoauth/initiate?next=/profile', jar));
    const handshake = started.headers.getSetCookie().find((h) => h.startsWith(`${HANDSHAKE_COOKIE}=`)) ?? '';
    console.log(`app (2.0): handshake Set-Cookie ${handshake.length} bytes (one login in progress)`);
    expect(handshake).toContain('Secure');
    expect(handshake.length).toBeLessThan(4096);
    const back = await startLogin(jar, 'Alice');
    const response = await callback(request(back, jar));
    const login = response.headers.getSetCookie().find((h) => h.startsWith(`${LOGIN_COOKIE}=`)) ?? '';
    expect(login).toContain('Secure');
    const all = response.headers.getSetCookie().reduce((n, h) => n + h.length, 0);
    console.log(
      `app (2.0, devwiki tokens): login Set-Cookie ${login.length} bytes; all of the callback's Set-Cookie ${all} bytes`,
    );
    expect(login.length).toBeGreaterThan(1000);
    expect(login.length).toBeLessThan(4096);

    // With the token lengths the real wiki sent (o2-06: an 800-character JWT and a 1,000-character
    // refresh token, longer than devwiki's), sealed by the same store with the same attributes.
    const recorded: unknown = loadFixture('o2-06-token-authorization-code-success').response.body_json;
    const body = {
      access_token: stringField(recorded, 'access_token'),
      refresh_token: stringField(recorded, 'refresh_token'),
    };
    const store = cookieStore(sessionConfig(SESSION_SECRET));
    const out = NextResponse.next();
    await store.create(await store.open({ get: () => undefined }), cookieWriter(out.cookies, true), {
      sub: '12345678',
      username: 'A user name of some length',
      credentials: {
        protocol: '2.0',
        accessToken: body.access_token,
        refreshToken: body.refresh_token,
        expiresAt: nowS() + 4 * 3600,
      },
    });
    const real = out.headers.getSetCookie().find((h) => h.startsWith(`${LOGIN_COOKIE}=`)) ?? '';
    console.log(
      `app (2.0, o2-06 token lengths: access ${body.access_token.length}, refresh ${body.refresh_token.length}): login Set-Cookie ${real.length} bytes`,
    );
    expect(real).toContain('Secure');
    expect(real.length).toBeLessThan(4096);
  });
});

describe('GET /api/mwoauth/identify (OAuth 2.0)', () => {
  it('should refresh a token due within 60 s exactly once, and save the rotated tokens', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const old = await bearerOf(jar);
    expect(old.expiresAt).toBeLessThanOrEqual(nowS() + 30);
    devwiki.setTokenLifetimes({ accessTokenTtlS: 3600 });

    const before = refreshes();
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ username: 'Alice' });
    expect(refreshes() - before).toBe(1);
    const set = jar.update(response).find((c) => c.name === LOGIN_COOKIE);
    expect(set?.attributes).toMatchObject({ httponly: '', samesite: 'lax', path: '/' });
    const now = await bearerOf(jar);
    expect(now.refreshToken).not.toBe(old.refreshToken);
    expect(now.accessToken).not.toBe(old.accessToken);
    expect(now.expiresAt).toBeGreaterThan(nowS() + 3500);

    // The new token is not due: no second refresh, no cookie written.
    const again = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(again.status).toBe(200);
    expect(again.headers.getSetCookie()).toEqual([]);
    expect(refreshes() - before).toBe(1);
  });

  it('should not refresh a token that is not due', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const before = refreshes();
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(200);
    expect(refreshes()).toBe(before);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('should refresh once more and retry when the wiki refuses the token as expired before its time', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    // The wiki's clock an hour ahead: the token the app thinks good for an hour has expired there.
    devwiki.setClockOffset(3600);
    const before = refreshes();
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ username: 'Alice' });
    expect(refreshes() - before).toBe(1);
    expect(jar.update(response).some((c) => c.name === LOGIN_COOKIE && c.value !== '')).toBe(true);
  });

  it('should end the session when the refresh token is dead (revoked on the wiki): 401 revoked, cookie cleared', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar = new CookieJar();
    await logIn(jar, 'Carol');
    devwiki.revoke('Carol', confidential.key);
    const before = refreshes();
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'revoked' });
    expect(refreshes() - before).toBe(1);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should give a request with the just-used refresh token its successor, not a second refresh (grace)', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const stale = new Map(jar.cookies);
    devwiki.setTokenLifetimes({ accessTokenTtlS: 3600 });
    const before = refreshes();
    const first = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(first.status).toBe(200);
    // Another tab, with the cookie as it was before the refresh.
    const other = new CookieJar();
    for (const [n, v] of stale) other.cookies.set(n, v);
    const late = await identifyRoute(request('/api/mwoauth/identify', other));
    expect(late.status).toBe(200);
    expect(await late.json()).toMatchObject({ username: 'Alice' });
    expect(refreshes() - before).toBe(1);
    jar.update(first);
    other.update(late);
    expect((await bearerOf(other)).refreshToken).toBe((await bearerOf(jar)).refreshToken);
  });
});

describe('GET /api/mwoauth/revoked (OAuth 2.0)', () => {
  it('should keep a session whose access still works, and refresh none', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const before = refreshes();
    const response = await revokedRoute(request('/api/mwoauth/revoked?next=/sandbox', jar));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(refreshes()).toBe(before);
  });

  it('should refresh a token the wiki refused and send the browser back to next with the new cookie', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const old = await bearerOf(jar);
    devwiki.setClockOffset(3600);
    const before = refreshes();
    const response = await revokedRoute(request('/api/mwoauth/revoked?next=/sandbox', jar));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox`);
    expect(refreshes() - before).toBe(1);
    jar.update(response);
    expect((await bearerOf(jar)).refreshToken).not.toBe(old.refreshToken);
  });

  it('should refresh a due token first and go back to next', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const before = refreshes();
    const response = await revokedRoute(request('/api/mwoauth/revoked?next=/profile', jar));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/profile`);
    expect(refreshes() - before).toBe(1);
    expect(new CookieJar().update(response).some((c) => c.name === LOGIN_COOKIE && c.value !== '')).toBe(
      true,
    );
  });

  it('should log out with the notice when access was revoked on the wiki', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Dave');
    devwiki.revoke('Dave', confidential.key);
    const response = await revokedRoute(request('/api/mwoauth/revoked?next=/profile', jar));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/?notice=revoked`);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should log out with the notice when the refresh token has expired (refreshTokenTtlS)', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30, refreshTokenTtlS: 5 });
    const jar = new CookieJar();
    await logIn(jar, 'Erin');
    // Ten seconds later on the wiki: the refresh token (5 s) is dead; the access token is due.
    devwiki.setClockOffset(10);
    const before = refreshes();
    const response = await revokedRoute(request('/api/mwoauth/revoked?next=/profile', jar));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/?notice=revoked`);
    expect(refreshes() - before).toBe(1);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });
});

describe('POST /api/mwoauth/logout (OAuth 2.0)', () => {
  it('should end the session and 303 to next, asking the wiki nothing', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const before = devwiki.requests.length;
    const response = await logout(
      request('/api/mwoauth/logout', jar, {
        method: 'POST',
        headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'next=%2Fsandbox',
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox`);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
    expect(devwiki.requests.length).toBe(before);
    expect((await identifyRoute(request('/api/mwoauth/identify', jar))).status).toBe(401);
  });
});

describe('a misconfigured OAuth 2.0 client', () => {
  it.each([
    ['a wrong client secret (o2-08)', { MW_CONSUMER_SECRET: 'not-the-secret-of-this-client-at-all-0000' }],
    ['no secret for a confidential client', { MW_CONSUMER_SECRET: '' }],
  ])('should name MW_CONSUMER_SECRET for %s, log nobody in and show no secret', async (_what, env) => {
    configureFor(devwiki, confidential, env);
    const jar = new CookieJar();
    const back = await startLogin(jar, 'Alice');
    const response = await callback(request(back, jar));
    expect(response.status).toBe(502);
    const html = await response.text();
    expect(html).toContain('invalid_client');
    expect(html).toContain('MW_CONSUMER_SECRET');
    expect(html).not.toContain(confidential.secret);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });
});

describe('switching MW_OAUTH_VERSION under logged-in users', () => {
  it('should end an OAuth 1.0a session once the app uses OAuth 2.0 (identify: 401, cookie cleared)', async () => {
    const store = cookieStore(sessionConfig(SESSION_SECRET));
    const out = NextResponse.next();
    await store.create(await store.open({ get: () => undefined }), cookieWriter(out.cookies, false), {
      sub: '3',
      username: 'Alice',
      credentials: {
        protocol: '1.0a',
        accessToken: {
          key: '0123456789abcdef0123456789abcdef',
          secret: '0123456789abcdef0123456789abcdef01234567',
        },
      },
    });
    const jar = new CookieJar();
    jar.update(out);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'revoked' });
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });
});

describe('OAuth 2.0 tokens too long for the login cookie', () => {
  /** Tokens shaped like o2-06's, for a client with `grants` (each scope is in both tokens). */
  function tokensWith(grants: readonly string[]): { accessToken: string; refreshToken: string } {
    const recorded: unknown = loadFixture('o2-06-token-authorization-code-success').response.body_json;
    const [header = '', payload = '', signature = ''] = stringField(recorded, 'access_token').split('.');
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const scopes = JSON.stringify(grants);
    const recordedScopes = JSON.stringify(['basic', 'editpage', 'createeditmovepage']);
    const widened = JSON.stringify(claims).replace(recordedScopes, scopes);
    // The refresh token is defuse-encrypted JSON holding the scopes too, hex-encoded: 2 characters a byte.
    const refreshToken =
      stringField(recorded, 'refresh_token') + 'a'.repeat(2 * (scopes.length - recordedScopes.length));
    return {
      accessToken: `${header}.${Buffer.from(widened).toString('base64url')}.${signature}`,
      refreshToken,
    };
  }

  const MANY = [
    'basic',
    'editpage',
    'createeditmovepage',
    'highvolume',
    'import',
    'editprotected',
    'editmycssjs',
    'editmyoptions',
    'editinterface',
    'editsiteconfig',
    'uploadfile',
    'uploadeditmovefile',
    'patrol',
    'rollback',
    'blockusers',
    'viewdeleted',
    'viewrestrictedlogs',
    'delete',
    'oversight',
    'protect',
    'viewmywatchlist',
    'editmywatchlist',
    'sendemail',
    'createaccount',
    'privateinfo',
    'mergehistory',
  ];

  async function create(grants: readonly string[]): Promise<string[]> {
    const store = cookieStore(sessionConfig(SESSION_SECRET));
    const out = NextResponse.next();
    await store.create(await store.open({ get: () => undefined }), cookieWriter(out.cookies, true), {
      sub: '12345678',
      username: 'A user name of some length',
      credentials: { protocol: '2.0', ...tokensWith(grants), expiresAt: nowS() + 4 * 3600 },
    });
    return out.headers.getSetCookie();
  }

  it('should seal a client with ten grants under 4096 bytes', async () => {
    const [cookie = ''] = await create(MANY.slice(0, 10));
    console.log(`app (2.0, o2-06-shaped tokens, 10 grants): login Set-Cookie ${cookie.length} bytes`);
    expect(cookie.length).toBeLessThan(4096);
  });

  it('should refuse to write a login that would not read back (every grant), naming SESSION_STORE=redis', async () => {
    const error: unknown = await create(MANY).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    if (!(error instanceof AppError)) return;
    expect(error.code).toBe('session_too_large');
    expect(error.problems.join(' ')).toContain('SESSION_STORE=redis');
    // The failure page for whoever runs the app (development shows the problem).
    const page = describeWikiError(error);
    expect(page.status).toBeGreaterThanOrEqual(500);
  });
});

describe('a logout, then a request that read the cookie before it (OAuth 2.0)', () => {
  it('should not write the session again when that request refreshes', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const before = new Map(jar.cookies);
    const out = await logout(
      request('/api/mwoauth/logout', jar, {
        method: 'POST',
        headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'next=%2F',
      }),
    );
    expect(out.status).toBe(303);
    // Another tab's request, sent with the cookie as it was before the logout; its token is due.
    const late = new CookieJar();
    for (const [n, v] of before) late.cookies.set(n, v);
    const response = await identifyRoute(request('/api/mwoauth/identify', late));
    expect(response.status).toBe(401);
    const set = late.update(response).filter((c) => c.name === LOGIN_COOKIE);
    expect(set.every((c) => c.value === '' || c.attributes['max-age'] === '0')).toBe(true);
    expect(late.cookies.has(LOGIN_COOKIE)).toBe(false);
  });
});
