// The login cookie is unsealed at most once per page request (proxy.ts, then the layout and the page
// through getCurrentUser), and a remembered unseal is used only as the cookie itself allows: before
// its expiry, under the same SESSION_SECRET list, for the exact seal. iron-session's unsealData is
// wrapped to count the unseals.
// The cookie store only: Redis keeps no process cache of records (session/redis-store.ts).
import { NextRequest } from 'next/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionConfig } from '@/lib/server/config';
import { sessionConfig } from '@/tests/support/session-config';
import { cookieStore, LOGIN_CACHE_SIZE } from '@/lib/server/session/cookie-store';
import type { CookieReader } from '@/lib/server/session/cookies';
import { LOGIN_COOKIE, LOGIN_TTL_S, type LoginSession } from '@/lib/server/session/store';
import { configureFor, testConsumer } from '@/tests/support/app-harness';

const unseals = vi.hoisted(() => ({ count: 0 }));

vi.mock('iron-session', async (importOriginal) => {
  const original = await importOriginal<typeof import('iron-session')>();
  return {
    ...original,
    unsealData: (...args: Parameters<typeof original.unsealData>) => {
      unseals.count++;
      return original.unsealData(...args);
    },
  };
});

// getCurrentUser reads next/headers' cookies(): here, the cookies of the request proxy.ts passed on.
const page = vi.hoisted(() => ({ cookies: null as CookieReader | null }));
vi.mock('next/headers', () => ({
  cookies: async () => page.cookies,
  headers: async () => new Headers(),
}));

const FIRST = 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1';
const SECOND = 'Yq5Lr8Nw2Tz4Vb7Xc1Md3Kf6Hj9Gp0Sa';

let users = 0;

/** A login cookie for a user of its own, so no earlier test has read (and remembered) it. */
async function sealedLogin(config: SessionConfig): Promise<string> {
  users++;
  let value = '';
  const writer = {
    set(_name: string, v: string): void {
      value = v;
    },
  };
  const store = cookieStore(config);
  await store.create(await store.open({ get: () => undefined }), writer, {
    sub: String(users),
    username: `User ${users}`,
    credentials: { protocol: '1.0a', accessToken: { key: 'a'.repeat(32), secret: 'b'.repeat(40) } },
  });
  return value;
}

/** The cookie store's open(), as { value, clear } (the login, and whether the cookie is stale). */
async function readLoginSession(
  cookies: CookieReader,
  config: SessionConfig,
): Promise<{ value: LoginSession | null; clear: boolean }> {
  const session = await cookieStore(config).open(cookies);
  return { value: session.login, clear: session.stale };
}

function jar(seal: string): CookieReader {
  return { get: (name) => (name === LOGIN_COOKIE ? { value: seal } : undefined) };
}

beforeEach(() => {
  unseals.count = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

describe('reading the login cookie', () => {
  it('should unseal it once per page request: in proxy.ts, not again for the layout and the page', async () => {
    configureFor({ indexUrl: 'http://127.0.0.1:1/w/index.php' }, testConsumer());
    const { getConfig } = await import('@/lib/server/config');
    const { proxy } = await import('@/proxy');
    const { getCurrentUser } = await import('@/lib/server/auth');
    const seal = await sealedLogin(getConfig().session);

    for (let request = 1; request <= 2; request++) {
      const incoming = new NextRequest('http://localhost:3000/profile', {
        headers: { cookie: `${LOGIN_COOKIE}=${encodeURIComponent(seal)}` },
      });
      const response = await proxy(incoming);
      expect(response.cookies.get(LOGIN_COOKIE)).toBeUndefined(); // a good cookie is not cleared
      page.cookies = incoming.cookies;
      const forLayout = await getCurrentUser();
      const forPage = await getCurrentUser();
      expect(forLayout?.username).toBe(`User ${users}`);
      expect(forPage?.sub).toBe(String(users));
      // The first request unseals once; the same cookie again needs no unseal at all.
      expect(unseals.count).toBe(1);
    }
  });

  it('should unseal a tampered copy of a remembered cookie, and refuse it', async () => {
    const config = sessionConfig(FIRST);
    const seal = await sealedLogin(config);
    expect((await readLoginSession(jar(seal), config)).value).not.toBeNull();
    const last = seal.at(-3) === 'A' ? 'B' : 'A';
    const tampered = `${seal.slice(0, -3)}${last}${seal.slice(-2)}`;
    expect(await readLoginSession(jar(tampered), config)).toEqual({ value: null, clear: true });
    expect(unseals.count).toBe(2);
  });

  it('should not remember a cookie that did not unseal: each read of it unseals again', async () => {
    const config = sessionConfig(FIRST);
    const foreign = await sealedLogin(sessionConfig(SECOND));
    for (let i = 0; i < 3; i++) {
      expect(await readLoginSession(jar(foreign), config)).toEqual({ value: null, clear: true });
    }
    expect(unseals.count).toBe(3);
  });

  it("should stop using a remembered cookie at the seal's own expiry", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const config = sessionConfig(FIRST);
    const seal = await sealedLogin(config);
    expect((await readLoginSession(jar(seal), config)).value).not.toBeNull();
    vi.setSystemTime(start + (LOGIN_TTL_S - 1) * 1000);
    expect((await readLoginSession(jar(seal), config)).value).not.toBeNull();
    expect(unseals.count).toBe(1);
    // Past the expiry and iron-session's 60 s of clock skew: unsealed again, and refused.
    vi.setSystemTime(start + (LOGIN_TTL_S + 61) * 1000);
    expect(await readLoginSession(jar(seal), config)).toEqual({ value: null, clear: true });
    expect(unseals.count).toBe(2);
  });

  it('should stop using a remembered cookie once its secret is dropped from SESSION_SECRET, not while rotating', async () => {
    const seal = await sealedLogin(sessionConfig(FIRST));
    expect((await readLoginSession(jar(seal), sessionConfig(FIRST))).value).not.toBeNull();
    expect((await readLoginSession(jar(seal), sessionConfig(SECOND, FIRST))).value).not.toBeNull();
    expect(await readLoginSession(jar(seal), sessionConfig(SECOND))).toEqual({ value: null, clear: true });
  });

  it('should hand out a frozen session, so one request cannot change what the next one reads', async () => {
    const config = sessionConfig(FIRST);
    const seal = await sealedLogin(config);
    const { value } = await readLoginSession(jar(seal), config);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value?.credentials)).toBe(true);
    expect(value?.credentials.protocol === '1.0a' && Object.isFrozen(value.credentials.accessToken)).toBe(
      true,
    );
  });

  it(`should remember at most ${LOGIN_CACHE_SIZE} cookies, dropping the least recently read`, async () => {
    const config = sessionConfig(FIRST);
    const seals: string[] = [];
    for (let i = 0; i <= LOGIN_CACHE_SIZE; i++) seals.push(await sealedLogin(config));
    const [first = '', second = ''] = seals;
    for (const seal of seals.slice(0, -1)) await readLoginSession(jar(seal), config);
    await readLoginSession(jar(first), config); // read again: now the most recent
    unseals.count = 0;
    await readLoginSession(jar(seals.at(-1) ?? ''), config); // one more: the oldest goes
    expect(unseals.count).toBe(1);
    await readLoginSession(jar(first), config);
    expect(unseals.count).toBe(1);
    await readLoginSession(jar(second), config);
    expect(unseals.count).toBe(2);
  });
});
