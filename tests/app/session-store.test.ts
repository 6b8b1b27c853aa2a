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

// The cookie store only, beyond the contract both stores keep (tests/app/session-stores.test.ts) and
// what tests/app/session.test.ts checks of the cookie itself: the sealed shape, seals made with
// SESSION_SECRET itself before seals per purpose (one-time logout), and how long a refresh's successor is handed out.

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

  it('should need nothing to be healthy', async () => {
    expect(await cookieStore(config).check()).toBeNull();
  });
});

describe('refreshOnce in the cookie store', () => {
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
});
