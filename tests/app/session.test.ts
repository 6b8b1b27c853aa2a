import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sessionConfig } from '@/tests/support/session-config';
import type { SessionConfig } from '@/lib/server/config';
import type { NewLogin } from '@/lib/server/login/credentials';
import { secureCookiesFor } from '@/lib/server/http/origin';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { cookieWriter, type CookieAttributes } from '@/lib/server/session/cookies';
import {
  HANDSHAKE_COOKIE,
  HANDSHAKE_TTL_S,
  MAX_PENDING_HANDSHAKES,
  newPendingLogin,
  readPendingLogins,
  writePendingLogins,
  type PendingLogin,
} from '@/lib/server/session/handshakes';
import { LOGIN_COOKIE, type LoginSession } from '@/lib/server/session/store';
import { seal, unsealOrNull } from '@/lib/server/session/seal';

// The cookie store only (the sealed cookie itself): the contract of both stores is session-stores.test.ts.

const CURRENT = 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1';
const OLD = 'Yq5Lr8Nw2Tz4Vb7Xc1Md3Kf6Hj9Gp0Sa';

/** A cookie jar standing in for NextRequest.cookies / NextResponse.cookies. */
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

const aliceToken = { key: 'a'.repeat(32), secret: 'b'.repeat(40) };
const alice: NewLogin = {
  sub: '3',
  username: 'Alice',
  credentials: { protocol: '1.0a', accessToken: aliceToken },
};

// The cookie store (session/cookie-store.ts) and the handshake cookie (session/handshakes.ts) as
// the tests below use them: a login written to and read back from one jar.
async function writeLoginSession(
  jar: Jar,
  login: NewLogin,
  config: SessionConfig,
  secure: boolean,
): Promise<void> {
  const store = cookieStore(config);
  await store.create(await store.open(jar), cookieWriter(jar, secure), login);
}

async function readLoginSession(
  jar: Jar,
  config: SessionConfig,
): Promise<{ value: LoginSession | null; clear: boolean }> {
  const session = await cookieStore(config).open(jar);
  return { value: session.login, clear: session.stale };
}

async function clearLoginSession(jar: Jar, secure: boolean): Promise<void> {
  await (await cookieStore(sessionConfig(CURRENT)).open(jar)).end(cookieWriter(jar, secure));
}

function accessTokenOf(login: LoginSession | null): { key: string; secret: string } | undefined {
  const credentials = login?.credentials;
  return credentials?.protocol === '1.0a' ? credentials.accessToken : undefined;
}

function newHandshake(requestToken: { key: string; secret: string }, next: string): PendingLogin {
  return newPendingLogin({ key: requestToken.key, handshake: { protocol: '1.0a', requestToken } }, next);
}

async function writeHandshakes(
  jar: Jar,
  pending: readonly PendingLogin[],
  config: SessionConfig,
  secure: boolean,
): Promise<void> {
  await writePendingLogins(cookieWriter(jar, secure), pending, config);
}

async function readHandshakes(
  jar: Jar,
  config: SessionConfig,
): Promise<{ value: readonly PendingLogin[]; clear: boolean }> {
  const read = await readPendingLogins(jar, config);
  return { value: read.pending, clear: read.stale };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the login cookie', () => {
  it('should read back what was written, with HttpOnly, SameSite=Lax and Path=/', async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    await writeLoginSession(jar, alice, config, true);
    expect(jar.attributes.get(LOGIN_COOKIE)).toMatchObject({
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: true,
    });
    const read = await readLoginSession(jar, config);
    expect(read.clear).toBe(false);
    expect(read.value).toMatchObject(alice);
  });

  it("should print the user's access token secret as [redacted], and still seal it", async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    await writeLoginSession(jar, alice, config, true);
    const user = (await readLoginSession(jar, config)).value;
    expect(accessTokenOf(user)?.secret).toBe(aliceToken.secret);
    for (const shown of [
      inspect(user, { depth: 10 }),
      String(user),
      `${accessTokenOf(user)}`,
      inspect(accessTokenOf(user)),
    ]) {
      expect(shown).not.toContain(aliceToken.secret);
    }
    expect(inspect(user)).toContain('[redacted]');
    // The seal is JSON: a login read from a cookie and written again keeps the secret.
    const again = new Jar();
    if (user === null) throw new Error('no user');
    await writeLoginSession(again, user, config, true);
    const sealed: unknown = await unsealOrNull(again.values.get(LOGIN_COOKIE) ?? '', config, 'login-cookie');
    expect(sealed).toMatchObject({ credentials: { accessToken: aliceToken } });
  });

  it('should keep only the fields it knows, so nothing can grow in it', async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    const withExtra = { ...alice, rights: Array.from({ length: 500 }, (_, i) => `right-${i}`) };
    await writeLoginSession(jar, withExtra, config, true);
    const value = jar.values.get(LOGIN_COOKIE) ?? '';
    expect(value.length).toBeLessThan(600);
    expect((await readLoginSession(jar, config)).value).not.toHaveProperty('rights');
  });

  it('should report no session and nothing to clear when there is no cookie', async () => {
    expect(await readLoginSession(new Jar(), sessionConfig(CURRENT))).toEqual({ value: null, clear: false });
  });

  it.each([
    ['garbage with the right number of stars', 'a*b*c*d*e*f*g*h'],
    ['a password id of constructor', 'Fe26.2*constructor*c2FsdA*aXY*ZW5j*0*c2FsdA*aG1hYw~2'],
    ['a password id of __proto__', 'Fe26.2*__proto__*c2FsdA*aXY*ZW5j*0*c2FsdA*aG1hYw~2'],
    ['a password id of toString', 'Fe26.2*toString*c2FsdA*aXY*ZW5j**c2FsdA*aG1hYw'],
    ['random text', 'hello world'],
    ['a lone star', '*'],
    ['eight empty parts', '*******'],
    ['an over-long value', `Fe26.2*1*${'x'.repeat(5000)}`],
    ['a bad expiration', 'Fe26.2*1*salt*iv*enc*notanumber*salt*hmac~2'],
  ])('should treat %s as logged out, never throw, and ask to clear it', async (_what, value) => {
    const jar = new Jar();
    jar.values.set(LOGIN_COOKIE, value);
    await expect(readLoginSession(jar, sessionConfig(CURRENT))).resolves.toEqual({
      value: null,
      clear: true,
    });
  });

  it('should treat a tampered cookie as logged out', async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    await writeLoginSession(jar, alice, config, true);
    const value = jar.values.get(LOGIN_COOKIE) ?? '';
    const parts = value.split('*');
    const enc = parts[4] ?? '';
    parts[4] = `${enc.slice(0, 10)}${enc[10] === 'A' ? 'B' : 'A'}${enc.slice(11)}`;
    jar.values.set(LOGIN_COOKIE, parts.join('*'));
    expect(await readLoginSession(jar, config)).toEqual({ value: null, clear: true });
  });

  it('should treat a cookie sealed with another secret as logged out', async () => {
    const jar = new Jar();
    await writeLoginSession(jar, alice, sessionConfig(OLD), true);
    expect(await readLoginSession(jar, sessionConfig(CURRENT))).toEqual({ value: null, clear: true });
  });

  it('should treat a well-sealed value of the wrong shape as logged out', async () => {
    const config = sessionConfig(CURRENT);
    for (const data of [{}, { sub: 3, username: 'Alice' }, { ...alice, accessToken: 'x' }, ['Alice']]) {
      const jar = new Jar();
      jar.values.set(LOGIN_COOKIE, await seal(data, config, 3600, 'login-cookie'));
      expect(await readLoginSession(jar, config)).toEqual({ value: null, clear: true });
    }
  });

  it('should treat an expired cookie as logged out', async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    await writeLoginSession(jar, alice, config, true);
    vi.useFakeTimers({ now: Date.now() + 8 * 24 * 3600 * 1000 });
    expect(await readLoginSession(jar, config)).toEqual({ value: null, clear: true });
  });

  it('should still read a cookie sealed with the previous secret after a rotation, and seal new ones with the new secret', async () => {
    const jar = new Jar();
    await writeLoginSession(jar, alice, sessionConfig(OLD), true);
    const rotated = sessionConfig(CURRENT, OLD);
    expect((await readLoginSession(jar, rotated)).value).toMatchObject(alice);

    await writeLoginSession(jar, alice, rotated, true);
    expect((await readLoginSession(jar, sessionConfig(CURRENT))).value).toMatchObject(alice);
  });

  it('should clear with an empty value and Max-Age=0', async () => {
    const jar = new Jar();
    await clearLoginSession(jar, false);
    expect(jar.values.get(LOGIN_COOKIE)).toBe('');
    expect(jar.attributes.get(LOGIN_COOKIE)).toMatchObject({ maxAge: 0, httpOnly: true, path: '/' });
  });
});

describe('the handshake cookie', () => {
  const token = (n: number): { key: string; secret: string } => ({
    key: `key${n}`.padEnd(32, '0'),
    secret: `s${n}`.padEnd(32, '0'),
  });

  it('should hold several logins in progress at once, keyed by request token', async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    await writeHandshakes(
      jar,
      [newHandshake(token(1), '/profile'), newHandshake(token(2), '/sandbox')],
      config,
      false,
    );
    const read = await readHandshakes(jar, config);
    expect(read.value.map((h) => [h.key, h.next])).toEqual([
      [token(1).key, '/profile'],
      [token(2).key, '/sandbox'],
    ]);
    expect(jar.attributes.get(HANDSHAKE_COOKIE)).toMatchObject({
      maxAge: HANDSHAKE_TTL_S,
      sameSite: 'lax',
      httpOnly: true,
    });
  });

  it(`should keep only the newest ${MAX_PENDING_HANDSHAKES}`, async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    const many = Array.from({ length: 8 }, (_, i) => newHandshake(token(i), '/'));
    await writeHandshakes(jar, many, config, false);
    const keys = (await readHandshakes(jar, config)).value.map((h) => h.key);
    expect(keys).toEqual([3, 4, 5, 6, 7].map((i) => token(i).key));
  });

  it('should stay under 4 KB even with long next paths', async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    const many = Array.from({ length: 5 }, (_, i) => newHandshake(token(i), `/${'p'.repeat(1000)}`));
    await writeHandshakes(jar, many, config, true);
    expect((jar.values.get(HANDSHAKE_COOKIE) ?? '').length).toBeLessThan(4096 - 100);
    const kept = (await readHandshakes(jar, config)).value;
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.at(-1)?.key).toBe(token(4).key);
  });

  it('should drop logins older than 10 minutes', async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    await writeHandshakes(jar, [newHandshake(token(1), '/')], config, false);
    vi.useFakeTimers({ now: Date.now() + (HANDSHAKE_TTL_S + 1) * 1000 });
    expect(await readHandshakes(jar, config)).toEqual({ value: [], clear: true });
  });

  it('should re-check next when reading, so a forged entry cannot redirect off-site', async () => {
    const config = sessionConfig(CURRENT);
    const jar = new Jar();
    const requestToken = token(1);
    const forged = {
      pending: [
        {
          key: requestToken.key,
          handshake: {
            protocol: '1.0a',
            requestToken: { key: requestToken.key, secret: requestToken.secret },
          },
          next: '//evil.example',
          startedAt: Math.floor(Date.now() / 1000),
        },
      ],
    };
    jar.values.set(HANDSHAKE_COOKIE, await seal(forged, config, 600, 'handshake-cookie'));
    expect((await readHandshakes(jar, config)).value[0]?.next).toBe('/');
  });

  it('should treat garbage as no logins in progress, to be cleared', async () => {
    const jar = new Jar();
    jar.values.set(HANDSHAKE_COOKIE, 'a*b*c*d*e*f*g*h');
    expect(await readHandshakes(jar, sessionConfig(CURRENT))).toEqual({ value: [], clear: true });
  });

  it('should delete the cookie when no login is left', async () => {
    const jar = new Jar();
    await writeHandshakes(jar, [], sessionConfig(CURRENT), false);
    expect(jar.values.get(HANDSHAKE_COOKIE)).toBe('');
    expect(jar.attributes.get(HANDSHAKE_COOKIE)?.maxAge).toBe(0);
  });
});

describe('secureCookiesFor', () => {
  it.each([
    ['http://localhost:3000', false],
    ['http://127.0.0.1:3000', false],
    ['http://[::1]:3000', false],
    ['https://localhost:3000', true],
    ['https://my-tool.toolforge.org', true],
    ['http://my-tool.example', true],
    ['http://localhost.evil.example', true],
  ])('should make cookies for %s Secure: %s', (origin, secure) => {
    expect(secureCookiesFor(origin)).toBe(secure);
  });
});
