import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki } from '@/devwiki';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { HANDSHAKE_COOKIE } from '@/lib/server/session/handshakes';
import { CookieJar } from '@/tests/support/app-harness';
import { E2E_CONSUMER, ensureBuilt, freePort, startAppServer, type AppServer } from '@/tests/support/e2e-app';
import { startFrontProxy, type FrontProxy } from '@/tests/support/front-proxy';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { sessionConfig } from '@/tests/support/session-config';
import { unsealOrNull } from '@/lib/server/session/seal';
import { sessionIdHash } from '@/lib/server/redis/keys';

// SESSION_STORE=redis with two `next start` instances behind one front proxy (a load balancer),
// sharing one Redis and one devwiki: a session made on one instance is used on the
// other, a logout on one is final on the other, "log out everywhere" ends every browser's session,
// and Redis faults (stopped, hung) end in 503s within the deadline and recover without a restart.
// The figures of the fault cases are printed ([redis-faults] lines) for SECURITY.md.
// Another tool that writes to the shared Redis copies one user's record under another's
// key, or writes data of the wrong type there; instance C (cookie store, the same SESSION_SECRET)
// is sent a Redis record as its login cookie.
// Redis only: instances share sessions only through Redis (OAuth 1.0a; the protocol plays no part).

let redis: TestRedis;
let devwiki: Devwiki;
let front: FrontProxy;
let a: AppServer;
let b: AppServer;
/** A cookie-store instance sharing A's and B's SESSION_SECRET (seals per purpose: session/seal.ts). */
let c: AppServer;
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
  [a, b, c] = await Promise.all([
    start(portA),
    start(portB),
    startAppServer({
      wiki: { indexUrl: devwiki.indexUrl, consumer: E2E_CONSUMER },
      userAgent: 'next-mwoauth-e2e/1.0 (tests/e2e cookie; nobody@example.org)',
      env: { SESSION_SECRET: SECRET, INITIATE_RATE_LIMIT: 'off' },
    }),
  ]);
}, 600_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), c?.close()]);
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

/** The raw session id the jar's login cookie carries (Redis holds only its SHA-256). */
async function sessionIdOf(jar: CookieJar): Promise<string> {
  const opened = await unsealOrNull(
    jar.cookies.get(LOGIN_COOKIE) ?? '',
    sessionConfig(SECRET),
    'session-id-cookie',
  );
  const sid: unknown = opened === null ? null : Reflect.get(Object(opened), 'sid');
  if (typeof sid !== 'string') throw new Error('the jar holds no Redis login cookie');
  return sid;
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
    // The record holds the access token, sealed: unseal it with the secret and the session id (in
    // the cookie only: seal.ts) to know what to look for.
    const secrets = sessionConfig(SECRET);
    const sid = await sessionIdOf(jar);
    const tokens: string[] = [];
    for (const record of sessionRecords.filter((k) => k.key.endsWith(`s:${sessionIdHash(sid)}`))) {
      const opened = await unsealOrNull(record.value, secrets, 'redis-record', sid);
      // Without the session id, the secret alone opens nothing (a leaked SESSION_SECRET and a dump).
      expect(await unsealOrNull(record.value, secrets, 'redis-record', 'x'.repeat(43))).toBeNull();
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

/** The Redis key of the jar's session record (the cookie's session id, hashed: redis/keys.ts). */
async function recordKeyOf(jar: CookieJar): Promise<string> {
  const sid = sessionIdHash(await sessionIdOf(jar));
  const key = (await redis.dump()).find((k) => k.key.endsWith(`:s:${sid}`))?.key;
  if (key === undefined) throw new Error("the jar's session has no record in Redis");
  return key;
}

/** Requests devwiki has had so far (every call the app makes to the wiki is one). */
const wikiCalls = (): number => devwiki.requests.length;

/** Whether the response deleted the login cookie (Max-Age=0). */
function clearsLoginCookie(response: Response): boolean {
  return response.headers
    .getSetCookie()
    .some((line) => line.startsWith(`${LOGIN_COOKIE}=;`) && /max-age=0/i.test(line));
}

describe('a Redis value opens only the session it was written for', () => {
  it("should log Mallory out, with no wiki call, when Alice's record is copied under Mallory's key", async () => {
    const alice = await logIn('CopyAlice', 'a', 'a');
    const mallory = await logIn('CopyMallory', 'b', 'b');
    const [aliceKey, malloryKey] = [await recordKeyOf(alice), await recordKeyOf(mallory)];
    expect(
      await redis.command(['SET', malloryKey, String(await redis.command(['GET', aliceKey])), 'KEEPTTL']),
    ).toBe('OK');

    const calls = wikiCalls();
    const response = await send(mallory, 'a', '/api/mwoauth/identify');
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'not_logged_in' }),
    });
    expect(clearsLoginCookie(response)).toBe(true);
    expect(wikiCalls()).toBe(calls);
    expect(await redis.command(['EXISTS', malloryKey])).toBe(0);
    // The pages render logged out too, and Alice's own session is untouched.
    const page = await send(mallory, 'b', '/profile');
    expect(page.status).toBe(307);
    expect((await identify(alice, 'b')).body).toMatchObject({ username: 'CopyAlice' });
  });

  it("should log Alice out (no fixation) when Mallory's record is copied under Alice's key", async () => {
    const alice = await logIn('FixAlice', 'a', 'b');
    const mallory = await logIn('FixMallory', 'b', 'a');
    const [aliceKey, malloryKey] = [await recordKeyOf(alice), await recordKeyOf(mallory)];
    await redis.command(['SET', aliceKey, String(await redis.command(['GET', malloryKey])), 'KEEPTTL']);

    const calls = wikiCalls();
    const response = await send(alice, 'b', '/api/mwoauth/identify');
    expect(response.status).toBe(401);
    expect(clearsLoginCookie(response)).toBe(true);
    expect(wikiCalls()).toBe(calls);
    expect(await redis.command(['EXISTS', aliceKey])).toBe(0);
    expect(alice.cookies.has(LOGIN_COOKIE)).toBe(false);
    expect((await identify(mallory, 'a')).body).toMatchObject({ username: 'FixMallory' });
  });

  it('should refuse a Redis record, and a handshake cookie, sent as the login cookie of a cookie-store instance with the same secret', async () => {
    const alice = await logIn('CrossAlice', 'a', 'a');
    const record = String(await redis.command(['GET', await recordKeyOf(alice)]));
    const calls = wikiCalls();
    const asCookie = new CookieJar();
    asCookie.cookies.set(LOGIN_COOKIE, record);
    const response = await asCookie.send(new URL('/api/mwoauth/identify', c.origin));
    expect(response.status).toBe(401);
    expect(clearsLoginCookie(response)).toBe(true);
    expect(wikiCalls()).toBe(calls);

    // A login in progress on C, its handshake cookie sent back as C's login cookie.
    const starting = new CookieJar();
    const initiate = await starting.send(new URL('/api/mwoauth/initiate?next=/', c.origin));
    expect(initiate.status).toBe(303);
    const handshake = starting.cookies.get(HANDSHAKE_COOKIE) ?? '';
    expect(handshake).not.toBe('');
    const swapped = new CookieJar();
    swapped.cookies.set(LOGIN_COOKIE, handshake);
    expect((await swapped.send(new URL('/api/mwoauth/identify', c.origin))).status).toBe(401);
    // And A's login cookie (a sealed session id) is no login on C either.
    const idCookie = new CookieJar();
    idCookie.cookies.set(LOGIN_COOKIE, alice.cookies.get(LOGIN_COOKIE) ?? '');
    expect((await idCookie.send(new URL('/api/mwoauth/identify', c.origin))).status).toBe(401);
  });
});

describe('corrupt data in Redis is logged out, not an outage', () => {
  it('should log out a browser whose record was replaced by a list: 401, cookie cleared, key deleted, logged as corrupt', async () => {
    const jar = await logIn('ListedUser', 'a', 'a');
    const key = await recordKeyOf(jar);
    await redis.command(['DEL', key]);
    await redis.command(['RPUSH', key, 'a']);
    const response = await send(jar, 'b', '/api/mwoauth/identify');
    expect(response.status).toBe(401);
    expect(clearsLoginCookie(response)).toBe(true);
    expect(await redis.command(['EXISTS', key])).toBe(0);
    expect(b.serverLog()).toMatch(/\[redis\] 127\.0\.0\.1:\d+: corrupt data \(read session\): a list/);
    expect(b.serverLog()).not.toMatch(/unavailable: answered WRONGTYPE/);
  });

  it('should log in a user whose index key another tool overwrote with a string, leaving no orphan record', async () => {
    // The index key is an HMAC of the user id: the test learns it from the user's first login.
    const first = await logIn('IndexedUser', 'a', 'a');
    const idHash = sessionIdHash(await sessionIdOf(first));
    const index = (await redis.dump()).find(
      (k) => k.type === 'set' && k.value.split('\n').includes(idHash),
    )?.key;
    if (index === undefined) throw new Error('no index key for the first session');
    await redis.command(['DEL', index]);
    await redis.command(['SET', index, 'x']);
    const records = async (): Promise<number> =>
      (await redis.dump()).filter((k) => k.key.includes(':s:')).length;
    const before = await records();
    const again = await logIn('IndexedUser', 'b', 'b');
    expect((await identify(again, 'a')).body).toMatchObject({ username: 'IndexedUser' });
    expect(await records()).toBe(before + 1);
    expect(await redis.command(['TYPE', index])).toBe('set');
  });

  it('should answer the 503 page, not "not configured", when Redis cannot store the new session at the callback', async () => {
    const jar = new CookieJar();
    const initiate = await send(jar, 'a', '/api/mwoauth/initiate?next=/profile');
    const back = await devwiki.approve(initiate.headers.get('location') ?? '', 'PausedUser');
    const records = async (): Promise<number> =>
      (await redis.dump()).filter((k) => k.key.includes(':s:')).length;
    const before = await records();
    await redis.command(['CLIENT', 'PAUSE', '2500', 'WRITE']);
    let done: Response;
    try {
      done = await send(jar, 'a', back);
    } finally {
      await redis.command(['CLIENT', 'UNPAUSE']);
    }
    const html = await done.text();
    expect(done.status).toBe(503);
    expect(done.headers.get('retry-after')).toBe('30');
    expect(html).not.toMatch(/not configured/i);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
    // The write the deadline gave up on was not carried out later: no record without a cookie.
    await new Promise((r) => setTimeout(r, 300));
    expect(await records()).toBe(before);
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
