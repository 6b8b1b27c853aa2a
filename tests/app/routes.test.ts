import { createServer } from 'node:http';
import { NextRequest, NextResponse } from 'next/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { GET as callback } from '@/app/api/mwoauth/callback/route';
import { GET as identifyRoute } from '@/app/api/mwoauth/identify/route';
import { GET as initiateRoute, HEAD as initiateHead } from '@/app/api/mwoauth/initiate/route';
import { GET as logoutGet, POST as logout } from '@/app/api/mwoauth/logout/route';
import { GET as revokedRoute } from '@/app/api/mwoauth/revoked/route';
import { getApp } from '@/lib/server/wiring/app';
import { AppError } from '@/lib/server/core/errors';
import { describeWikiError } from '@/lib/server/failures/describe';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { cookieRecorder, cookieWriter } from '@/lib/server/session/cookies';
import { HANDSHAKE_COOKIE } from '@/lib/server/session/handshakes';
import { LOGIN_COOKIE, type LoginSession } from '@/lib/server/session/store';
import {
  APP_ORIGIN,
  configureFor,
  CookieJar,
  request,
  SESSION_SECRET,
  testConsumer,
  testOAuth2Client,
} from '@/tests/support/app-harness';
import { loadFixture } from '@/tests/support/fixtures';
import {
  APP_CONSUMERS,
  cellsOf,
  configureCell,
  MATRIX,
  PROTOCOLS,
  type Cell,
  type Protocol,
} from '@/tests/support/matrix';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { sessionConfig } from '@/tests/support/session-config';

// The /api/mwoauth/* route handlers, in-process, against an in-process devwiki speaking OAuth 1.0a
// (Special:OAuth/*) and OAuth 2.0 (rest.php/oauth2/*, fixtures o2-01 to o2-23), with the cookie
// store and with Redis (a real redis-server): every test that holds for both protocols and both
// stores is one definition run in the four cells of tests/support/matrix.ts; what is about one
// protocol or one store says so where it is defined.

let devwiki: Devwiki;
let redis: TestRedis;
/** A 1.0a consumer registered for APP_ORIGIN's callback exactly (not a prefix). */
const exactConsumer: DevwikiConsumer = testConsumer({
  id: 8,
  key: '7e57a99c0ffee7e57a99c0ffee000008',
  secret: '7e57a99c0ffee7e57a99c0ffee7e57a99c0f0008',
  callbackUrl: 'http://localhost:3000/api/mwoauth/callback',
  callbackIsPrefix: false,
});
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
  [devwiki, redis] = await Promise.all([
    startDevwiki({
      consumers: [APP_CONSUMERS['1.0a'], exactConsumer, APP_CONSUMERS['2.0'], publicClient],
      refreshTokenTtlS: 24 * 3600,
    }),
    startRedis(),
  ]);
});
afterAll(async () => {
  await devwiki?.close();
  await redis?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
  devwiki.setClockOffset(0);
  devwiki.setTokenLifetimes({ accessTokenTtlS: 3600, refreshTokenTtlS: 24 * 3600 });
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

/** What the tests below expect differently of the two protocols; everything else is shared. */
interface ProtocolFacts {
  /** The callback parameter that names the login in progress (its key in the handshake cookie). */
  keyParam: 'oauth_token' | 'state';
  /** The devwiki endpoint the callback asks who the user is. */
  identityEndpoint: 'identify' | 'profile';
  /** What the wiki's refusal of a replayed callback shows. */
  replayRefusal: string;
  /** Checks initiate's redirect to the wiki's authorize page. */
  expectAuthorize(location: URL, consumer: DevwikiConsumer): void;
}

const FACTS: Record<Protocol, ProtocolFacts> = {
  '1.0a': {
    keyParam: 'oauth_token',
    identityEndpoint: 'identify',
    replayRefusal: 'mwoauthdatastore-request-token-already-used',
    expectAuthorize(location, consumer) {
      expect(`${location.origin}${location.pathname}`).toBe(devwiki.indexUrl);
      expect(location.searchParams.get('title')).toBe('Special:OAuth/authorize');
      expect(location.searchParams.get('oauth_consumer_key')).toBe(consumer.key);
    },
  },
  '2.0': {
    keyParam: 'state',
    identityEndpoint: 'profile',
    replayRefusal: 'invalid_request',
    expectAuthorize(location, consumer) {
      expect(`${location.origin}${location.pathname}`).toBe(`${devwiki.origin}/w/rest.php/oauth2/authorize`);
      const q = location.searchParams;
      expect(q.get('response_type')).toBe('code');
      expect(q.get('client_id')).toBe(consumer.key);
      expect(q.get('redirect_uri')).toBe(`${APP_ORIGIN}/api/mwoauth/callback`);
      expect(q.get('code_challenge_method')).toBe('S256');
      // A base64url SHA-256 (43 characters), and a state of at least 128 bits.
      expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(q.get('state')?.length ?? 0).toBeGreaterThanOrEqual(22);
      expect(q.has('client_secret')).toBe(false);
    },
  },
};

function count(endpoint: string, grantType?: string): number {
  return devwiki.requests.filter(
    (r) => r.endpoint === endpoint && (grantType === undefined || r.grantType === grantType),
  ).length;
}
const refreshes = (): number => count('token', 'refresh_token');
const nowS = (): number => Math.floor(Date.now() / 1000);

/** initiate → the wiki's authorize page; returns where the wiki sent the browser back after Allow. */
async function startLogin(jar: CookieJar, username: string, next = '/profile'): Promise<string> {
  const response = await initiateRoute(
    request(`/api/mwoauth/initiate?next=${encodeURIComponent(next)}`, jar),
  );
  expect(response.status).toBe(303);
  jar.update(response);
  return devwiki.approve(response.headers.get('location') ?? '', username);
}

async function logIn(jar: CookieJar, username: string, next = '/profile'): Promise<Response> {
  const back = await startLogin(jar, username, next);
  const response = await callback(request(back, jar));
  jar.update(response);
  return response;
}

/** The login the jar's cookie opens, read through the configured store (a sealed login or a Redis record). */
async function loginOf(jar: CookieJar): Promise<LoginSession | null> {
  const opened = await getApp().store.open({
    get: (name) => {
      const value = jar.cookies.get(name);
      return value === undefined ? undefined : { value };
    },
  });
  return opened.login;
}

async function bearerOf(jar: CookieJar): Promise<{
  accessToken: string;
  refreshToken: string | null;
  expiresAt: number | null;
}> {
  const login = await loginOf(jar);
  if (login?.credentials.protocol !== '2.0') throw new Error('no OAuth 2.0 login in the jar');
  return login.credentials;
}

/** Whether a response wrote a usable login cookie (not a clearing one). */
const wroteLogin = (response: Response): boolean =>
  new CookieJar().update(response).some((c) => c.name === LOGIN_COOKIE && c.value !== '');

function logoutRequest(
  jar: CookieJar,
  headers: Record<string, string>,
  body = 'next=%2Fsandbox',
): NextRequest {
  return request('/api/mwoauth/logout', jar, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

function stringField(value: unknown, name: string): string {
  const field: unknown =
    typeof value === 'object' && value !== null ? Object.getOwnPropertyDescriptor(value, name)?.value : null;
  if (typeof field !== 'string') throw new Error(`the fixture has no string ${name}`);
  return field;
}

/** The routes in one cell: every test of this function runs for both protocols and both stores. */
function suite(cell: Cell): void {
  const { protocol, store } = cell;
  const facts = FACTS[protocol];
  let consumer: DevwikiConsumer = APP_CONSUMERS[protocol];
  const configure = (extra: Record<string, string> = {}): void => {
    consumer = configureCell(devwiki, cell, redis, extra);
  };
  /** A user name of this cell (a revocation in one cell must not meet another cell's login). */
  const user = (name: string): string => `${name}${protocol === '2.0' ? 'Two' : 'One'}${store}`;
  /**
   * Whether a copy of the login cookie made before a logout is dead after it: yes with Redis (the
   * record is deleted); no with stateless sealed cookies (SECURITY.md, "Not defended").
   */
  const logoutIsFinal = store === 'redis';
  beforeEach(() => configure());

  describe('GET /api/mwoauth/initiate', () => {
    it("should send the browser to the wiki's authorize page with a sealed, HttpOnly, SameSite=Lax handshake cookie", async () => {
      const jar = new CookieJar();
      const response = await initiateRoute(request('/api/mwoauth/initiate?next=/sandbox', jar));
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location') ?? '');
      facts.expectAuthorize(location, consumer);
      expect(response.headers.get('cache-control')).toBe('no-store');

      const [cookie] = jar.update(response);
      expect(cookie?.name).toBe(HANDSHAKE_COOKIE);
      expect(cookie?.attributes).toMatchObject({
        httponly: '',
        samesite: 'lax',
        path: '/',
        'max-age': '600',
      });
      // localhost over http: not Secure (it would be dropped); everywhere else Secure.
      expect(cookie?.attributes).not.toHaveProperty('secure');
      expect(cookie?.value).toMatch(/^Fe26\.2\*/);
      const key = location.searchParams.get(facts.keyParam) ?? '';
      expect(key).not.toBe('');
      expect(cookie?.value).not.toContain(key);
    });

    it('should make the cookies Secure when the app is served over https', async () => {
      configure({ APP_URL: 'https://tool.example' });
      const [cookie] = new CookieJar().update(await initiateRoute(request('/api/mwoauth/initiate', null)));
      expect(cookie?.attributes).toHaveProperty('secure');
    });

    it('should answer with a 500 page naming the problem when the configuration is broken', async () => {
      delete process.env.SESSION_SECRET;
      const response = await initiateRoute(request('/api/mwoauth/initiate', null));
      expect(response.status).toBe(500);
      expect(await response.text()).toContain('SESSION_SECRET');
    });
  });

  describe('GET /api/mwoauth/callback', () => {
    it('should log in: 303 to next on our own origin, a fresh login cookie, the handshake used up', async () => {
      const jar = new CookieJar();
      const response = await logIn(jar, 'Alice', '/sandbox?x=1');
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox?x=1`);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const [set] = new CookieJar().update(response).filter((c) => c.name === LOGIN_COOKIE);
      expect(set?.attributes).toMatchObject({ httponly: '', samesite: 'lax', path: '/' });
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
      expect(jar.cookies.has(HANDSHAKE_COOKIE)).toBe(false);
      expect(await loginOf(jar)).toMatchObject({ username: 'Alice', credentials: { protocol } });

      const who = await identifyRoute(request('/api/mwoauth/identify', jar));
      expect(who.status).toBe(200);
      expect(await who.json()).toMatchObject({ username: 'Alice', grants: consumer.grants });
    });

    it('should refuse a callback with no login in progress, without asking the wiki', async () => {
      const back = await startLogin(new CookieJar(), 'Alice');
      const before = devwiki.requests.length;
      const response = await callback(request(back, new CookieJar()));
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain('Log in again');
      expect(html).toContain('/api/mwoauth/initiate');
      expect(devwiki.requests.length).toBe(before);
      expect(wroteLogin(response)).toBe(false);
    });

    it("should refuse another browser's callback (login CSRF), without asking the wiki", async () => {
      const victim = new CookieJar();
      await startLogin(victim, 'Alice');
      const attackersCallback = await startLogin(new CookieJar(), 'Mallory');
      const before = devwiki.requests.length;
      const response = await callback(request(attackersCallback, victim));
      expect(response.status).toBe(400);
      expect(devwiki.requests.length).toBe(before);
      expect(wroteLogin(response)).toBe(false);
    });

    it(`should refuse a duplicated or missing ${facts.keyParam} without asking the wiki`, async () => {
      const jar = new CookieJar();
      const back = new URL(await startLogin(jar, 'Alice'));
      const key = back.searchParams.get(facts.keyParam) ?? '';
      const before = devwiki.requests.length;
      back.searchParams.append(facts.keyParam, key);
      expect((await callback(request(back.href, jar))).status).toBe(400);
      back.searchParams.delete(facts.keyParam);
      expect((await callback(request(back.href, jar))).status).toBe(400);
      expect(devwiki.requests.length).toBe(before);
    });

    it('should refuse a replayed callback: each handshake is used once, and the wiki spends each token or code once', async () => {
      const jar = new CookieJar();
      const back = await startLogin(jar, 'Alice');
      const cookiesBefore = new Map(jar.cookies);
      expect((await callback(request(back, jar))).status).toBe(303);
      // Replay with the cookie as it was before the callback: the wiki refuses the used token or code.
      const replay = new CookieJar();
      for (const [n, v] of cookiesBefore) replay.cookies.set(n, v);
      const again = await callback(request(back, replay));
      expect(again.status).toBeGreaterThanOrEqual(400);
      expect(await again.text()).toContain(facts.replayRefusal);
      expect(wroteLogin(again)).toBe(false);
      // And with the cookie as the first callback left it: no handshake at all.
      expect((await callback(request(back, jar))).status).toBe(400);
    });

    it('should let two tabs log in at once, in either order', async () => {
      const jar = new CookieJar();
      const first = await startLogin(jar, 'Alice', '/profile');
      const second = await startLogin(jar, 'Alice', '/sandbox');
      const r2 = await callback(request(second, jar));
      jar.update(r2);
      expect(r2.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox`);
      const r1 = await callback(request(first, jar));
      jar.update(r1);
      expect(r1.headers.get('location')).toBe(`${APP_ORIGIN}/profile`);
      expect(jar.cookies.has(HANDSHAKE_COOKIE)).toBe(false);
    });

    it('should not carry anything over from a session planted before the login (fixation)', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Mallory');
      const planted = jar.cookies.get(LOGIN_COOKIE) ?? '';
      await logIn(jar, 'Alice');
      expect(jar.cookies.get(LOGIN_COOKIE)).not.toBe(planted);
      const who = await identifyRoute(request('/api/mwoauth/identify', jar));
      expect(await who.json()).toMatchObject({ username: 'Alice' });
      // The planted cookie opens nothing any more (Redis: its record is gone; cookies: it is ended).
      const plantedJar = new CookieJar();
      plantedJar.cookies.set(LOGIN_COOKIE, planted);
      if (store === 'redis') expect(await loginOf(plantedJar)).toBeNull();
    });

    it.each([
      ['another origin', 'https://evil.example/'],
      ['protocol-relative', '//evil.example'],
      ['a backslash', '/\\evil.example'],
      ['the logout route', '/api/mwoauth/logout'],
    ])('should send the browser home, on our origin, when next is %s', async (_what, next) => {
      const response = await logIn(new CookieJar(), 'Alice', next);
      expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
    });

    it('should log a blocked user in (the profile says so; edits are refused by the wiki)', async () => {
      const jar = new CookieJar();
      expect((await logIn(jar, 'Blocked')).status).toBe(303);
      const who = await identifyRoute(request('/api/mwoauth/identify', jar));
      expect(await who.json()).toMatchObject({ username: 'Blocked', blocked: true });
    });
  });

  describe('GET /api/mwoauth/identify', () => {
    it('should answer 401 when logged out, private and not stored', async () => {
      const response = await identifyRoute(request('/api/mwoauth/identify', new CookieJar()));
      expect(response.status).toBe(401);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      expect(response.headers.getSetCookie()).toEqual([]);
    });

    it.each([
      ['garbage', 'a*b*c*d*e*f*g*h'],
      ['a constructor password id', 'Fe26.2*constructor*c2FsdA*aXY*ZW5j*0*c2FsdA*aG1hYw~2'],
      ['percent garbage', '%E0%A4%A'],
    ])('should answer 401 and clear a login cookie that is %s', async (_what, value) => {
      const jar = new CookieJar();
      jar.cookies.set(LOGIN_COOKIE, value);
      const response = await identifyRoute(request('/api/mwoauth/identify', jar));
      expect(response.status).toBe(401);
      jar.update(response);
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
    });

    it('should answer private, no-store and never include a token', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const login = await loginOf(jar);
      const response = await identifyRoute(request('/api/mwoauth/identify', jar));
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      const text = await response.text();
      expect(text).not.toMatch(/oauth_token|accessToken|refreshToken|secret/i);
      const credentials = login?.credentials;
      if (credentials?.protocol === '2.0') expect(text).not.toContain(credentials.accessToken);
      if (credentials?.protocol === '1.0a') expect(text).not.toContain(credentials.accessToken.secret);
    });

    it('should end the session when the user revoked access on the wiki', async () => {
      const jar = new CookieJar();
      await logIn(jar, user('Carol'));
      devwiki.revoke(user('Carol'), consumer.key);
      const response = await identifyRoute(request('/api/mwoauth/identify', jar));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'revoked' });
      jar.update(response);
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
    });
  });

  describe('GET /api/mwoauth/revoked', () => {
    it('should end the session and say why when the wiki confirms the revocation', async () => {
      const jar = new CookieJar();
      await logIn(jar, user('Dave'));
      devwiki.revoke(user('Dave'), consumer.key);
      const response = await revokedRoute(request('/api/mwoauth/revoked?next=/profile', jar));
      expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/?notice=revoked`);
      jar.update(response);
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
    });

    it('should keep a session whose access still works (a link from elsewhere logs nobody out), and refresh none', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const before = refreshes();
      const response = await revokedRoute(request('/api/mwoauth/revoked?next=/sandbox', jar));
      expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(refreshes()).toBe(before);
    });
  });

  describe('POST /api/mwoauth/logout', () => {
    it('should end the session and 303 to next, from our own origin, asking the wiki nothing', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const copy = new CookieJar();
      for (const [n, v] of jar.cookies) copy.cookies.set(n, v);
      const before = devwiki.requests.length;
      const response = await logout(logoutRequest(jar, { origin: APP_ORIGIN }));
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox`);
      jar.update(response);
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
      expect(devwiki.requests.length).toBe(before);
      expect((await identifyRoute(request('/api/mwoauth/identify', jar))).status).toBe(401);
      // A copy of the cookie taken before the logout: dead with Redis, still usable with cookies.
      const copied = await identifyRoute(request('/api/mwoauth/identify', copy));
      expect(copied.status).toBe(logoutIsFinal ? 401 : 200);
    });

    it('should accept Sec-Fetch-Site: same-origin when Origin is absent, and go home without next', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const response = await logout(logoutRequest(jar, { 'sec-fetch-site': 'same-origin' }, ''));
      expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
    });

    it.each([
      ['another origin', { origin: 'https://evil.example' }],
      ['the null origin', { origin: 'null' }],
      ['a cross-site fetch without Origin', { 'sec-fetch-site': 'cross-site' }],
      ['neither header', {}],
    ])('should change nothing for %s', async (_what, headers) => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const response = await logout(logoutRequest(jar, headers));
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect((await identifyRoute(request('/api/mwoauth/identify', jar))).status).toBe(200);
    });

    it('should log a hint naming both origins and APP_URL when the Origin is not ours (a proxy without APP_URL)', async () => {
      // Behind a proxy without APP_URL, the app takes its origin from the internal request URL, so the
      // browser's genuine Origin does not match and every logout is refused: the operator must learn why.
      configure({ APP_URL: '' });
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const response = await logout(logoutRequest(jar, { origin: 'https://tool.example.org' }));
      expect(response.status).toBe(403);
      const logged = warn.mock.calls.map((args) => args.map(String).join(' ')).join('\n');
      expect(logged).toContain('https://tool.example.org');
      expect(logged).toContain(APP_ORIGIN);
      expect(logged).toContain('APP_URL');
      expect(logged).not.toContain(consumer.secret);
      expect(logged).not.toContain(jar.cookies.get(LOGIN_COOKIE) ?? 'no cookie');
    });

    it('should send an off-site next home', async () => {
      const jar = new CookieJar();
      const response = await logout(logoutRequest(jar, { origin: APP_ORIGIN }, 'next=%2F%2Fevil.example'));
      expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
    });

    it('should refuse a body declared over 4 KB with 413 and leave the session alone', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const response = await logout(
        logoutRequest(
          jar,
          { origin: APP_ORIGIN, 'content-length': String(1024 ** 3) },
          `next=%2F&pad=${'a'.repeat(5000)}`,
        ),
      );
      expect(response.status).toBe(413);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect((await identifyRoute(request('/api/mwoauth/identify', jar))).status).toBe(200);
    });

    it('should stop reading a streamed body without Content-Length after 4 KB (413, session unchanged)', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      // Offers 1 GB in 64 KB chunks; counts what the route actually pulled.
      const chunk = new TextEncoder().encode('a'.repeat(64 * 1024));
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= 1024 ** 3) return controller.close();
          pulled += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      const headers = new Headers({
        origin: APP_ORIGIN,
        'content-type': 'application/x-www-form-urlencoded',
      });
      headers.set('cookie', jar.header());
      const response = await logout(
        new NextRequest(new URL('/api/mwoauth/logout', APP_ORIGIN), {
          method: 'POST',
          headers,
          body,
          duplex: 'half',
        }),
      );
      expect(response.status).toBe(413);
      expect(pulled).toBeLessThanOrEqual(4 * chunk.byteLength);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect((await identifyRoute(request('/api/mwoauth/identify', jar))).status).toBe(200);
    });

    it('should ignore a large body when next is in the query, and log out', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const response = await logout(
        request('/api/mwoauth/logout?next=%2Fsandbox', jar, {
          method: 'POST',
          headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a'.repeat(100_000),
        }),
      );
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox`);
    });
  });

  describe('switching MW_OAUTH_VERSION under logged-in users', () => {
    it('should end a session made with the other protocol instead of using it (identify: 401, cookie cleared)', async () => {
      const other: Cell = { protocol: protocol === '2.0' ? '1.0a' : '2.0', store };
      configureCell(devwiki, other, redis);
      const jar = new CookieJar();
      expect((await logIn(jar, 'Alice')).status).toBe(303);
      configure();
      const before = devwiki.requests.length;
      const response = await identifyRoute(request('/api/mwoauth/identify', jar));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'revoked' });
      expect(devwiki.requests.length).toBe(before);
      jar.update(response);
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
    });
  });

  // The store contract of session/store.ts (REVIEW-2 §1.1's divergence, now one rule): a save that
  // comes after a logout of the same session (a refresh, or the wiki cookies' renewal in proxy.ts,
  // that read the cookie before the logout) writes nothing back, clears the cookie and throws
  // 'session_ended', in both stores and for both protocols' credentials.
  describe('a logout racing a save of the same session', () => {
    it('should not write the session again: session_ended and the cookie cleared', async () => {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const reader = {
        get: (name: string) => {
          const value = jar.cookies.get(name);
          return value === undefined ? undefined : { value };
        },
      };
      // The racing request opened the session before the logout.
      const racing = await getApp().store.open(reader);
      expect(racing.login?.credentials.protocol).toBe(protocol);
      const out = await logout(logoutRequest(jar, { origin: APP_ORIGIN }));
      expect(out.status).toBe(303);

      const writes = cookieRecorder();
      const credentials = racing.login?.credentials;
      if (credentials === undefined) throw new Error('no login');
      const error: unknown = await racing.save(writes, credentials).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect(error instanceof AppError ? error.code : null).toBe('session_ended');
      expect(writes.writes).toEqual([[LOGIN_COOKIE, '', 0]]);
      // Nothing was written back: the copy opens nothing with Redis, and with cookies only the seal
      // it always had (SECURITY.md, "Not defended").
      expect((await getApp().store.open(reader)).login === null).toBe(logoutIsFinal);
    });
  });
}

describe.each(MATRIX)('routes (OAuth $protocol, $store store)', (cell) => suite(cell));

// About the wiki's deadline, not the store: the callback fails before any session is written.
describe.each(PROTOCOLS)('the callback under a slow wiki (OAuth %s)', (protocol) => {
  it('should end within MW_TIMEOUT_MS + 1 s in all, though the token exchange used most of it and the identity ask hangs', async () => {
    // One deadline for the whole request: the token exchange and the identity ask share it,
    // instead of each having MW_TIMEOUT_MS of its own (which would let it take twice as long).
    configureCell(devwiki, { protocol, store: 'cookie' }, null, { MW_TIMEOUT_MS: '2000' });
    const jar = new CookieJar();
    const back = await startLogin(jar, 'Alice');
    devwiki.setFault('token', { kind: 'latency', ms: 1500 });
    devwiki.setFault(FACTS[protocol].identityEndpoint, { kind: 'hang' });
    try {
      const started = performance.now();
      const response = await callback(request(back, jar));
      const elapsed = performance.now() - started;
      expect(response.status).toBe(504);
      expect(elapsed).toBeGreaterThanOrEqual(1500);
      expect(elapsed).toBeLessThan(2000 + 1000);
    } finally {
      devwiki.setFault('token', null);
      devwiki.setFault(FACTS[protocol].identityEndpoint, null);
    }
  });
});

// What follows is about one protocol: each runs with both stores where it touches the session.

describe.each(cellsOf('1.0a'))(
  'OAuth 1.0a only: initiate asks the wiki for a request token ($store store)',
  (cell) => {
    beforeEach(() => configureCell(devwiki, cell, redis));

    it('should explain a consumer registered with another callback, with its MediaWiki key and no secret', async () => {
      configureCell(devwiki, cell, redis, {}, exactConsumer);
      const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toContain('text/html');
      const html = await response.text();
      expect(html).toContain('mwoauth-callback-not-oob');
      expect(html).toContain('MW_CALLBACK');
      expect(html).not.toContain(exactConsumer.secret);
      expect(response.headers.getSetCookie()).toEqual([]);
    });

    it('should say the wiki could not be reached when nothing listens there', async () => {
      configureCell(devwiki, cell, redis, { MW_INDEX_URL: 'http://127.0.0.1:1/w/index.php' });
      const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
      expect(response.status).toBe(502);
      expect(await response.text()).toContain('could not be reached');
    });

    it('should say the wiki gave an unexpected answer when it fails with a 500', async () => {
      devwiki.setFault('initiate', { kind: 'status', status: 500 });
      try {
        const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
        expect(response.status).toBe(502);
        expect(await response.text()).not.toMatch(/at .*\.ts:\d+/);
      } finally {
        devwiki.setFault('initiate', null);
      }
    });

    it('should name MW_INDEX_URL when the wiki redirects (http to https), with the details in development', async () => {
      // What an http:// MW_INDEX_URL meets on a wiki served over https.
      const redirector = createServer((req, res) => {
        res.writeHead(301, { Location: `https://wiki.example.org${req.url ?? '/'}` }).end();
      });
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      const address = redirector.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      try {
        configureCell(devwiki, cell, redis, { MW_INDEX_URL: `http://127.0.0.1:${port}/w/index.php` });
        const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
        expect(response.status).toBe(502);
        const html = await response.text();
        expect(html).toContain('MW_INDEX_URL');
        expect(html).not.toContain('Wait a minute');
        // NODE_ENV is 'test' here: lib/mwoauth's own message, which names where the wiki redirects to.
        expect(html).toMatch(/<details>[\s\S]*https:\/\/wiki\.example\.org\/w\/index\.php/);
      } finally {
        await new Promise<void>((resolve) => redirector.close(() => resolve()));
      }
    });

    it('should name MW_INDEX_URL and MW_API_URL when the wiki answers with a web page', async () => {
      devwiki.setFault('initiate', { kind: 'html' });
      try {
        const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
        expect(response.status).toBe(502);
        const html = await response.text();
        expect(html).toContain('MW_INDEX_URL');
        expect(html).toContain('MW_API_URL');
      } finally {
        devwiki.setFault('initiate', null);
      }
    });
  },
);

describe.each(cellsOf('1.0a'))(
  // OAuth 1.0a only: the identify JWT's iss (2.0's profile is not a JWT).
  "OAuth 1.0a only: a wiki whose canonical server is not MW_INDEX_URL's origin ($store store)",
  (cell) => {
    // devwiki's wrong-iss answer is a correctly signed JWT whose iss is https://evil.example.org: what
    // a wiki reached through another host name than its $wgCanonicalServer sends.
    beforeEach(() => configureCell(devwiki, cell, redis));
    afterEach(() => devwiki.setFault('identify', null));

    it('should refuse the login and tell whoever runs the app to set MW_ISSUER', async () => {
      const jar = new CookieJar();
      const back = await startLogin(jar, 'Alice');
      devwiki.setFault('identify', { kind: 'forged-identify', forgery: 'wrong-iss' });
      const response = await callback(request(back, jar));
      expect(response.status).toBe(502);
      const html = await response.text();
      expect(html).toContain('MW_ISSUER');
      expect(html).toContain('MW_INDEX_URL');
      expect(html).not.toContain('clock');
      expect(html).not.toContain(APP_CONSUMERS['1.0a'].secret);
      expect(wroteLogin(response)).toBe(false);
    });

    it('should log in when MW_ISSUER names that canonical server, and use it for every identify', async () => {
      configureCell(devwiki, cell, redis, { MW_ISSUER: 'https://evil.example.org' });
      devwiki.setFault('identify', { kind: 'forged-identify', forgery: 'wrong-iss' });
      const jar = new CookieJar();
      const response = await logIn(jar, 'Alice');
      expect(response.status).toBe(303);
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
      const who = await identifyRoute(request('/api/mwoauth/identify', jar));
      expect(who.status).toBe(200);
      // The JWT was verified against MW_ISSUER; the answer carries the user fields only (no iss).
      const body: unknown = await who.json();
      expect(body).toMatchObject({ username: 'Alice' });
      expect(body).not.toHaveProperty('iss');
      const check = await revokedRoute(request('/api/mwoauth/revoked', jar));
      expect(check.headers.get('location')).toBe(`${APP_ORIGIN}/`);
      expect(new CookieJar().update(check)).toEqual([]);
    });
  },
);

describe.each(cellsOf('2.0'))('OAuth 2.0 only: PKCE, codes and token refresh ($store store)', (cell) => {
  const { store } = cell;
  const confidential = APP_CONSUMERS['2.0'];
  /** The cookie store writes a new seal on every save; Redis rewrites the record, not the cookie. */
  const saveWritesCookie = store === 'cookie';
  beforeEach(() => configureCell(devwiki, cell, redis));

  it('should make a fresh state and verifier for every login, asking the wiki nothing', async () => {
    const before = devwiki.requests.length;
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
    expect(devwiki.requests.length).toBe(before);
  });

  it('should exchange the code once, fetch the profile once and keep access token, refresh token and expiry', async () => {
    const tokensBefore = count('token', 'authorization_code');
    const profilesBefore = count('profile');
    const jar = new CookieJar();
    expect((await logIn(jar, 'Alice')).status).toBe(303);
    expect(count('token', 'authorization_code') - tokensBefore).toBe(1);
    expect(count('profile') - profilesBefore).toBe(1);
    expect(await loginOf(jar)).toMatchObject({ username: 'Alice', sub: '3' });
    const c = await bearerOf(jar);
    expect(c.accessToken.split('.')).toHaveLength(3); // devwiki's RS256 JWT (o2-06)
    expect(c.refreshToken).toMatch(/^def50200/);
    expect(c.expiresAt).toBeGreaterThan(nowS() + 3500);
    expect(c.expiresAt).toBeLessThanOrEqual(nowS() + 3600);
    const who = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(JSON.stringify(await who.json())).not.toContain(c.accessToken);
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

  it('should log in with a public client: no secret configured, PKCE alone (o2-20), and refresh without one', async () => {
    configureCell(devwiki, cell, redis, {}, publicClient);
    expect(process.env.MW_CONSUMER_SECRET).toBe('');
    const jar = new CookieJar();
    const response = await logIn(jar, 'Alice');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/profile`);
    const who = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(await who.json()).toMatchObject({ username: 'Alice' });

    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar2 = new CookieJar();
    await logIn(jar2, 'Alice');
    const before = refreshes();
    const again = await identifyRoute(request('/api/mwoauth/identify', jar2));
    jar2.update(again);
    expect(again.status).toBe(200);
    expect(refreshes() - before).toBe(1);
  });

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
    if (saveWritesCookie) expect(set?.attributes).toMatchObject({ httponly: '', samesite: 'lax', path: '/' });
    else expect(set).toBeUndefined();
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
    const old = await bearerOf(jar);
    // The wiki's clock an hour ahead: the token the app thinks good for an hour has expired there.
    devwiki.setClockOffset(3600);
    const before = refreshes();
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ username: 'Alice' });
    expect(refreshes() - before).toBe(1);
    expect(wroteLogin(response)).toBe(saveWritesCookie);
    jar.update(response);
    expect((await bearerOf(jar)).refreshToken).not.toBe(old.refreshToken);
  });

  it('should end the session when the refresh token is dead (revoked on the wiki): 401 revoked, cookie cleared', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar = new CookieJar();
    await logIn(jar, `Carol${store}`);
    devwiki.revoke(`Carol${store}`, confidential.key);
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

  it('should refresh a token the wiki refused on /revoked and send the browser back to next', async () => {
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

  it('should refresh a due token first on /revoked and go back to next', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const old = await bearerOf(jar);
    const before = refreshes();
    const response = await revokedRoute(request('/api/mwoauth/revoked?next=/profile', jar));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/profile`);
    expect(refreshes() - before).toBe(1);
    expect(wroteLogin(response)).toBe(saveWritesCookie);
    jar.update(response);
    expect((await bearerOf(jar)).refreshToken).not.toBe(old.refreshToken);
  });

  it('should log out with the notice on /revoked when the refresh token has expired (refreshTokenTtlS)', async () => {
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

  it('should not write the session again when a request that read the cookie before a logout refreshes', async () => {
    devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const before = new Map(jar.cookies);
    const out = await logout(logoutRequest(jar, { origin: APP_ORIGIN }, 'next=%2F'));
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

// OAuth 2.0 only, and about neither store: the callback fails before any session is written.
describe('a misconfigured OAuth 2.0 client', () => {
  const confidential = APP_CONSUMERS['2.0'];
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

// About neither axis: HEAD and GET are refused before any configuration is read.
describe('methods the routes refuse', () => {
  it('should answer HEAD of initiate 405 with Allow: GET, set no cookie and ask the wiki for nothing', () => {
    const before = devwiki.requests.length;
    const response = initiateHead();
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(devwiki.requests.length - before).toBe(0);
  });

  it('should change nothing on GET of logout (405, Allow: POST)', () => {
    const response = logoutGet();
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

// The cookie store only, with OAuth 2.0's tokens (the longest): whether a login fits in a cookie.
// With Redis the cookie holds only a sealed id (tests/app/redis-store.test.ts).
describe('OAuth 2.0 tokens in the login cookie (cookie store only)', () => {
  const confidential = APP_CONSUMERS['2.0'];
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

  async function create(credentials: { accessToken: string; refreshToken: string }): Promise<string[]> {
    const store = cookieStore(sessionConfig(SESSION_SECRET));
    const out = NextResponse.next();
    await store.create(await store.open({ get: () => undefined }), cookieWriter(out.cookies, true), {
      sub: '12345678',
      username: 'A user name of some length',
      credentials: { protocol: '2.0', ...credentials, expiresAt: nowS() + 4 * 3600 },
    });
    return out.headers.getSetCookie();
  }

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
    const [real = ''] = await create({
      accessToken: stringField(recorded, 'access_token'),
      refreshToken: stringField(recorded, 'refresh_token'),
    });
    console.log(`app (2.0, o2-06 token lengths): login Set-Cookie ${real.length} bytes`);
    expect(real).toContain('Secure');
    expect(real.length).toBeLessThan(4096);
  });

  it('should seal a client with ten grants under 4096 bytes', async () => {
    const [cookie = ''] = await create(tokensWith(MANY.slice(0, 10)));
    console.log(`app (2.0, o2-06-shaped tokens, 10 grants): login Set-Cookie ${cookie.length} bytes`);
    expect(cookie.length).toBeLessThan(4096);
  });

  it('should refuse to write a login that would not read back (every grant), naming SESSION_STORE=redis', async () => {
    const error: unknown = await create(tokensWith(MANY)).then(
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
