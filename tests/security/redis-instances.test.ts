import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki } from '@/devwiki';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { CookieJar } from '@/tests/support/app-harness';
import { E2E_CONSUMER, ensureBuilt, freePort, startAppServer, type AppServer } from '@/tests/support/e2e-app';
import { startFrontProxy, type FrontProxy } from '@/tests/support/front-proxy';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { sessionConfig } from '@/tests/support/session-config';
import { unsealOrNull } from '@/lib/server/session/seal';

// SESSION_STORE=redis with two `next start` instances behind one front proxy (a load balancer),
// sharing one Redis and one devwiki (issue 12): a session made on one instance is used on the
// other, a logout on one is final on the other, "log out everywhere" ends every browser's session,
// and Redis faults (stopped, hung) end in 503s within the deadline and recover without a restart.
// The figures of the fault cases are printed ([redis-faults] lines) for SECURITY.md.

let redis: TestRedis;
let devwiki: Devwiki;
let front: FrontProxy;
let a: AppServer;
let b: AppServer;
/** The public origin (APP_URL): the front proxy, by the name the consumer's callback prefix allows. */
let publicOrigin: string;
const SECRET = randomBytes(32).toString('base64');
/** The instance a request goes to: the front proxy reads this header (a sticky-less balancer). */
const INSTANCE = 'x-test-instance';
type Instance = 'a' | 'b';

beforeAll(async () => {
  await ensureBuilt();
  redis = await startRedis();
  devwiki = await startDevwiki({ consumers: [E2E_CONSUMER] });
  const [portA, portB] = [await freePort(), await freePort()];
  front = await startFrontProxy((req) => ({
    host: '127.0.0.1',
    port: req.headers[INSTANCE] === 'b' ? portB : portA,
  }));
  publicOrigin = front.url.replace('127.0.0.1', 'localhost');
  const start = (port: number): Promise<AppServer> =>
    startAppServer({
      wiki: { indexUrl: devwiki.indexUrl, consumer: E2E_CONSUMER },
      userAgent: 'next-mwoauth-e2e/1.0 (tests/e2e redis; nobody@example.org)',
      port,
      env: {
        SESSION_SECRET: SECRET,
        SESSION_STORE: 'redis',
        REDIS_URL: redis.url,
        APP_URL: publicOrigin,
        MW_CALLBACK: `${publicOrigin}/api/mwoauth/callback`,
        INITIATE_RATE_LIMIT: 'off',
      },
    });
  [a, b] = await Promise.all([start(portA), start(portB)]);
}, 600_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await front?.close();
  await devwiki?.close();
  await redis?.stop();
});

/** `path` (or an URL of the public origin) on instance `via`, through the front proxy. */
function send(
  jar: CookieJar,
  via: Instance,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const url = new URL(path.startsWith(publicOrigin) ? path.slice(publicOrigin.length) : path, front.url);
  return jar.send(url, { ...init, headers: { ...init.headers, [INSTANCE]: via } });
}

/** Starts the login on `start`, approves on devwiki, completes it on `finish`; returns the jar. */
async function logIn(username: string, start: Instance, finish: Instance): Promise<CookieJar> {
  const jar = new CookieJar();
  const initiate = await send(jar, start, '/api/mwoauth/initiate?next=/profile');
  expect(initiate.status).toBe(303);
  const back = await devwiki.approve(initiate.headers.get('location') ?? '', username);
  const done = await send(jar, finish, back);
  expect(done.status).toBe(303);
  expect(done.headers.get('location')).toBe(`${publicOrigin}/profile`);
  expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
  return jar;
}

/** A second browser holding a copy of `jar`'s cookies (a stolen or copied cookie). */
function copyOf(jar: CookieJar): CookieJar {
  const copy = new CookieJar();
  for (const [name, value] of jar.cookies) copy.cookies.set(name, value);
  return copy;
}

async function identify(jar: CookieJar, via: Instance): Promise<{ status: number; body: unknown }> {
  const response = await send(jar, via, '/api/mwoauth/identify');
  return { status: response.status, body: await response.json() };
}

function logOut(jar: CookieJar, via: Instance, everywhere = false): Promise<Response> {
  return send(jar, via, '/api/mwoauth/logout', {
    method: 'POST',
    headers: { origin: publicOrigin, 'content-type': 'application/x-www-form-urlencoded' },
    body: everywhere ? 'next=%2F%3Fnotice%3Dloggedout-everywhere&everywhere=1' : 'next=%2F',
  });
}

describe('two instances, one Redis', () => {
  it('should use a session made on A on B, and end it on A when it is logged out on B', async () => {
    const jar = await logIn('RedisAlice', 'a', 'a');
    const onB = await identify(jar, 'b');
    expect(onB.status).toBe(200);
    expect(onB.body).toMatchObject({ username: 'RedisAlice' });
    const profile = await send(jar, 'b', '/profile');
    expect(profile.status).toBe(200);
    const html = await profile.text();
    expect(html).toContain('RedisAlice');
    // Redis mode offers "log out everywhere" (the cookie store explains it cannot).
    expect(html).toContain('name="everywhere"');

    const copied = copyOf(jar);
    const out = await logOut(jar, 'b');
    expect(out.status).toBe(303);
    // The copy still carries the old cookie, but its record is gone: refused on A at once.
    expect(copied.cookies.has(LOGIN_COOKIE)).toBe(true);
    const refused = await identify(copied, 'a');
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'not_logged_in' });
    const page = await send(copied, 'a', '/profile');
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toContain('/api/mwoauth/initiate');
  });

  it('should end the sessions of two browsers with "log out everywhere", and not another user\'s', async () => {
    const first = await logIn('RedisBob', 'a', 'b');
    const second = await logIn('RedisBob', 'b', 'a');
    const other = await logIn('RedisCarol', 'a', 'a');
    expect((await identify(second, 'a')).status).toBe(200);

    const out = await logOut(first, 'a', true);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe(`${publicOrigin}/?notice=loggedout-everywhere`);
    expect((await identify(second, 'a')).status).toBe(401);
    expect((await identify(second, 'b')).status).toBe(401);
    expect((await identify(other, 'b')).status).toBe(200);
  });

  it('should delete the session in Redis when the wiki has revoked the access token', async () => {
    const jar = await logIn('RedisRevoked', 'b', 'b');
    const copied = copyOf(jar);
    const before = (await redis.dump()).length;
    devwiki.revoke('RedisRevoked', E2E_CONSUMER.key);
    const revoked = await identify(jar, 'a');
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ error: 'revoked' });
    // The record is gone (not only this browser's cookie): the copy opens nothing either.
    expect((await redis.dump()).length).toBeLessThan(before);
    const copy = await identify(copied, 'b');
    expect(copy.status).toBe(401);
    expect(copy.body).toMatchObject({ error: 'not_logged_in' });
  });

  it('should keep nothing readable in Redis after a login through the app: no token, secret or user name', async () => {
    const jar = await logIn('RedisDumpUser', 'b', 'a');
    const keys = await redis.dump();
    const sessionRecords = keys.filter((k) => k.type === 'string' && k.ttlMs > 0);
    expect(sessionRecords.length).toBeGreaterThan(0);
    // The record holds the access token, sealed: unseal it with the secret to know what to look for.
    const secrets = sessionConfig(SECRET);
    const tokens: string[] = [];
    for (const record of sessionRecords) {
      const opened = await unsealOrNull(record.value, secrets);
      const credentials: unknown = opened === null ? null : Reflect.get(Object(opened), 'credentials');
      const token: unknown = credentials === null ? null : Reflect.get(Object(credentials), 'accessToken');
      for (const part of ['key', 'secret']) {
        const value: unknown = token === null ? null : Reflect.get(Object(token), part);
        if (typeof value === 'string') tokens.push(value);
      }
    }
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    const cookieValue = jar.cookies.get(LOGIN_COOKIE) ?? '';
    const forbidden = [
      ...tokens,
      'RedisDumpUser',
      SECRET,
      E2E_CONSUMER.secret,
      E2E_CONSUMER.key,
      cookieValue,
    ];
    for (const { key, value } of keys) {
      for (const word of forbidden) {
        expect(key).not.toContain(word);
        expect(value).not.toContain(word);
      }
      // Every key under the derived, unguessable prefix.
      expect(key).toMatch(/^mwoauth:[0-9a-f]{24}:/);
    }
  });
});

interface LoadFigures {
  requests: number;
  byStatus: Record<string, number>;
  /** 5xx answers other than 503, and transport errors. */
  unexpected: number;
  maxMs: number;
}

/**
 * Loops GET / (which opens the session on every request) with `jar` on both instances, `workers`
 * at a time, until `stop()` resolves; every answer counted.
 */
async function underLoad(jar: CookieJar, workers: number, during: () => Promise<void>): Promise<LoadFigures> {
  const figures: LoadFigures = { requests: 0, byStatus: {}, unexpected: 0, maxMs: 0 };
  let running = true;
  const cookie = jar.header();
  const worker = async (n: number): Promise<void> => {
    for (let i = 0; running && i < 100_000; i++) {
      const started = performance.now();
      let status = 'error';
      try {
        const response = await fetch(new URL('/', front.url), {
          headers: { cookie, [INSTANCE]: (i + n) % 2 === 0 ? 'a' : 'b' },
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        status = String(response.status);
      } catch {
        status = 'error';
      }
      const ms = performance.now() - started;
      figures.requests += 1;
      figures.byStatus[status] = (figures.byStatus[status] ?? 0) + 1;
      if (status === 'error' || (status.startsWith('5') && status !== '503')) figures.unexpected += 1;
      figures.maxMs = Math.max(figures.maxMs, ms);
    }
  };
  const all = Promise.all(Array.from({ length: workers }, (_, n) => worker(n)));
  try {
    await during();
  } finally {
    running = false;
    await all;
  }
  return figures;
}

/** Polls GET / with `jar` on both instances until neither answers 503; the ms it took (bounded). */
async function recoveryMs(jar: CookieJar, from: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const [onA, onB] = await Promise.all([send(jar, 'a', '/'), send(jar, 'b', '/')]);
    await Promise.all([onA.arrayBuffer(), onB.arrayBuffer()]);
    if (onA.status !== 503 && onB.status !== 503) return performance.now() - from;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the app did not recover within 200 polls');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function healthz(via: Instance): Promise<{ status: number; body: string }> {
  const response = await send(new CookieJar(), via, '/healthz');
  return { status: response.status, body: await response.text() };
}

describe('Redis faults with two instances', () => {
  it('should answer 503 within the deadline while Redis hangs, render logged-out pages, and recover on SIGCONT', async () => {
    const jar = await logIn('RedisFaultUser', 'a', 'b');
    let resumedAt = 0;
    let duringHang: { status: number; ms: number; body: string } | null = null;
    let loggedOut = 0;
    let health: { status: number; body: string } | null = null;
    const figures = await underLoad(jar, 4, async () => {
      await sleep(500);
      redis.pause();
      try {
        await sleep(1500);
        const started = performance.now();
        const page = await send(jar, 'b', '/profile');
        duringHang = { status: page.status, ms: performance.now() - started, body: await page.text() };
        loggedOut = (await send(new CookieJar(), 'a', '/')).status;
        health = await healthz('a');
        await sleep(1000);
      } finally {
        redis.resume();
        resumedAt = performance.now();
      }
      await sleep(1000);
    });
    const recovered = await recoveryMs(jar, resumedAt);
    console.log(
      `[redis-faults] hung (SIGSTOP 3 s, 4 workers): ${JSON.stringify(figures)}, recovered ${Math.round(recovered)} ms after SIGCONT`,
    );
    expect(duringHang).not.toBeNull();
    const hang = duringHang ?? { status: 0, ms: 0, body: '' };
    expect(hang.status).toBe(503);
    expect(hang.ms).toBeLessThan(5000);
    expect(hang.body).not.toMatch(/at .*\.js:\d+|redis:\/\/|RedisFaultUser/);
    expect(loggedOut).toBe(200);
    expect(health).toMatchObject({ status: 503 });
    expect((health ?? { body: '' }).body).toMatch(/^unavailable: .*Redis at 127\.0\.0\.1:\d+/);
    expect(figures.unexpected).toBe(0);
    expect(figures.byStatus['503'] ?? 0).toBeGreaterThan(0);
    expect(figures.byStatus['200'] ?? 0).toBeGreaterThan(0);
    expect((await healthz('b')).status).toBe(200);
    // The session survived the hang.
    expect((await identify(jar, 'a')).status).toBe(200);
  });

  it('should answer 503 while Redis is stopped mid-load, and recover when it is restarted', async () => {
    const jar = await logIn('RedisStopUser', 'b', 'a');
    let restartedAt = 0;
    let loggedOut = 0;
    let health = 0;
    const figures = await underLoad(jar, 4, async () => {
      await sleep(500);
      await redis.stop();
      try {
        await sleep(1000);
        loggedOut = (await send(new CookieJar(), 'b', '/')).status;
        health = (await healthz('b')).status;
        await sleep(1000);
      } finally {
        await redis.restart();
        restartedAt = performance.now();
      }
      await sleep(1500);
    });
    const recovered = await recoveryMs(jar, restartedAt);
    console.log(
      `[redis-faults] stopped ~2 s then restarted (4 workers): ${JSON.stringify(figures)}, recovered ${Math.round(recovered)} ms after the restart`,
    );
    expect(loggedOut).toBe(200);
    expect(health).toBe(503);
    expect(figures.unexpected).toBe(0);
    expect(figures.byStatus['503'] ?? 0).toBeGreaterThan(0);
    expect((await healthz('a')).status).toBe(200);
    // The test Redis keeps nothing on disk: its sessions are gone, and a new login works at once.
    expect((await identify(jar, 'a')).status).toBe(401);
    const again = await logIn('RedisStopUser', 'a', 'b');
    expect((await identify(again, 'b')).status).toBe(200);
  });
});
