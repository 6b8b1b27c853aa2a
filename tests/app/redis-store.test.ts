import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToken } from 'mwoauth';
import type { Credentials, NewLogin } from '@/lib/server/login/credentials';
import { createRedisConnection, type RedisConnection } from '@/lib/server/redis/connection';
import { redisKeyPrefix } from '@/lib/server/redis/keys';
import { createRedisStore } from '@/lib/server/session/redis-store';
import { LOGIN_COOKIE, LOGIN_TTL_S, type SessionStore } from '@/lib/server/session/store';
import { environment, loadFixture } from '@/tests/support/fixtures';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { sessionConfig } from '@/tests/support/session-config';
import { unsealOrNull } from '@/lib/server/session/seal';

// The Redis session store only, against a real Debian redis-server (never a mock): what
// the cookie store has no counterpart for. The contract both stores keep is in
// tests/app/session-stores.test.ts.

const SECRET = 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1';
const OLD_SECRET = 'Yq5Lr8Nw2Tz4Vb7Xc1Md3Kf6Hj9Gp0Sa';
/** The recorded consumer's secret (_environment.json): the store never gets it, and must not show it. */
const CONSUMER_SECRET = environment.consumers.oauth1_prefix.secret;

/** A string field of a recorded JSON body, or a test failure. */
function recordedString(fixture: string, name: string): string {
  const body = loadFixture(fixture).response.body_json;
  const value: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined;
  if (typeof value !== 'string') throw new Error(`${fixture}: no string ${name}`);
  return value;
}
const config = sessionConfig(SECRET, OLD_SECRET);

/** A cookie jar standing in for NextRequest.cookies / a CookieWriter (maxAge 0 deletes). */
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
  copy(): Jar {
    const jar = new Jar();
    for (const [k, v] of this.values) jar.values.set(k, v);
    return jar;
  }
}

function oauth1Login(sub: string, username: string): NewLogin {
  return {
    sub,
    username,
    credentials: {
      protocol: '1.0a',
      accessToken: makeToken(`access-key-${sub}-0c1d2e3f4a5b6c7d`, `access-secret-${sub}-8e9f0a1b2c3d4e5f`),
    },
  };
}

function oauth2Credentials(n: number): Credentials {
  return {
    protocol: '2.0',
    accessToken: `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.access-${n}-5f6e7d8c9b0a`,
    refreshToken: `def50200refresh-${n}-a1b2c3d4e5f60718293a4b5c6d7e8f90`,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
}

async function loggedIn(store: SessionStore, login: NewLogin): Promise<Jar> {
  const jar = new Jar();
  await store.create(await store.open(jar), jar, login);
  return jar;
}

let redis: TestRedis;
let connection: RedisConnection;
let store: SessionStore;

beforeAll(async () => {
  redis = await startRedis();
  connection = createRedisConnection(redis.url);
  store = createRedisStore({ connection, session: config, keyPrefix: null });
});

afterAll(async () => {
  await connection?.close();
  await redis?.stop();
});

describe('Redis session store', () => {
  it('should create, open and end a session, the cookie holding only a sealed random id', async () => {
    const jar = await loggedIn(store, oauth1Login('101', 'Alice Example'));
    const cookie = jar.get(LOGIN_COOKIE)?.value ?? '';
    expect(jar.maxAges.get(LOGIN_COOKIE)).toBe(LOGIN_TTL_S - 60);
    const inside: unknown = await unsealOrNull(cookie, config, 'session-id-cookie');
    expect(Object.keys(inside ?? {})).toEqual(['sid']);
    const sid = String(Reflect.get(inside ?? {}, 'sid'));
    expect(Buffer.from(sid, 'base64url').length).toBeGreaterThanOrEqual(16);

    const opened = await store.open(jar);
    expect(opened.stale).toBe(false);
    expect(opened.login?.sub).toBe('101');
    expect(opened.login?.username).toBe('Alice Example');
    expect(opened.login?.credentials.protocol).toBe('1.0a');

    await opened.end(jar);
    expect(jar.get(LOGIN_COOKIE)).toBeUndefined();
    expect(jar.maxAges.get(LOGIN_COOKIE)).toBe(0);
  });

  it('should refuse a copy of the cookie once the session is ended (logout is final)', async () => {
    const jar = await loggedIn(store, oauth1Login('102', 'Bob'));
    const stolen = jar.copy();
    expect((await store.open(stolen)).login?.sub).toBe('102');
    await (await store.open(jar)).end(jar);
    const after = await store.open(stolen);
    expect(after.login).toBeNull();
    expect(after.stale).toBe(true);
  });

  it('should give two logins different ids, and end the previous session on create (no fixation)', async () => {
    const first = await loggedIn(store, oauth1Login('103', 'Carol'));
    const copy = first.copy();
    const previous = await store.open(first);
    await store.create(previous, first, oauth1Login('104', 'Dave'));
    expect(first.get(LOGIN_COOKIE)?.value).not.toBe(copy.get(LOGIN_COOKIE)?.value);
    expect((await store.open(copy)).stale).toBe(true);
    expect((await store.open(first)).login?.sub).toBe('104');
  });

  it('should end every session of one user with endAll, and no one else’s', async () => {
    const a1 = await loggedIn(store, oauth1Login('201', 'Erin'));
    const a2 = await loggedIn(store, oauth1Login('201', 'Erin'));
    const b = await loggedIn(store, oauth1Login('202', 'Frank'));
    expect(await store.endAll('201')).toBe(2);
    expect((await store.open(a1)).stale).toBe(true);
    expect((await store.open(a2)).stale).toBe(true);
    expect((await store.open(b)).login?.sub).toBe('202');
    expect(await store.endAll('201')).toBe(0);
  });

  it('should store the record with a TTL equal to the login lifetime', async () => {
    await loggedIn(store, oauth1Login('301', 'Grace'));
    const prefix = redisKeyPrefix(config, null);
    const keys = await redis.dump();
    const records = keys.filter((k) => k.key.startsWith(`${prefix}s:`));
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record.ttlMs).toBeGreaterThan((LOGIN_TTL_S - 30) * 1000);
      expect(record.ttlMs).toBeLessThanOrEqual(LOGIN_TTL_S * 1000);
    }
    const indexes = keys.filter((k) => k.key.startsWith(`${prefix}u:`));
    expect(indexes.length).toBeGreaterThan(0);
    for (const index of indexes) expect(index.ttlMs).toBeGreaterThan(0);
  });

  it('should leave no token, secret, user name or session id readable in a dump of every key', async () => {
    const jar1 = await loggedIn(store, oauth1Login('555123', 'Zebediah Quux'));
    // Real OAuth 2.0 tokens as the wiki issued them (fixture o2-06: an RS256 JWT and a refresh token).
    const login2: NewLogin = {
      sub: '555124',
      username: 'Yolanda Quux',
      credentials: {
        protocol: '2.0',
        accessToken: recordedString('o2-06-token-authorization-code-success', 'access_token'),
        refreshToken: recordedString('o2-06-token-authorization-code-success', 'refresh_token'),
        expiresAt: Math.floor(Date.now() / 1000) + 14_400,
      },
    };
    const jar2 = await loggedIn(store, login2);
    expect((await store.open(jar2)).login?.credentials).toEqual(login2.credentials);
    // Its successor as the refresh answered (fixture o2-14).
    const successor: Credentials = {
      protocol: '2.0',
      accessToken: recordedString('o2-14-token-refresh', 'access_token'),
      refreshToken: recordedString('o2-14-token-refresh', 'refresh_token'),
      expiresAt: Math.floor(Date.now() / 1000) + 14_400,
    };
    const token2 = login2.credentials.protocol === '2.0' ? login2.credentials.refreshToken : null;
    await store.refreshOnce(token2 ?? '', () => Promise.resolve(successor));
    const sid = String(
      Reflect.get(
        (await unsealOrNull(jar1.get(LOGIN_COOKIE)?.value ?? '', config, 'session-id-cookie')) ?? {},
        'sid',
      ),
    );

    const dump = await redis.dump();
    const text = dump.map((k) => `${k.key}\n${k.value}`).join('\n');
    expect(dump.length).toBeGreaterThan(3);
    const login1 = oauth1Login('555123', 'Zebediah Quux');
    const forbidden = [
      login1.credentials.protocol === '1.0a' ? login1.credentials.accessToken.key : '',
      login1.credentials.protocol === '1.0a' ? login1.credentials.accessToken.secret : '',
      login2.credentials.protocol === '2.0' ? login2.credentials.accessToken : '',
      token2 ?? '',
      successor.protocol === '2.0' ? successor.accessToken : '',
      successor.protocol === '2.0' ? (successor.refreshToken ?? '') : '',
      CONSUMER_SECRET,
      SECRET,
      OLD_SECRET,
      'Zebediah',
      'Yolanda',
      '555123',
      '555124',
      sid,
    ];
    for (const needle of forbidden) {
      expect(needle.length).toBeGreaterThan(5);
      expect(text.includes(needle), `found in the dump: ${needle.slice(0, 12)}…`).toBe(false);
    }
    const prefix = redisKeyPrefix(config, null);
    for (const k of dump) expect(k.key.startsWith(prefix)).toBe(true);
    // What was searched is there, sealed: the records, the user index, the refresh successor.
    for (const part of ['s:', 'u:', 'r:next:'])
      expect(dump.some((k) => k.key.startsWith(prefix + part))).toBe(true);
    console.log(
      `[redis] dump after logins: ${dump.length} keys, none readable (prefix ${prefix.length} chars)`,
    );
  });

  it('should keep a login whose sealed record is longer than a cookie may be (OAuth 2.0 tokens with many grants)', async () => {
    // The reason to choose Redis when the tokens outgrow the login cookie (cookie-store.ts).
    const long: NewLogin = {
      sub: '404',
      username: 'Many Grants',
      credentials: {
        protocol: '2.0',
        accessToken: `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${'g'.repeat(4000)}`,
        refreshToken: 'def50200refresh-404',
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
    };
    const jar = await loggedIn(store, long);
    const record = (await redis.dump()).find((k) => k.type === 'string' && k.value.length > 3800);
    expect(record).toBeDefined();
    expect((await store.open(jar)).login?.username).toBe('Many Grants');
  });

  it('should use REDIS_KEY_PREFIX when set, and derive a different prefix per secret otherwise', () => {
    expect(redisKeyPrefix(config, 'mytool:0123456789abcdef:')).toBe('mytool:0123456789abcdef:');
    const derived = redisKeyPrefix(config, null);
    expect(derived).toMatch(/^mwoauth:[0-9a-f]{24}:$/);
    expect(redisKeyPrefix(sessionConfig(OLD_SECRET), null)).not.toBe(derived);
    expect(derived.includes(SECRET.slice(0, 6))).toBe(false);
  });

  it('should find sessions indexed under the previous secret after a rotation (endAll)', async () => {
    const before = createRedisStore({
      connection,
      session: sessionConfig(OLD_SECRET),
      keyPrefix: 'rotation-test-prefix:',
    });
    const after = createRedisStore({ connection, session: config, keyPrefix: 'rotation-test-prefix:' });
    const jar = await loggedIn(before, oauth1Login('601', 'Ivan'));
    expect((await after.open(jar)).login?.sub).toBe('601');
    expect(await after.endAll('601')).toBe(1);
    expect((await after.open(jar)).stale).toBe(true);
  });
});

describe('Redis session store: refreshOnce', () => {
  it('should run one refresh for parallel callers on two instances, all getting the successor', async () => {
    const connectionB = createRedisConnection(redis.url);
    try {
      const storeB = createRedisStore({ connection: connectionB, session: config, keyPrefix: null });
      const old = oauth2Credentials(10);
      const token = old.protocol === '2.0' ? (old.refreshToken ?? '') : '';
      let calls = 0;
      const refresh = async (): Promise<Credentials> => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 300)); // the wiki takes its time
        return oauth2Credentials(11);
      };
      const callers = Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? store : storeB).refreshOnce(token, refresh),
      );
      const results = await Promise.all(callers);
      expect(calls).toBe(1);
      for (const result of results) expect(result).toEqual(oauth2Credentials(11));

      // A late caller within 60 s with the spent token: the successor, no second refresh.
      const late = await createRedisStore({
        connection: connectionB,
        session: config,
        keyPrefix: null,
      }).refreshOnce(token, refresh);
      expect(late).toEqual(oauth2Credentials(11));
      expect(calls).toBe(1);
    } finally {
      await connectionB.close();
    }
  });

  it('should let a waiting caller refresh itself when the holder failed, and pass the error to the holder', async () => {
    const connectionB = createRedisConnection(redis.url);
    try {
      const storeB = createRedisStore({ connection: connectionB, session: config, keyPrefix: null });
      const token = 'def50200refresh-failing-0123456789abcdef0123456789';
      let calls = 0;
      const failing = async (): Promise<Credentials> => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 200));
        throw new Error('the wiki said invalid_grant');
      };
      const working = async (): Promise<Credentials> => {
        calls += 1;
        return oauth2Credentials(21);
      };
      const holder = store.refreshOnce(token, failing);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const waiter = storeB.refreshOnce(token, working);
      await expect(holder).rejects.toThrow('invalid_grant');
      expect(await waiter).toEqual(oauth2Credentials(21));
      expect(calls).toBe(2);
    } finally {
      await connectionB.close();
    }
  });

  it('should expire a lock left by a crashed instance, so the session is not blocked for long', async () => {
    const connectionB = createRedisConnection(redis.url);
    try {
      const prefix = redisKeyPrefix(config, null);
      const crashed = createRedisStore({
        connection: connectionB,
        session: config,
        keyPrefix: null,
        refreshLockMs: 300,
      });
      const token = 'def50200refresh-crashed-0123456789abcdef012345678';
      // The "crashed" holder never finishes.
      void crashed.refreshOnce(token, () => new Promise<Credentials>(() => undefined));
      // Its lock appears (a new connection first: polled, not a fixed wait, on a loaded machine).
      let lock: unknown = null;
      for (let i = 0; i < 200 && lock === null; i++) {
        const keys = await redis.command(['KEYS', `${prefix}r:lock:*`]);
        lock = Array.isArray(keys) && keys.length > 0 ? keys[0] : null;
        if (lock === null) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(lock).not.toBeNull();
      // It expires (PX): a crashed holder cannot keep it.
      expect(Number(await redis.command(['PTTL', String(lock)]))).toBeGreaterThan(0);
      const started = Date.now();
      const result = await store.refreshOnce(token, () => Promise.resolve(oauth2Credentials(31)));
      expect(result).toEqual(oauth2Credentials(31));
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await connectionB.close();
    }
  });
});
