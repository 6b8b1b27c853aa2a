import type { NextRequest } from 'next/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { GET as callback } from '@/app/api/mwoauth/callback/route';
import { GET as identifyRoute } from '@/app/api/mwoauth/identify/route';
import { GET as initiateRoute } from '@/app/api/mwoauth/initiate/route';
import { POST as logout } from '@/app/api/mwoauth/logout/route';
import { getApp } from '@/lib/server/wiring/app';
import { withUser } from '@/lib/server/auth';
import { freshLogin } from '@/lib/server/login/fresh';
import { cookieRecorder } from '@/lib/server/session/cookies';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { startWikiDeadline } from '@/lib/server/wiki/deadline';
import {
  APP_ORIGIN,
  configureFor,
  CookieJar,
  request,
  testConsumer,
  testOAuth2Client,
} from '@/tests/support/app-harness';
import { MATRIX, storeEnv } from '@/tests/support/matrix';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';

// withUser (lib/server/auth.ts): a route handler of the test's own, written as the README teaches,
// called as Next calls it (a function of the Request) against an in-process devwiki over HTTP, for
// both protocols and both session stores.

const oauth1 = testConsumer();
const oauth2 = testOAuth2Client();
let devwiki: Devwiki;
let redis: TestRedis;
const savedEnv = { ...process.env };

beforeAll(async () => {
  // Refresh tokens that outlive every test (MediaWiki 1.39's default is PT1M, o2-15's notes).
  [devwiki, redis] = await Promise.all([
    startDevwiki({ consumers: [oauth1, oauth2], refreshTokenTtlS: 24 * 3600 }),
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

const refreshes = (): number =>
  devwiki.requests.filter((r) => r.endpoint === 'token' && r.grantType === 'refresh_token').length;

/** The user fields of lib/mwoauth's UserProfile: what /api/mwoauth/identify answers in both protocols. */
const USER_PROFILE_FIELDS = [
  'blocked',
  'confirmed_email',
  'editcount',
  'email',
  'grants',
  'groups',
  'realname',
  'registered',
  'rights',
  'sub',
  'suppressed',
  'username',
];

async function logIn(jar: CookieJar, username: string): Promise<void> {
  const start = await initiateRoute(request('/api/mwoauth/initiate?next=/profile', jar));
  expect(start.status).toBe(303);
  jar.update(start);
  const back = await devwiki.approve(start.headers.get('location') ?? '', username);
  const done = await callback(request(back, jar));
  expect(done.status).toBe(303);
  jar.update(done);
  expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
}

/** The tool author's route: who the user is on the wiki (api.php meta=userinfo), as JSON. */
let handlerRuns = 0;
const GET = withUser(async (_request, user) => {
  handlerRuns++;
  const answer = await user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo' }));
  return Response.json({ username: user.username, answer });
});
const POST = withUser(async (_request, user) => {
  handlerRuns++;
  return Response.json({ saved: user.username });
});

async function json(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body: unknown = await response.json();
  if (typeof body !== 'object' || body === null) throw new Error('not a JSON object');
  return Object.fromEntries(Object.entries(body));
}

function post(jar: CookieJar, headers: Record<string, string>): NextRequest {
  return request('/api/mine', jar, { method: 'POST', headers, body: '{}' });
}

describe.each(MATRIX)('withUser (OAuth $protocol, $store store)', ({ protocol, store }) => {
  const consumer: DevwikiConsumer = protocol === '2.0' ? oauth2 : oauth1;
  let n = 0;
  /** A user name of this test: each logs in afresh. */
  const someone = (): string => `WU${protocol === '2.0' ? 'Two' : 'One'}${store}${++n}`;

  beforeEach(() => {
    configureFor(devwiki, consumer, storeEnv(store, redis));
    handlerRuns = 0;
  });

  it('should answer 401 JSON when logged out, never stored, without running the handler', async () => {
    const response = await GET(request('/api/mine', null));
    expect(response.status).toBe(401);
    expect(await json(response)).toMatchObject({ error: 'not_logged_in' });
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(handlerRuns).toBe(0);
  });

  it('should answer 401 and clear a login cookie that names no session', async () => {
    const jar = new CookieJar();
    jar.cookies.set(LOGIN_COOKIE, 'Fe26.2**not-a-seal');
    const response = await GET(request('/api/mine', jar));
    expect(response.status).toBe(401);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should run the handler as the user: the wiki answers for them, private and not stored', async () => {
    const jar = new CookieJar();
    const name = someone();
    await logIn(jar, name);
    const response = await GET(request('/api/mine', jar));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ username: name, answer: { query: { userinfo: { name } } } });
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  });

  it('should refuse a POST from another origin, or with neither Origin nor Sec-Fetch-Site, with 403 JSON', async () => {
    const jar = new CookieJar();
    await logIn(jar, someone());
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const refused: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'https://localhost:3000' },
      {},
    ];
    for (const headers of refused) {
      const response = await POST(post(jar, headers));
      expect(response.status).toBe(403);
      expect(await json(response)).toMatchObject({ error: 'cross_site' });
    }
    expect(handlerRuns).toBe(0);
    expect((await POST(post(jar, { origin: APP_ORIGIN }))).status).toBe(200);
    expect((await POST(post(jar, { 'sec-fetch-site': 'same-origin' }))).status).toBe(200);
    // A GET changes nothing: another origin may read (CORS still keeps the answer from its script).
    expect(
      (await GET(request('/api/mine', jar, { headers: { origin: 'https://evil.example' } }))).status,
    ).toBe(200);
  });

  it('should answer 500 JSON without the error, its stack or a secret, and log it', async () => {
    const jar = new CookieJar();
    await logIn(jar, someone());
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failing = withUser(async () => {
      throw new Error('boom: token=hunter2-secret');
    });
    const response = await failing(request('/api/mine', jar));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'internal' });
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/at .*\.(js|ts):\d+/);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(logged.mock.calls.map((c) => String(c[0])).join('\n')).toContain('GET /api/mine failed');
  });

  it('should log an unexpected error in one line in production, without its stack', async () => {
    const jar = new CookieJar();
    await logIn(jar, someone());
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.stubEnv('NODE_ENV', 'production');
    try {
      const failing = withUser(async () => {
        throw new TypeError('x is not a function');
      });
      expect((await failing(request('/api/mine', jar))).status).toBe(500);
    } finally {
      vi.unstubAllEnvs();
    }
    const lines = logged.mock.calls.map((call) => call.map(String).join(' '));
    expect(lines).toEqual(['[mwoauth] GET /api/mine failed unexpectedly: TypeError: x is not a function']);
  });

  it('should end a session the wiki revoked: 401 revoked, the cookie cleared, at most one refresh', async () => {
    const jar = new CookieJar();
    const name = someone();
    await logIn(jar, name);
    devwiki.revoke(name, consumer.key);
    const before = refreshes();
    const response = await GET(request('/api/mine', jar));
    expect(response.status).toBe(401);
    expect(await json(response)).toMatchObject({ error: 'revoked' });
    expect(refreshes() - before).toBeLessThanOrEqual(protocol === '2.0' ? 1 : 0);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should answer /api/mwoauth/identify with the UserProfile fields, whichever the protocol', async () => {
    const jar = new CookieJar();
    const name = someone();
    await logIn(jar, name);
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(Object.keys(body).sort()).toEqual(USER_PROFILE_FIELDS);
    expect(body).toMatchObject({ username: name, suppressed: false });
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  });

  if (store === 'redis') {
    it('should answer 503 JSON with Retry-After when Redis does not answer, without running the handler', async () => {
      const jar = new CookieJar();
      await logIn(jar, someone());
      const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      redis.pause();
      let response: Response;
      try {
        response = await GET(request('/api/mine', jar));
      } finally {
        redis.resume();
      }
      expect(response.status).toBe(503);
      expect(await json(response)).toMatchObject({ error: 'store_unavailable' });
      expect(response.headers.get('retry-after')).toBe('30');
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      // The session is kept: the browser keeps its cookie, and it works once Redis answers.
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(handlerRuns).toBe(0);
      expect(logged).toHaveBeenCalled();
    });
  }

  if (protocol === '2.0') {
    it('should refresh once a token the wiki refuses as expired, retry, and set the rotated cookie', async () => {
      const jar = new CookieJar();
      await logIn(jar, someone());
      const old = jar.cookies.get(LOGIN_COOKIE);
      // The wiki's clock an hour ahead: the token the app thinks good for an hour has expired there.
      devwiki.setClockOffset(3600);
      const before = refreshes();
      const response = await GET(request('/api/mine', jar));
      expect(response.status).toBe(200);
      expect(refreshes() - before).toBe(1);
      const set = jar.update(response).find((c) => c.name === LOGIN_COOKIE);
      if (store === 'cookie') {
        // The new tokens are sealed in the cookie: it must go out with this answer (o2-15).
        expect(set?.value).toMatch(/^Fe26\.2\*/);
        expect(set?.value).not.toBe(old);
        expect(set?.attributes).toMatchObject({ httponly: '', samesite: 'lax', path: '/' });
      } else {
        // Redis: the record holds the new tokens, the cookie (the session's id) stays as it was.
        expect(set).toBeUndefined();
      }
      // The saved session holds the new tokens: the next request needs no refresh.
      const again = await GET(request('/api/mine', jar));
      expect(again.status).toBe(200);
      expect(refreshes() - before).toBe(1);
    });

    it('should refresh a due token before the handler runs, once for calls made at the same time', async () => {
      devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
      const jar = new CookieJar();
      await logIn(jar, someone());
      devwiki.setTokenLifetimes({ accessTokenTtlS: 3600 });
      devwiki.setClockOffset(0);
      const before = refreshes();
      const twice = withUser(async (_request, user) => {
        const [a, b] = await Promise.all([
          user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo' })),
          user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo', uiprop: 'groups' })),
        ]);
        return Response.json({ a, b });
      });
      const response = await twice(request('/api/mine', jar));
      expect(response.status).toBe(200);
      expect(refreshes() - before).toBe(1);
      const sealed = response.headers.getSetCookie().some((c) => c.startsWith(`${LOGIN_COOKIE}=Fe26`));
      expect(sealed).toBe(store === 'cookie');
    });

    it('should share one forced refresh between calls refused as expired at the same time', async () => {
      const jar = new CookieJar();
      await logIn(jar, someone());
      devwiki.setClockOffset(3600);
      const before = refreshes();
      const twice = withUser(async (_request, user) => {
        const answers = await Promise.all([
          user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo' })),
          user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo' })),
          user.identify(),
        ]);
        return Response.json(answers);
      });
      const response = await twice(request('/api/mine', jar));
      expect(response.status).toBe(200);
      expect(refreshes() - before).toBe(1);
    });

    it('should end the session when the token is refused again after the refresh: 401, no loop', async () => {
      const jar = new CookieJar();
      const name = someone();
      await logIn(jar, name);
      devwiki.setClockOffset(3600);
      const before = refreshes();
      let tries = 0;
      const refusedTwice = withUser(async (_request, user) => {
        await user.withWiki(async (api) => {
          // The second try (after the refresh) meets a grant revoked meanwhile: refused again.
          if (++tries === 2) devwiki.revoke(name, consumer.key);
          return api.get({ action: 'query', meta: 'userinfo' });
        });
        return Response.json({ unreachable: true });
      });
      const response = await refusedTwice(request('/api/mine', jar));
      expect(response.status).toBe(401);
      expect(await json(response)).toMatchObject({ error: 'revoked' });
      expect(tries).toBe(2);
      expect(refreshes() - before).toBe(1);
      jar.update(response);
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
      expect((await GET(request('/api/mine', jar))).status).toBe(401);
    });

    it('should not write back a session logged out while it was being refreshed (both stores alike)', async () => {
      const jar = new CookieJar();
      await logIn(jar, someone());
      const app = getApp();
      // This request read its cookie; then the browser logged out (another tab); then it refreshes.
      const session = await app.store.open(request('/api/mine', jar).cookies);
      const out = await logout(
        request('/api/mwoauth/logout', jar, {
          method: 'POST',
          headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'next=%2F',
        }),
      );
      expect(out.status).toBe(303);
      const writes = cookieRecorder();
      const login = session.login;
      if (login === null) throw new Error('the session was not open');
      const fresh = await freshLogin(
        { flow: app.flow, store: app.store, session, to: writes, deadline: startWikiDeadline(app.config) },
        login,
        { force: true },
      );
      expect(fresh).toEqual({ kind: 'ended', reason: 'logged_out' });
      // Only ever cleared (fresh.ts ends the session once more, harmlessly, for the Redis successor
      // case of session/redis-store.ts): never the refreshed login written back.
      expect(writes.writes.length).toBeGreaterThan(0);
      expect(
        writes.writes.every((write) => write[0] === LOGIN_COOKIE && write[1] === '' && write[2] === 0),
      ).toBe(true);
    });
  }
});
