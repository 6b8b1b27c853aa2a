import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToken } from 'mwoauth';
import { AppError } from '@/lib/server/core/errors';
import type { Credentials, NewLogin } from '@/lib/server/login/credentials';
import { createRedisConnection, type RedisConnection } from '@/lib/server/redis/connection';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { createRedisStore } from '@/lib/server/session/redis-store';
import { LOGIN_COOKIE, type SessionStore } from '@/lib/server/session/store';
import { PROTOCOLS, STORES, type Protocol, type Store } from '@/tests/support/matrix';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { sessionConfig } from '@/tests/support/session-config';

// The SessionStore contract (lib/server/session/store.ts), one definition run against both stores:
// the cookie store and the Redis store on a real redis-server, with both protocols' credentials.
// What only one store does is in tests/app/session-store.test.ts (cookie) and
// tests/app/redis-store.test.ts (Redis).

const config = sessionConfig('k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1');

/** A cookie jar standing in for NextRequest.cookies and a CookieWriter (maxAge 0 deletes). */
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

let serial = 0;
/** Credentials of `protocol`, different on every call. */
function credentials(protocol: Protocol): Credentials {
  const n = ++serial;
  if (protocol === '1.0a') {
    return {
      protocol,
      accessToken: makeToken(`access-key-${n}-0c1d2e3f4a5b6c7d8e9f`, `access-secret-${n}-8e9f0a1b2c3d4e5f`),
    };
  }
  return {
    protocol,
    accessToken: `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.access-${n}-5f6e7d8c9b0a`,
    refreshToken: `def50200refresh-${n}-a1b2c3d4e5f60718293a4b5c6d7e8f90`,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
}
const bearer = (): Credentials => credentials('2.0');

let redis: TestRedis;
let connection: RedisConnection;
beforeAll(async () => {
  redis = await startRedis();
  connection = createRedisConnection(redis.url);
});
afterAll(async () => {
  await connection?.close();
  await redis?.stop();
});

function storeOf(store: Store): SessionStore {
  return store === 'cookie'
    ? cookieStore(config)
    : createRedisStore({ connection, session: config, keyPrefix: null });
}

describe.each(STORES)('the %s store', (kind) => {
  let store: SessionStore;
  beforeAll(() => {
    store = storeOf(kind);
  });

  async function loggedIn(login: NewLogin): Promise<Jar> {
    const jar = new Jar();
    await store.create(await store.open(jar), jar, login);
    return jar;
  }

  it('should say logged out, and not stale, for a request without a cookie', async () => {
    const none = await store.open(new Jar());
    expect({ login: none.login, stale: none.stale }).toEqual({ login: null, stale: false });
  });

  it.each([
    ['garbage', 'a*b*c'],
    ['a seal of something else', 'Fe26.2**0123456789abcdef*aXY*ZW5j**c2FsdA*aG1hYw'],
  ])('should say logged out, and stale (to be cleared), for a cookie that is %s', async (_what, value) => {
    const jar = new Jar();
    jar.values.set(LOGIN_COOKIE, value);
    const opened = await store.open(jar);
    expect({ login: opened.login, stale: opened.stale }).toEqual({ login: null, stale: true });
  });

  describe.each(PROTOCOLS)('with OAuth %s credentials', (protocol) => {
    it('should give back the login it created, with loggedInAt, and end it by clearing the cookie', async () => {
      const login: NewLogin = { sub: '101', username: 'Alice Example', credentials: credentials(protocol) };
      const jar = new Jar();
      const created = await store.create(await store.open(jar), jar, login);
      expect(created).toMatchObject(login);
      expect(created.loggedInAt).toBeGreaterThan(1_700_000_000);
      expect(jar.maxAges.get(LOGIN_COOKIE)).toBeGreaterThan(0);
      const opened = await store.open(jar);
      expect(opened.login).toEqual(created);
      expect(opened.stale).toBe(false);

      await opened.end(jar);
      expect(jar.get(LOGIN_COOKIE)).toBeUndefined();
      expect(jar.maxAges.get(LOGIN_COOKIE)).toBe(0);
      expect((await store.open(jar)).login).toBeNull();
    });

    it('should save new credentials under the same login, keeping loggedInAt', async () => {
      const jar = await loggedIn({ sub: '102', username: 'Bob', credentials: credentials(protocol) });
      const opened = await store.open(jar);
      const next = credentials(protocol);
      const saved = await opened.save(jar, next);
      expect(saved).toEqual({ ...opened.login, credentials: next });
      expect((await store.open(jar)).login).toEqual(saved);
    });

    it('should end the previous session when a login is created, under a new cookie (no fixation)', async () => {
      const jar = await loggedIn({ sub: '103', username: 'Carol', credentials: credentials(protocol) });
      const planted = jar.copy();
      const writes: Array<[string, string]> = [];
      const recorder = {
        set: (name: string, value: string, maxAgeS: number): void => {
          writes.push([name, value === '' ? '' : 'new']);
          jar.set(name, value, maxAgeS);
        },
      };
      await store.create(await store.open(jar), recorder, {
        sub: '104',
        username: 'Dave',
        credentials: credentials(protocol),
      });
      // Cleared first, then the new login.
      expect(writes).toEqual([
        [LOGIN_COOKIE, ''],
        [LOGIN_COOKIE, 'new'],
      ]);
      expect(jar.get(LOGIN_COOKIE)?.value).not.toBe(planted.get(LOGIN_COOKIE)?.value);
      expect((await store.open(jar)).login?.sub).toBe('104');
    });

    // session/store.ts: "A session logged out since this request opened it (a logout racing the
    // refresh) is not written again: its cookie is cleared and AppError 'session_ended' thrown, by
    // every store alike." With 1.0a credentials the save is proxy.ts's renewal of the wiki cookies.
    it('should not write a session again once a logout of it ran after it was opened (session_ended)', async () => {
      const jar = await loggedIn({ sub: '105', username: 'Erin', credentials: credentials(protocol) });
      const racing = await store.open(jar.copy());
      const elsewhere = jar.copy();
      await (await store.open(elsewhere)).end(elsewhere);

      // A refresh's save (new credentials), and a renewal's (the wiki's cookies, as proxy.ts saves).
      const renewed = { at: Math.floor(Date.now() / 1000), exp: null, list: [] };
      for (const save of [
        (to: Jar) => racing.save(to, credentials(protocol)),
        (to: Jar) => racing.save(to, racing.login?.credentials ?? credentials(protocol), renewed),
      ]) {
        const writes = new Jar();
        await expect(save(writes)).rejects.toMatchObject({ code: 'session_ended' });
        expect(writes.maxAges.get(LOGIN_COOKIE)).toBe(0);
        expect(writes.get(LOGIN_COOKIE)).toBeUndefined();
      }
    });

    it('should end every session of a user where it can, and say so (canEndAll)', async () => {
      const sub = `106-${protocol}`;
      const jars = [
        await loggedIn({ sub, username: 'Frank', credentials: credentials(protocol) }),
        await loggedIn({ sub, username: 'Frank', credentials: credentials(protocol) }),
      ];
      const other = await loggedIn({ sub: '107', username: 'Grace', credentials: credentials(protocol) });
      expect(await store.endAll(sub)).toBe(store.canEndAll ? 2 : null);
      for (const jar of jars) expect((await store.open(jar)).login === null).toBe(store.canEndAll);
      expect((await store.open(other)).login?.sub).toBe('107');
    });
  });

  describe('refreshOnce', () => {
    /** A promise the test opens: refreshes wait on `gate` until `release()`. */
    const gated = (): { gate: Promise<void>; release: () => void } => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return { gate, release };
    };
    const refreshTokenOf = (c: Credentials): string => (c.protocol === '2.0' ? (c.refreshToken ?? '') : '');

    it('should run one refresh for concurrent callers holding the same refresh token', async () => {
      const token = refreshTokenOf(bearer());
      const successor = bearer();
      let calls = 0;
      const { gate, release } = gated();
      const refresh = async (): Promise<Credentials> => {
        calls++;
        await gate;
        return successor;
      };
      const both = Promise.all([store.refreshOnce(token, refresh), store.refreshOnce(token, refresh)]);
      // The second caller reaches its wait before the first refresh ends (Redis: a poll of the lock).
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      expect(await both).toEqual([successor, successor]);
      expect(calls).toBe(1);
    });

    it('should hand a late caller with the just-used token its successor, not a second refresh', async () => {
      const token = refreshTokenOf(bearer());
      const successor = bearer();
      let calls = 0;
      const refresh = async (): Promise<Credentials> => {
        calls++;
        return successor;
      };
      expect(await store.refreshOnce(token, refresh)).toEqual(successor);
      // Another store object (proxy.ts and route handlers are separate bundles; another instance).
      expect(await storeOf(kind).refreshOnce(token, refresh)).toEqual(successor);
      expect(calls).toBe(1);
    });

    it('should not remember a failure that is not a refusal (the wiki down): the next caller tries again', async () => {
      const token = refreshTokenOf(bearer());
      let calls = 0;
      const failing = async (): Promise<Credentials> => {
        calls++;
        throw new Error('the wiki said no');
      };
      await expect(store.refreshOnce(token, failing)).rejects.toThrow('the wiki said no');
      await expect(store.refreshOnce(token, failing)).rejects.toThrow('the wiki said no');
      expect(calls).toBe(2);
      const successor = bearer();
      expect(await store.refreshOnce(token, async () => successor)).toEqual(successor);
    });

    it("should hand the wiki's refusal of a refresh token (refresh_refused) to late callers, not ask again", async () => {
      const token = refreshTokenOf(bearer());
      let calls = 0;
      const refused = async (): Promise<Credentials> => {
        calls++;
        throw new AppError('refresh_refused', 'The wiki refused this refresh token.');
      };
      const first = await store.refreshOnce(token, refused).catch((error: unknown) => error);
      expect(first).toBeInstanceOf(AppError);
      expect((first as AppError).code).toBe('refresh_refused');
      // A request that read the session before the refusal (here), and another bundle or instance.
      for (const late of [store, storeOf(kind)]) {
        const again = await late.refreshOnce(token, refused).catch((error: unknown) => error);
        expect((again as AppError).code).toBe('refresh_refused');
      }
      expect(calls).toBe(1);
    });

    it('should hand the refusal to a caller of another store object waiting on the same refresh', async () => {
      const token = refreshTokenOf(bearer());
      let calls = 0;
      const { gate, release } = gated();
      const refused = async (): Promise<Credentials> => {
        calls++;
        await gate;
        throw new AppError('refresh_refused', 'The wiki refused this refresh token.');
      };
      const both = Promise.all(
        [store, storeOf(kind)].map((s) => s.refreshOnce(token, refused).catch((error: unknown) => error)),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      for (const outcome of await both) expect((outcome as AppError).code).toBe('refresh_refused');
      expect(calls).toBe(1);
    });

    it('should keep refreshes of different tokens apart', async () => {
      const [one, two] = [bearer(), bearer()];
      const results = await Promise.all([
        store.refreshOnce(refreshTokenOf(bearer()), async () => one),
        store.refreshOnce(refreshTokenOf(bearer()), async () => two),
      ]);
      expect(results).toEqual([one, two]);
    });
  });
});
