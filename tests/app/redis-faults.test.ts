import { afterEach, describe, expect, it } from 'vitest';
import { makeToken } from 'mwoauth';
import { AppError } from '@/lib/server/core/errors';
import {
  createRedisConnection,
  REDIS_DEADLINE_MS,
  type RedisConnection,
} from '@/lib/server/redis/connection';
import { createRedisStore } from '@/lib/server/session/redis-store';
import { LOGIN_COOKIE, type SessionStore } from '@/lib/server/session/store';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { sessionConfig } from '@/tests/support/session-config';

// Redis hung, stopped, restarted, or never there ("every request still ends in bounded
// time (a deadline of about 1 s per Redis call) … when Redis returns, the app recovers without a
// restart"). A real redis-server each time: SIGSTOP for a hung one, SIGTERM + a new process on the
// same port for a restart. Timing bounds are generous (2 shared cores); the figures are printed.

const config = sessionConfig('k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1');
const PASSWORD = 'redis-pass-Qm7Vx2Lk9Tz4Wn8R';
/** Generous: the deadline is 1 s; a loaded CI machine may add a few hundred ms. */
const BOUND_MS = 3000;

class Jar {
  readonly values = new Map<string, string>();
  get(name: string): { value: string } | undefined {
    const value = this.values.get(name);
    return value === undefined ? undefined : { value };
  }
  set(name: string, value: string, maxAgeS: number): void {
    if (maxAgeS === 0) this.values.delete(name);
    else this.values.set(name, value);
  }
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; ms: number }> {
  const started = performance.now();
  try {
    await promise;
    return { code: 'resolved', message: '', ms: performance.now() - started };
  } catch (error) {
    const ms = performance.now() - started;
    if (error instanceof AppError) return { code: error.code, message: error.message, ms };
    return { code: `not an AppError: ${String(error)}`, message: '', ms };
  }
}

/** Polls `open()` until it succeeds (bounded); returns how long that took. */
async function recovery(store: SessionStore, jar: Jar, limitMs: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; performance.now() - started < limitMs && i < 1000; i++) {
    try {
      const opened = await store.open(jar);
      if (opened.login !== null) return performance.now() - started;
    } catch {
      // still unavailable
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Infinity;
}

const started: { redis: TestRedis[]; connections: RedisConnection[] } = { redis: [], connections: [] };

async function setUp(options: { password?: string } = {}): Promise<{
  redis: TestRedis;
  connection: RedisConnection;
  store: SessionStore;
  jar: Jar;
}> {
  const redis = await startRedis(options);
  started.redis.push(redis);
  const connection = createRedisConnection(redis.url);
  started.connections.push(connection);
  const store = createRedisStore({ connection, session: config, keyPrefix: null });
  const jar = new Jar();
  await store.create(await store.open(jar), jar, {
    sub: '7',
    username: 'Faulty',
    credentials: {
      protocol: '1.0a',
      accessToken: makeToken('fault-key-0123456789', 'fault-secret-0123456789'),
    },
  });
  return { redis, connection, store, jar };
}

/** A login cookie made by a store on a Redis of its own (stopped afterwards). */
async function loggedInJarElsewhere(): Promise<Jar> {
  const { jar } = await setUp();
  return jar;
}

function cookieFor(jar: Jar): Jar {
  const copy = new Jar();
  for (const [k, v] of jar.values) copy.values.set(k, v);
  return copy;
}

afterEach(async () => {
  for (const connection of started.connections.splice(0)) await connection.close();
  for (const redis of started.redis.splice(0)) await redis.stop();
});

describe('Redis faults', () => {
  it('should fail open() with store_unavailable within the deadline when Redis hangs, and recover on SIGCONT', async () => {
    const { redis, store, jar } = await setUp();
    redis.pause();
    const hung = await failure(store.open(jar));
    expect(hung.code).toBe('store_unavailable');
    expect(hung.ms).toBeGreaterThanOrEqual(REDIS_DEADLINE_MS - 50);
    expect(hung.ms).toBeLessThan(BOUND_MS);
    // A second request while still hung: bounded too (a new connection, as the silent one was dropped).
    const again = await failure(store.open(jar));
    expect(again.code).toBe('store_unavailable');
    expect(again.ms).toBeLessThan(BOUND_MS);
    expect(await store.check()).toMatch(/^Redis at 127\.0\.0\.1:\d+ did not answer in time/);
    redis.resume();
    const back = await recovery(store, jar, 5000);
    expect(back).toBeLessThan(5000);
    expect(await store.check()).toBeNull();
    console.log(
      `[redis] hung Redis: open() failed after ${Math.round(hung.ms)} ms, then ${Math.round(again.ms)} ms (deadline ${REDIS_DEADLINE_MS} ms); usable ${Math.round(back)} ms after SIGCONT`,
    );
  });

  it('should fail fast while Redis is stopped and work again after a restart, without a new process', async () => {
    const { redis, store, jar } = await setUp();
    const cookie = jar.get(LOGIN_COOKIE)?.value ?? '';
    await redis.stop();
    const down = await failure(store.open(jar));
    expect(down.code).toBe('store_unavailable');
    expect(down.ms).toBeLessThan(BOUND_MS);
    const health = await store.check();
    expect(health).toMatch(/^Redis at 127\.0\.0\.1:\d+ /);

    await redis.restart();
    const restartedAt = performance.now();
    // The restarted server is empty (no persistence): the old cookie is stale, new logins work.
    const fresh = new Jar();
    let created = false;
    for (let i = 0; i < 100 && !created; i++) {
      try {
        await store.create(await store.open(fresh), fresh, {
          sub: '8',
          username: 'Again',
          credentials: {
            protocol: '1.0a',
            accessToken: makeToken('again-key-0123456789', 'again-secret-012345'),
          },
        });
        created = true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const recoveredMs = performance.now() - restartedAt;
    expect(created).toBe(true);
    expect(recoveredMs).toBeLessThan(5000);
    expect((await store.open(fresh)).login?.sub).toBe('8');
    const old = new Jar();
    old.values.set(LOGIN_COOKIE, cookie);
    expect((await store.open(old)).stale).toBe(true);
    expect(await store.check()).toBeNull();
    console.log(
      `[redis] stopped Redis: open() failed after ${Math.round(down.ms)} ms; logins work ${Math.round(recoveredMs)} ms after the restart`,
    );
  });

  it('should answer in bounded time when nothing listens, and never print the password of REDIS_URL', async () => {
    const { redis, store, jar } = await setUp({ password: PASSWORD });
    expect((await store.open(jar)).login?.sub).toBe('7');
    await redis.stop();
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]): void => void errors.push(args.map(String).join(' '));
    try {
      const down = await failure(store.open(jar));
      expect(down.code).toBe('store_unavailable');
      expect(down.ms).toBeLessThan(BOUND_MS);
      const health = (await store.check()) ?? '';
      expect(health).toMatch(/Redis/);
      for (const text of [down.message, health, ...errors]) expect(text.includes(PASSWORD)).toBe(false);
    } finally {
      console.error = original;
    }
  });

  it('should refuse a wrong password as store_unavailable, naming Redis and no secret', async () => {
    const redis = await startRedis({ password: PASSWORD });
    started.redis.push(redis);
    const wrong = redis.url.replace(encodeURIComponent(PASSWORD), 'not-the-password-12345');
    const connection = createRedisConnection(wrong);
    started.connections.push(connection);
    const store = createRedisStore({ connection, session: config, keyPrefix: null });
    const health = await store.check();
    expect(health).toMatch(/^Redis at 127\.0\.0\.1:\d+ /);
    expect(health?.includes('not-the-password-12345')).toBe(false);
    console.log(`[redis] /healthz line with a wrong password: ${health ?? ''}`);
    const jar = new Jar();
    expect(
      (
        await failure(
          store.create(await store.open(jar), jar, {
            sub: '9',
            username: 'Nobody',
            credentials: {
              protocol: '1.0a',
              accessToken: makeToken('x-key-0123456789', 'x-secret-0123456789'),
            },
          }),
        )
      ).code,
    ).toBe('store_unavailable');
    // Nothing written half: no cookie was set.
    expect(jar.get(LOGIN_COOKIE)).toBeUndefined();
  });

  it('should answer in bounded time when no Redis was ever there, and work once one starts', async () => {
    // A port nobody listens on: start a server to learn a free port, then stop it.
    const probe = await startRedis();
    const url = probe.url;
    await probe.stop();
    const connection = createRedisConnection(url);
    started.connections.push(connection);
    const store = createRedisStore({ connection, session: config, keyPrefix: null });
    const never = await failure(store.open(cookieFor(await loggedInJarElsewhere())));
    expect(never.code).toBe('store_unavailable');
    expect(never.ms).toBeLessThan(BOUND_MS);
    const health = await store.check();
    expect(health).toMatch(/^Redis at 127\.0\.0\.1:\d+ /);
    const again = await failure(store.open(cookieFor(await loggedInJarElsewhere())));
    expect(again.code).toBe('store_unavailable');
    // Redis appears on that port: the same connection reaches it, without a new process.
    const late = await startRedis({ port: probe.port });
    started.redis.push(late);
    const appearedAt = performance.now();
    const jar = new Jar();
    let created = false;
    for (let i = 0; i < 100 && !created; i++) {
      try {
        await store.create(await store.open(jar), jar, {
          sub: '10',
          username: 'Late',
          credentials: {
            protocol: '1.0a',
            accessToken: makeToken('late-key-0123456789', 'late-secret-0123456'),
          },
        });
        created = true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const recoveredMs = performance.now() - appearedAt;
    expect(created).toBe(true);
    expect(recoveredMs).toBeLessThan(5000);
    console.log(
      `[redis] no server: open() failed after ${Math.round(never.ms)} ms, then ${Math.round(again.ms)} ms; /healthz line: ${health ?? ''}; usable ${Math.round(recoveredMs)} ms after it started`,
    );
  });
});
