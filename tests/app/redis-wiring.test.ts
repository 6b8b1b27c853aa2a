import { inspect } from 'node:util';
import type { NextRequest } from 'next/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { GET as callback } from '@/app/api/mwoauth/callback/route';
import { GET as identifyRoute } from '@/app/api/mwoauth/identify/route';
import { GET as initiateRoute } from '@/app/api/mwoauth/initiate/route';
import { POST as logout } from '@/app/api/mwoauth/logout/route';
import { GET as unavailableRoute } from '@/app/api/mwoauth/unavailable/route';
import { GET as health } from '@/app/healthz/route';
import { getApp } from '@/lib/server/wiring/app';
import { readConfig } from '@/lib/server/config';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { APP_ORIGIN, configureFor, CookieJar, request, testConsumer } from '@/tests/support/app-harness';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';

// The wiring of SESSION_STORE=redis through the composition root, against a real
// redis-server: the configuration, getApp's store and limiter, the routes' 503 when Redis is gone,
// /healthz, and "log out everywhere" in both stores.

let devwiki: Devwiki;
let redis: TestRedis;
const consumer: DevwikiConsumer = testConsumer();
const savedEnv = { ...process.env };

beforeAll(async () => {
  [devwiki, redis] = await Promise.all([startDevwiki({ consumers: [consumer] }), startRedis()]);
});
afterAll(async () => {
  await devwiki?.close();
  await redis?.stop();
});
beforeEach(() => {
  configureFor(devwiki, consumer, { SESSION_STORE: 'redis', REDIS_URL: redis.url });
});
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

async function logIn(jar: CookieJar, username: string): Promise<void> {
  const start = await initiateRoute(request('/api/mwoauth/initiate?next=/profile', jar));
  expect(start.status).toBe(303);
  jar.update(start);
  const back = await devwiki.approve(start.headers.get('location') ?? '', username);
  const done = await callback(request(back, jar));
  expect(done.status).toBe(303);
  jar.update(done);
}

function logoutRequest(jar: CookieJar, body: string): NextRequest {
  return request('/api/mwoauth/logout', jar, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: APP_ORIGIN },
    body,
  });
}

describe('the configuration', () => {
  it('should carry the Redis store config, printed without the password', () => {
    const config = readConfig({
      ...process.env,
      SESSION_STORE: 'redis',
      REDIS_URL: 'rediss://default:hunter2-Secret@redis.example.org:6380',
      REDIS_KEY_PREFIX: 'mytool:0123456789abcdef',
    });
    expect(config.store).toMatchObject({
      kind: 'redis',
      url: 'rediss://default:hunter2-Secret@redis.example.org:6380',
      keyPrefix: 'mytool:0123456789abcdef',
    });
    for (const printed of [JSON.stringify(config), inspect(config, { depth: 5 })]) {
      expect(printed).not.toContain('hunter2-Secret');
      expect(printed).toContain('redis.example.org:6380');
    }
    expect(readConfig({ ...process.env, SESSION_STORE: '' }).store).toEqual({ kind: 'cookie' });
  });
});

describe('getApp with SESSION_STORE=redis', () => {
  it('should pick the Redis store, and the cookie store without it', () => {
    expect(getApp().store.canEndAll).toBe(true);
    delete process.env.SESSION_STORE;
    expect(getApp().store.canEndAll).toBe(false);
  });

  it('should count the initiate limit in Redis, shared by every app of the process and beyond', async () => {
    process.env.INITIATE_RATE_LIMIT = '2/60';
    const prefix = `wiring:${Date.now()}:limit:`;
    process.env.REDIS_KEY_PREFIX = prefix;
    const limiter = getApp().initiateLimiter;
    expect(limiter).not.toBeNull();
    const headers = { 'x-forwarded-for': '198.51.100.7' };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await initiateRoute(request('/api/mwoauth/initiate', null, { headers }));
      statuses.push(response.status);
    }
    expect(statuses).toEqual([303, 303, 429]);
    // The count lives in Redis: its keys are there, under the prefix.
    expect((await redis.dump()).some((k) => k.key.startsWith(`${prefix}rl:initiate`))).toBe(true);
  });
});

describe('routes when Redis is gone', () => {
  it('should answer 503 on initiate, identify, logout and /healthz, within the deadline, naming no secret', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'WiringAlice');
    expect((await health()).status).toBe(200);
    await redis.stop();
    try {
      process.env.INITIATE_RATE_LIMIT = '10/60';
      const started = performance.now();
      const initiate = await initiateRoute(request('/api/mwoauth/initiate', jar));
      const identify = await identifyRoute(request('/api/mwoauth/identify', jar));
      const out = await logout(logoutRequest(jar, 'next=%2F'));
      const healthz = await health();
      expect(performance.now() - started).toBeLessThan(4 * 3000);
      expect(initiate.status).toBe(503);
      expect(identify.status).toBe(503);
      expect(await identify.json()).toMatchObject({ error: 'store_unavailable' });
      expect(out.status).toBe(503);
      // The browser forgets its login cookie even so.
      expect(out.headers.getSetCookie().some((c) => c.startsWith(`${LOGIN_COOKIE}=;`))).toBe(true);
      expect(healthz.status).toBe(503);
      const body = await healthz.text();
      expect(body).toMatch(/^unavailable: the session store: Redis at 127\.0\.0\.1:\d+ /);
      const page = await initiate.text();
      expect(page).not.toContain('redis://');
      expect(page).not.toMatch(/at .*\.(js|ts):\d+/);
    } finally {
      await redis.restart();
    }
    // Recovered without a restart of the app: the connection comes back with its backoff (≤ 1 s).
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await health()).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });

  it('should answer the 503 page on /api/mwoauth/unavailable, in the visitor language', async () => {
    const response = unavailableRoute(request('/api/mwoauth/unavailable?uselang=fr', null));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(await response.text()).toContain('lang="fr"');
  });
});

describe('log out everywhere', () => {
  it('should end every session of the user in Redis', async () => {
    const first = new CookieJar();
    const second = new CookieJar();
    await logIn(first, 'WiringBob');
    await logIn(second, 'WiringBob');
    expect((await identifyRoute(request('/api/mwoauth/identify', second))).status).toBe(200);
    const out = await logout(logoutRequest(first, 'next=%2F%3Fnotice%3Dloggedout-everywhere&everywhere=1'));
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe(`${APP_ORIGIN}/?notice=loggedout-everywhere`);
    expect((await identifyRoute(request('/api/mwoauth/identify', second))).status).toBe(401);
  });

  it('should end only this browser with the cookie store (it cannot find the others)', async () => {
    delete process.env.SESSION_STORE;
    const first = new CookieJar();
    const second = new CookieJar();
    await logIn(first, 'WiringCarol');
    await logIn(second, 'WiringCarol');
    const out = await logout(logoutRequest(first, 'next=%2F&everywhere=1'));
    expect(out.status).toBe(303);
    first.update(out);
    expect(first.cookies.has(LOGIN_COOKIE)).toBe(false);
    expect((await identifyRoute(request('/api/mwoauth/identify', second))).status).toBe(200);
  });
});
