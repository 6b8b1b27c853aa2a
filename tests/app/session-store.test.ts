import { sealData } from 'iron-session';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Credentials, NewLogin } from '@/lib/server/login/credentials';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { REFRESH_SUCCESSOR_TTL_MS } from '@/lib/server/session/cookie-refresh';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { cookieWriter, type CookieAttributes } from '@/lib/server/session/cookies';
import { HANDSHAKE_COOKIE, readPendingLogins } from '@/lib/server/session/handshakes';
import { seal, unsealOrNull } from '@/lib/server/session/seal';
import { sessionConfig } from '@/tests/support/session-config';

// The cookie store as a SessionStore (session/store.ts), beyond what tests/app/session.test.ts
// checks of the cookie itself: seals made with SESSION_SECRET itself, before seals per purpose
// (one-time logout), save, end, and refreshOnce's single flight.

const SECRET = 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1';
const config = sessionConfig(SECRET);
const password = { [config.currentPasswordId]: SECRET };

class Jar {
  readonly values = new Map<string, string>();
  readonly attributes = new Map<string, CookieAttributes>();
  get(name: string): { value: string } | undefined {
    const value = this.values.get(name);
    return value === undefined ? undefined : { value };
  }
  set(name: string, value: string, options: CookieAttributes): void {
    this.values.set(name, value);
    this.attributes.set(name, options);
  }
}

const token = { key: 'a'.repeat(32), secret: 'b'.repeat(40) };
const alice: NewLogin = {
  sub: '3',
  username: 'Alice',
  credentials: { protocol: '1.0a', accessToken: token },
};

function credentials2(n: number): Credentials {
  return {
    protocol: '2.0',
    accessToken: `access-${n}`,
    refreshToken: `refresh-${n}`,
    expiresAt: 2_000_000_000 + n,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the cookie store', () => {
  it('should seal the login as { sub, username, credentials, loggedInAt }', async () => {
    const jar = new Jar();
    const store = cookieStore(config);
    const created = await store.create(await store.open(jar), cookieWriter(jar, true), alice);
    const sealed: unknown = await unsealOrNull(jar.values.get(LOGIN_COOKIE) ?? '', config, 'login-cookie');
    expect(sealed).toEqual({
      sub: '3',
      username: 'Alice',
      credentials: { protocol: '1.0a', accessToken: token },
      loggedInAt: created.loggedInAt,
    });
    expect((await store.open(jar)).login).toMatchObject(alice);
  });

  // Seals are made with keys derived per purpose from SESSION_SECRET (seal.ts), so a
  // login sealed before (with SESSION_SECRET itself) is logged out once, in either shape.
  it('should log out, once, a login sealed with SESSION_SECRET itself (before purpose-separated keys)', async () => {
    const current = {
      sub: '3',
      username: 'Alice',
      credentials: { protocol: '1.0a', accessToken: token },
      loggedInAt: 1_700_000_000,
    };
    const legacy = { sub: '3', username: 'Alice', accessToken: token, loggedInAt: 1_700_000_000 };
    for (const old of [current, legacy]) {
      const jar = new Jar();
      jar.values.set(LOGIN_COOKIE, await sealData(old, { password, ttl: 3600 }));
      const session = await cookieStore(config).open(jar);
      expect({ login: session.login, stale: session.stale }).toEqual({ login: null, stale: true });
    }
  });

  it("should no longer read a login in the shape before the seams, even sealed with today's key", async () => {
    const jar = new Jar();
    const legacy = { sub: '3', username: 'Alice', accessToken: token, loggedInAt: 1_700_000_000 };
    jar.values.set(LOGIN_COOKIE, await seal(legacy, config, 3600, 'login-cookie'));
    const session = await cookieStore(config).open(jar);
    expect({ login: session.login, stale: session.stale }).toEqual({ login: null, stale: true });
  });

  it('should drop a login in progress sealed with SESSION_SECRET itself (before purpose-separated keys)', async () => {
    const jar = new Jar();
    const startedAt = Math.floor(Date.now() / 1000);
    const before = {
      pending: [
        { key: token.key, handshake: { protocol: '1.0a', requestToken: token }, next: '/', startedAt },
      ],
    };
    jar.values.set(HANDSHAKE_COOKIE, await sealData(before, { password, ttl: 600 }));
    expect(await readPendingLogins(jar, config)).toEqual({ pending: [], stale: true });
    // The same entry sealed for its purpose is read: only the key differs.
    jar.values.set(HANDSHAKE_COOKIE, await seal(before, config, 600, 'handshake-cookie'));
    expect((await readPendingLogins(jar, config)).pending).toHaveLength(1);
  });

  it('should refuse a login in progress whose key is not the one its handshake names', async () => {
    const jar = new Jar();
    const startedAt = Math.floor(Date.now() / 1000);
    const forged = {
      pending: [{ key: 'other', handshake: { protocol: '1.0a', requestToken: token }, next: '/', startedAt }],
    };
    jar.values.set(HANDSHAKE_COOKIE, await seal(forged, config, 600, 'handshake-cookie'));
    expect(await readPendingLogins(jar, config)).toEqual({ pending: [], stale: true });
  });

  it('should save new credentials under the same login, keeping loggedInAt', async () => {
    const jar = new Jar();
    const store = cookieStore(config);
    const created = await store.create(await store.open(jar), cookieWriter(jar, true), {
      ...alice,
      credentials: credentials2(1),
    });
    const before = jar.values.get(LOGIN_COOKIE);
    const saved = await (await store.open(jar)).save(cookieWriter(jar, true), credentials2(2));
    expect(jar.values.get(LOGIN_COOKIE)).not.toBe(before);
    expect(saved).toEqual({ ...created, credentials: credentials2(2) });
    expect((await store.open(jar)).login).toEqual(saved);
  });

  it('should end a session by clearing its cookie, and end the previous one when a login is created', async () => {
    const jar = new Jar();
    const store = cookieStore(config);
    await store.create(await store.open(jar), cookieWriter(jar, false), alice);
    await (await store.open(jar)).end(cookieWriter(jar, false));
    expect(jar.values.get(LOGIN_COOKIE)).toBe('');
    expect(jar.attributes.get(LOGIN_COOKIE)).toMatchObject({ maxAge: 0 });

    const written: string[] = [];
    const recorder = {
      set: (name: string, value: string): number => written.push(`${name}=${value === '' ? '' : 'seal'}`),
    };
    await store.create(await store.open(jar), cookieWriter(recorder, false), alice);
    expect(written).toEqual([`${LOGIN_COOKIE}=`, `${LOGIN_COOKIE}=seal`]);
  });

  it('should say it cannot end every session of a user, and that it needs nothing to be healthy', async () => {
    const store = cookieStore(config);
    expect(store.canEndAll).toBe(false);
    expect(await store.endAll('3')).toBeNull();
    expect(await store.check()).toBeNull();
  });
});

describe('refreshOnce in the cookie store', () => {
  it('should run one refresh for concurrent callers holding the same refresh token', async () => {
    const store = cookieStore(config);
    let calls = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const refresh = async (): Promise<Credentials> => {
      calls++;
      await gate;
      return credentials2(11);
    };
    const both = Promise.all([
      store.refreshOnce('rt-concurrent', refresh),
      store.refreshOnce('rt-concurrent', refresh),
    ]);
    release();
    expect(await both).toEqual([credentials2(11), credentials2(11)]);
    expect(calls).toBe(1);
  });

  it('should hand a late caller with the just-used token its successor for 60 s, then refresh again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = cookieStore(config);
    let calls = 0;
    const refresh = async (): Promise<Credentials> => credentials2(++calls);
    expect(await store.refreshOnce('rt-late', refresh)).toEqual(credentials2(1));
    vi.setSystemTime(Date.now() + REFRESH_SUCCESSOR_TTL_MS - 1000);
    // Another store object of the same process (proxy.ts and route handlers are separate bundles).
    expect(await cookieStore(config).refreshOnce('rt-late', refresh)).toEqual(credentials2(1));
    expect(calls).toBe(1);
    vi.setSystemTime(Date.now() + 2000);
    expect(await store.refreshOnce('rt-late', refresh)).toEqual(credentials2(2));
    expect(calls).toBe(2);
  });

  it('should not remember a failed refresh: the next caller tries again', async () => {
    const store = cookieStore(config);
    let calls = 0;
    const failing = async (): Promise<Credentials> => {
      calls++;
      throw new Error('the wiki said no');
    };
    await expect(store.refreshOnce('rt-fails', failing)).rejects.toThrow('the wiki said no');
    await expect(store.refreshOnce('rt-fails', failing)).rejects.toThrow('the wiki said no');
    expect(calls).toBe(2);
    expect(await store.refreshOnce('rt-fails', async () => credentials2(7))).toEqual(credentials2(7));
  });

  it('should keep refreshes of different tokens apart', async () => {
    const store = cookieStore(config);
    const [a, b] = await Promise.all([
      store.refreshOnce('rt-a', async () => credentials2(21)),
      store.refreshOnce('rt-b', async () => credentials2(22)),
    ]);
    expect([a, b]).toEqual([credentials2(21), credentials2(22)]);
  });
});
