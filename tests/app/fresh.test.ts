import { describe, expect, it } from 'vitest';

import { readOAuth1Config } from '@/tests/support/oauth1-config';
import type { Credentials, NewLogin } from '@/lib/server/login/credentials';
import type { LoginFlow } from '@/lib/server/login/flow';
import { freshLogin } from '@/lib/server/login/fresh';
import { oauth1Flow } from '@/lib/server/login/oauth1';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { cookieWriter } from '@/lib/server/session/cookies';
import { startWikiDeadline } from '@/lib/server/wiki/deadline';
import { APP_ORIGIN, SESSION_SECRET } from '@/tests/support/app-harness';

// login/fresh.ts: refresh-when-due, composed of refreshDueAt, the store's refreshOnce and the
// session's save, with the real cookie store. The wiki's refresh itself is OAuth 2.0's: here
// the flow's refresh is the OAuth 1.0a flow's with `refresh` counting and answering in its place.
// The cookie store only: freshLogin in all four cells runs through routes.test.ts and with-user.test.ts.

const config = readOAuth1Config({
  MW_INDEX_URL: 'http://127.0.0.1:1/w/index.php',
  MW_CONSUMER_KEY: 'k',
  MW_CONSUMER_SECRET: 's',
  SESSION_SECRET,
  APP_URL: APP_ORIGIN,
});

class Jar {
  readonly values = new Map<string, string>();
  get(name: string): { value: string } | undefined {
    const value = this.values.get(name);
    return value === undefined ? undefined : { value };
  }
  set(name: string, value: string): void {
    this.values.set(name, value);
  }
}

const nowS = (): number => Math.floor(Date.now() / 1000);

function bearer(
  name: string,
  expiresAt: number | null,
  refreshToken: string | null = `refresh-${name}`,
): Credentials {
  return { protocol: '2.0', accessToken: `access-${name}`, refreshToken, expiresAt };
}

/** A flow whose refresh answers `next` and counts its calls. */
function refreshing(next: Credentials): { flow: LoginFlow; calls: () => number } {
  let calls = 0;
  const flow: LoginFlow = {
    ...oauth1Flow(config),
    async refresh() {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return next;
    },
  };
  return { flow, calls: () => calls };
}

async function loggedIn(credentials: Credentials, user: string): Promise<Jar> {
  const jar = new Jar();
  const store = cookieStore(config.session);
  const login: NewLogin = { sub: user, username: user, credentials };
  await store.create(await store.open(jar), cookieWriter(jar, false), login);
  return jar;
}

describe('freshLogin', () => {
  const store = cookieStore(config.session);

  /** freshLogin for the session `jar` carries: the credentials to call the wiki with, or null when logged out. */
  async function freshen(flow: LoginFlow, jar: Jar): Promise<Credentials | 'ended' | null> {
    const session = await store.open(jar);
    if (session.login === null) return null;
    const result = await freshLogin(
      { flow, store, session, to: cookieWriter(jar, false), deadline: startWikiDeadline(config) },
      session.login,
    );
    return result.kind === 'fresh' ? result.login.credentials : 'ended';
  }

  it('should hand back credentials that are not due, asking nothing and writing nothing', async () => {
    const { flow, calls } = refreshing(bearer('new', nowS() + 3600));
    const jar = await loggedIn(bearer('old', nowS() + 3600, 'refresh-not-due'), 'a');
    const before = jar.values.get(LOGIN_COOKIE);
    const fresh = await freshen(flow, jar);
    expect(fresh).toEqual(bearer('old', expect.any(Number), 'refresh-not-due'));
    expect(calls()).toBe(0);
    expect(jar.values.get(LOGIN_COOKIE)).toBe(before);
  });

  it('should refresh credentials within a minute of expiry, save them, and refresh once for two requests', async () => {
    const next = bearer('new', nowS() + 3600, 'refresh-next');
    const { flow, calls } = refreshing(next);
    const jar = await loggedIn(bearer('old', nowS() + 30, 'refresh-due'), 'b');
    // Two requests that read the same cookie before either refresh finished (two tabs).
    const [one, two] = await Promise.all([freshen(flow, jar), freshen(flow, jar)]);
    expect([one, two]).toEqual([next, next]);
    expect(calls()).toBe(1);
    expect((await store.open(jar)).login).toMatchObject({ sub: 'b', credentials: next });
  });

  it('should end the session when the wiki refuses the refresh token, asking it once for a request that came late', async () => {
    let calls = 0;
    const refusal = new Error('invalid_grant');
    const flow: LoginFlow = {
      ...oauth1Flow(config),
      async refresh() {
        calls++;
        throw refusal;
      },
      verdict: (error) => (error === refusal ? 'revoked' : 'keep'),
    };
    const jar = await loggedIn(bearer('old', nowS() + 30, 'refresh-dead'), 'd');
    // A second request that read the cookie before the first one's refusal ended the session.
    const late = jar.values.get(LOGIN_COOKIE) ?? '';
    expect(await freshen(flow, jar)).toBe('ended');
    expect(jar.values.get(LOGIN_COOKIE)).toBe('');
    jar.set(LOGIN_COOKIE, late);
    expect(await freshen(flow, jar)).toBe('ended');
    expect(calls).toBe(1);
  });

  it('should keep the session when the refresh fails otherwise (the wiki down), and try again next time', async () => {
    let calls = 0;
    const flow: LoginFlow = {
      ...oauth1Flow(config),
      async refresh() {
        calls++;
        throw new Error('connect ECONNREFUSED');
      },
      verdict: () => 'keep',
    };
    const jar = await loggedIn(bearer('old', nowS() + 30, 'refresh-down'), 'e');
    await expect(freshen(flow, jar)).rejects.toThrow('ECONNREFUSED');
    await expect(freshen(flow, jar)).rejects.toThrow('ECONNREFUSED');
    expect(calls).toBe(2);
    expect((await store.open(jar)).login).toMatchObject({ sub: 'e' });
  });

  it('should never refresh OAuth 1.0a credentials or a token that does not expire', async () => {
    const { flow, calls } = refreshing(bearer('new', null));
    for (const credentials of [
      {
        protocol: '1.0a',
        accessToken: { key: 'k'.repeat(32), secret: 's'.repeat(40) },
      } satisfies Credentials,
      bearer('owner-only', null, null),
    ]) {
      const jar = await loggedIn(credentials, 'c');
      const fresh = await freshen(flow, jar);
      expect(fresh).toEqual(credentials);
    }
    expect(calls()).toBe(0);
  });
});
