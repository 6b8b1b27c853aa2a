import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeToken } from 'mwoauth';
import { AppError } from '@/lib/server/core/errors';
import type { Credentials, NewLogin } from '@/lib/server/login/credentials';
import { createRedisRateLimiter } from '@/lib/server/rate-limit/redis';
import { createRedisConnection, type RedisConnection } from '@/lib/server/redis/connection';
import { currentKeyedHash, redisKeyPrefix, sessionIdHash } from '@/lib/server/redis/keys';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { createRedisStore } from '@/lib/server/session/redis-store';
import { MAX_REDIS_VALUE_LENGTH, seal, unsealOrNull, type SealPurpose } from '@/lib/server/session/seal';
import type { SessionStore } from '@/lib/server/session/store';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { sessionConfig } from '@/tests/support/session-config';

// What another tool that can write to a shared Redis (Toolforge's: SECURITY.md) can do to our
// keys, and what the store makes of it: a value copied under another key opens nothing
// (sealed with a key derived from what only the cookie holds), and data of the wrong type or size
// is corrupt data, deleted and counted as logged out, never an outage and never a lockout.
// A real redis-server; the "other tool" is a client of its own (TestRedis.command).

const SECRET = 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1';
const config = sessionConfig(SECRET);
const prefix = redisKeyPrefix(config, null);

class Jar {
  readonly values = new Map<string, string>();
  readonly maxAges = new Map<string, number>();
  get(name: string): { value: string } | undefined {
    const value = this.values.get(name);
    return value === undefined ? undefined : { value };
  }
  set(name: string, value: string, maxAgeS: number): void {
    this.maxAges.set(name, maxAgeS);
    if (maxAgeS === 0) this.values.delete(name);
    else this.values.set(name, value);
  }
}

function login(sub: string, username: string): NewLogin {
  return {
    sub,
    username,
    credentials: {
      protocol: '1.0a',
      accessToken: makeToken(`key-${sub}-0c1d2e3f4a5b6c7d`, `secret-${sub}-8e9f0a1b2c3d4e5f`),
    },
  };
}

function credentials2(n: number): Credentials {
  return {
    protocol: '2.0',
    accessToken: `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.access-${n}`,
    refreshToken: `def50200refresh-${n}-a1b2c3d4e5f60718293a4b5c`,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
}

let redis: TestRedis;
let connection: RedisConnection;
let store: SessionStore;
let logged: string[];

beforeAll(async () => {
  redis = await startRedis();
  connection = createRedisConnection(redis.url);
  store = createRedisStore({ connection, session: config, keyPrefix: null });
});

afterAll(async () => {
  await connection?.close();
  await redis?.stop();
});

beforeEach(() => {
  logged = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    logged.push(args.map(String).join(' '));
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function loggedIn(user: NewLogin): Promise<Jar> {
  const jar = new Jar();
  await store.create(await store.open(jar), jar, user);
  return jar;
}

/** The Redis key of the jar's session record: the cookie's session id, hashed (redis/keys.ts). */
async function recordKeyOf(jar: Jar): Promise<string> {
  const opened = await unsealOrNull(jar.get(LOGIN_COOKIE)?.value ?? '', config, 'session-id-cookie');
  const sid: unknown = opened === null ? null : Reflect.get(Object(opened), 'sid');
  if (typeof sid !== 'string') throw new Error('no Redis login cookie in the jar');
  return `${prefix}s:${sessionIdHash(sid)}`;
}

async function get(key: string): Promise<unknown> {
  return redis.command(['GET', key]);
}

async function type(key: string): Promise<unknown> {
  return redis.command(['TYPE', key]);
}

/** The outcome a caller sees: the login or stale; end() on stale, as every route does. */
async function openAndSettle(jar: Jar): Promise<{ username: string | null; stale: boolean }> {
  const opened = await store.open(jar);
  if (opened.stale) await opened.end(jar);
  return { username: opened.login?.username ?? null, stale: opened.stale };
}

describe('a Redis value opens only the session it was written for', () => {
  it('should log out the browser whose record was replaced by another user’s (impersonation)', async () => {
    const alice = await loggedIn(login('3', 'Alice'));
    const mallory = await loggedIn(login('66', 'Mallory'));
    const aliceKey = await recordKeyOf(alice);
    const malloryKey = await recordKeyOf(mallory);
    const aliceValue = await get(aliceKey);
    expect(typeof aliceValue).toBe('string');
    await redis.command(['SET', malloryKey, String(aliceValue), 'KEEPTTL']);

    expect(await openAndSettle(mallory)).toEqual({ username: null, stale: true });
    // Key deleted, cookie cleared; Alice's own session untouched.
    expect(await get(malloryKey)).toBeNull();
    expect(mallory.get(LOGIN_COOKIE)).toBeUndefined();
    expect(mallory.maxAges.get(LOGIN_COOKIE)).toBe(0);
    expect(await openAndSettle(alice)).toEqual({ username: 'Alice', stale: false });
    expect(logged.join('\n')).toMatch(/does not open for its session/);
  });

  it('should log out the browser whose record was replaced by the attacker’s (fixation)', async () => {
    const victim = await loggedIn(login('4', 'Victim'));
    const attacker = await loggedIn(login('67', 'Attacker'));
    const victimKey = await recordKeyOf(victim);
    await redis.command(['SET', victimKey, String(await get(await recordKeyOf(attacker))), 'KEEPTTL']);

    expect(await openAndSettle(victim)).toEqual({ username: null, stale: true });
    expect(await get(victimKey)).toBeNull();
    expect(victim.get(LOGIN_COOKIE)).toBeUndefined();
    expect(await openAndSettle(attacker)).toEqual({ username: 'Attacker', stale: false });
  });

  it('should end the session, without a refresh, when successors are swapped between two refresh tokens', async () => {
    const tokenOf = (c: Credentials): string => (c.protocol === '2.0' ? (c.refreshToken ?? '') : '');
    const nextKey = (c: Credentials): string =>
      `${prefix}r:next:${currentKeyedHash(config, 'refresh', tokenOf(c))}`;
    const [alice, mallory] = [credentials2(1), credentials2(3)];
    // Each refresh stores its successor under r:next:<hmac(the used refresh token)> for 60 s.
    await store.refreshOnce(tokenOf(alice), () => Promise.resolve(credentials2(2)));
    await store.refreshOnce(tokenOf(mallory), () => Promise.resolve(credentials2(4)));
    const [aliceNext, malloryNext] = [await get(nextKey(alice)), await get(nextKey(mallory))];
    await redis.command(['SET', nextKey(alice), String(malloryNext), 'KEEPTTL']);
    await redis.command(['SET', nextKey(mallory), String(aliceNext), 'KEEPTTL']);

    let refreshes = 0;
    for (const used of [alice, mallory]) {
      const outcome = await store
        .refreshOnce(tokenOf(used), () => {
          refreshes += 1;
          return Promise.resolve(credentials2(9));
        })
        .then(
          (got) => `resolved with ${got.protocol === '2.0' ? got.accessToken : ''}`,
          (error: unknown) => (error instanceof AppError ? error.code : String(error)),
        );
      expect(outcome).toBe('session_ended');
      expect(await get(nextKey(used))).toBeNull();
    }
    expect(refreshes).toBe(0);
    expect(logged.join('\n')).toMatch(/refresh successor in Redis does not open for its refresh token/);
  });
});

describe('seals for one use are refused in every other', () => {
  const purposes: SealPurpose[] = [
    'login-cookie',
    'session-id-cookie',
    'redis-record',
    'refresh-successor',
    'handshake-cookie',
    'app:one',
    'app:two',
  ];
  const bindingOf = (p: SealPurpose): string | null =>
    p === 'redis-record' || p === 'refresh-successor' ? 'the-binding-0123456789' : null;

  it('should open a seal only for the purpose (and binding) it was made for, under the same secret', async () => {
    const data = { sub: '3', username: 'Alice' };
    for (const made of purposes) {
      const value = await seal(data, config, 600, made, bindingOf(made));
      for (const used of purposes) {
        const opened = await unsealOrNull(value, config, used, bindingOf(used));
        expect({ made, used, opened }).toEqual({ made, used, opened: made === used ? data : null });
      }
    }
  });

  it('should still open seals made under the previous secret after a rotation, per purpose', async () => {
    const OLD = 'Yq5Lr8Nw2Tz4Vb7Xc1Md3Kf6Hj9Gp0Sa';
    const before = sessionConfig(OLD);
    const after = sessionConfig(SECRET, OLD);
    const value = await seal({ sid: 'x' }, before, 600, 'redis-record', 'sid-1');
    expect(await unsealOrNull(value, after, 'redis-record', 'sid-1')).toEqual({ sid: 'x' });
    expect(await unsealOrNull(value, after, 'redis-record', 'sid-2')).toBeNull();
    expect(await unsealOrNull(value, sessionConfig(SECRET), 'redis-record', 'sid-1')).toBeNull();
  });

  it('should not take a Redis record as a login cookie of a cookie-mode store with the same secret', async () => {
    const alice = await loggedIn(login('5', 'Alice'));
    const record = String(await get(await recordKeyOf(alice)));
    const jar = new Jar();
    jar.values.set(LOGIN_COOKIE, record);
    const opened = await cookieStore(config).open(jar);
    expect({ login: opened.login, stale: opened.stale }).toEqual({ login: null, stale: true });
  });
});

describe('corrupt data under our keys is logged out, not an outage', () => {
  it('should treat a list under a session key as logged out: key deleted, cookie cleared, logged as corrupt', async () => {
    const jar = await loggedIn(login('8', 'Listed'));
    const key = await recordKeyOf(jar);
    await redis.command(['DEL', key]);
    await redis.command(['RPUSH', key, 'a']);
    expect(await openAndSettle(jar)).toEqual({ username: null, stale: true });
    expect(await type(key)).toBe('none');
    expect(jar.get(LOGIN_COOKIE)).toBeUndefined();
    const log = logged.join('\n');
    expect(log).toMatch(
      /\[redis\] 127\.0\.0\.1:\d+: corrupt data \(read session\): a list, not a string; deleted/,
    );
    expect(log).not.toMatch(/unavailable/);
  });

  it('should treat an over-long value under a session key as logged out, without reading it whole', async () => {
    const jar = await loggedIn(login('9', 'Huge'));
    const key = await recordKeyOf(jar);
    const size = 4 * 1024 * 1024;
    await redis.command(['SET', key, 'x'.repeat(size)]);
    const before = await netOutputBytes();
    expect(await openAndSettle(jar)).toEqual({ username: null, stale: true });
    const sent = (await netOutputBytes()) - before;
    // Redis sent a few KB (the replies and INFO's own), not the 4 MB value.
    expect(sent).toBeLessThan(64 * 1024);
    expect(size).toBeGreaterThan(MAX_REDIS_VALUE_LENGTH);
    expect(await type(key)).toBe('none');
    expect(logged.join('\n')).toMatch(/corrupt data \(read session\): a string over 16384 bytes; deleted/);
  });

  it('should let a user log in whose index key holds a string, and leave no record without an index entry', async () => {
    const user = login('10', 'Indexed');
    const index = `${prefix}u:${currentKeyedHash(config, 'sub', user.sub)}`;
    await redis.command(['SET', index, 'x']);
    const before = await sessionKeys();
    const jar = await loggedIn(user);
    expect(await openAndSettle(jar)).toEqual({ username: 'Indexed', stale: false });
    const key = await recordKeyOf(jar);
    expect(await type(index)).toBe('set');
    expect(await redis.command(['SMEMBERS', index])).toEqual([key.slice(key.lastIndexOf(':') + 1)]);
    // Exactly one new record, and it is the one the cookie names (no orphan).
    expect((await sessionKeys()).filter((k) => !before.includes(k))).toEqual([key]);
    expect(logged.join('\n')).toMatch(/corrupt data \(store session\): the user index key was not a set/);
    // "Log out everywhere" still finds it.
    expect(await store.endAll(user.sub)).toBe(1);
  });

  it('should log out and "log out everywhere" past an index key of the wrong type', async () => {
    const user = login('11', 'Hashed');
    const jar = await loggedIn(user);
    const index = `${prefix}u:${currentKeyedHash(config, 'sub', user.sub)}`;
    await redis.command(['DEL', index]);
    await redis.command(['HSET', index, 'f', 'v']);
    expect(await store.endAll(user.sub)).toBe(0);
    expect(await type(index)).toBe('none');
    await redis.command(['HSET', index, 'f', 'v']);
    const opened = await store.open(jar);
    await opened.end(jar);
    expect(await type(index)).toBe('none');
    expect(await type(await recordKeyOf(await loggedIn(user)))).toBe('string');
  });

  it('should not lock out login starts with a counter that is not a number, or not a string', async () => {
    const limiter = createRedisRateLimiter({
      connection,
      limit: { max: 3, windowS: 60 },
      session: config,
      keyPrefix: null,
    });
    const client = '192.0.2.77';
    const key = `${prefix}rl:initiate:${currentKeyedHash(config, 'rate-limit', client)}`;
    await redis.command(['SET', key, 'notanumber']);
    expect(await limiter.take(client)).toEqual({ allowed: true, retryAfterS: 0 });
    expect(await redis.command(['GET', key])).toBe('1');
    expect(Number(await redis.command(['PTTL', key]))).toBeGreaterThan(0);
    await redis.command(['DEL', key]);
    await redis.command(['RPUSH', key, 'a']);
    expect(await limiter.take(client)).toEqual({ allowed: true, retryAfterS: 0 });
    // The limit itself still holds afterwards.
    await limiter.take(client);
    await limiter.take(client);
    expect((await limiter.take(client)).allowed).toBe(false);
    const log = logged.join('\n');
    expect(log).toMatch(/corrupt data \(rate limit\)/);
    expect(log).not.toMatch(/unavailable/);
  });
});

async function netOutputBytes(): Promise<number> {
  const info = String(await redis.command(['INFO', 'stats']));
  const match = /total_net_output_bytes:(\d+)/.exec(info);
  if (match?.[1] === undefined) throw new Error('INFO stats has no total_net_output_bytes');
  return Number(match[1]);
}

async function sessionKeys(): Promise<string[]> {
  const keys = await redis.command(['KEYS', `${prefix}s:*`]);
  return Array.isArray(keys) ? keys.map(String) : [];
}
