import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { CookieJar } from '@/tests/support/app-harness';
import { ensureBuilt, freePort, startAppServer, type AppServer } from '@/tests/support/e2e-app';
import { startFrontProxy, type FrontProxy } from '@/tests/support/front-proxy';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';

// OAuth 2.0 across instances: an access token that is due for refresh, asked for on A
// and B at the same moment, is refreshed ONCE (the lock in Redis: session/redis-store.ts
// refreshOnce), and neither request logs the user out. Without the shared lock each instance would
// spend the same refresh token; the wiki rotates it (fixture o2-15), so the second refresh would be
// refused and end the session.
// Redis and OAuth 2.0 only: a refresh lock shared by two instances exists only in Redis.

/** Tokens live 62 s and are refreshed from 60 s before expiry: due 2 s after the login. */
const ACCESS_TOKEN_TTL_S = 62;
const INSTANCE = 'x-test-instance';

let redis: TestRedis;
let devwiki: Devwiki;
let front: FrontProxy;
let a: AppServer;
let b: AppServer;
let publicOrigin: string;
let client: DevwikiConsumer;

beforeAll(async () => {
  await ensureBuilt();
  redis = await startRedis();
  const [portA, portB] = [await freePort(), await freePort()];
  front = await startFrontProxy((req) => ({
    host: '127.0.0.1',
    port: req.headers[INSTANCE] === 'b' ? portB : portA,
  }));
  publicOrigin = front.url.replace('127.0.0.1', 'localhost');
  // devwiki's confidential OAuth 2.0 client (id 4), registered for this run's public callback.
  const confidential = defaultConsumers(`${publicOrigin}/api/mwoauth/callback`).find((c) => c.id === 4);
  if (confidential === undefined) throw new Error("devwiki's default consumers have no client 4");
  client = confidential;
  devwiki = await startDevwiki({ consumers: [client], accessTokenTtlS: ACCESS_TOKEN_TTL_S });
  const secret = randomBytes(32).toString('base64');
  const start = (port: number): Promise<AppServer> =>
    startAppServer({
      wiki: { indexUrl: devwiki.indexUrl, consumer: client },
      userAgent: 'next-mwoauth-e2e/1.0 (tests/security redis oauth2; nobody@example.org)',
      port,
      env: {
        MW_OAUTH_VERSION: '2.0',
        SESSION_SECRET: secret,
        SESSION_STORE: 'redis',
        REDIS_URL: redis.url,
        APP_URL: publicOrigin,
        MW_CALLBACK: `${publicOrigin}/api/mwoauth/callback`,
        INITIATE_RATE_LIMIT: 'off',
      },
    });
  [a, b] = await Promise.all([start(portA), start(portB)]);
}, 600_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await front?.close();
  await devwiki?.close();
  await redis?.stop();
});

function send(jar: CookieJar, via: 'a' | 'b', path: string): Promise<Response> {
  const url = new URL(path.startsWith(publicOrigin) ? path.slice(publicOrigin.length) : path, front.url);
  return jar.send(url, { headers: { [INSTANCE]: via } });
}

function refreshRequests(): number {
  return devwiki.requests.filter((r) => r.grantType === 'refresh_token').length;
}

describe('OAuth 2.0 refresh across two instances sharing Redis', () => {
  it('should refresh once, and log nobody out, when A and B are asked at the same moment at expiry', async () => {
    const jar = new CookieJar();
    const initiate = await send(jar, 'a', '/api/mwoauth/initiate?next=/profile');
    expect(initiate.status).toBe(303);
    const back = await devwiki.approve(initiate.headers.get('location') ?? '', 'RaceUser');
    const done = await send(jar, 'b', back);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${publicOrigin}/profile`);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
    expect(refreshRequests()).toBe(0);

    // Past the refresh margin: every request now wants a refresh.
    await new Promise((r) => setTimeout(r, 2500));
    const cookie = jar.header();
    const ask = (via: 'a' | 'b'): Promise<Response> =>
      fetch(new URL('/profile', front.url), {
        headers: { cookie, [INSTANCE]: via },
        redirect: 'manual',
        signal: AbortSignal.timeout(30_000),
      });
    const answers = await Promise.all([ask('a'), ask('b'), ask('a'), ask('b')]);
    const statuses = answers.map((r) => r.status);
    const pages = await Promise.all(answers.map((r) => r.text()));
    // 0 logouts: no answer sends the browser to /?notice=revoked or to a new login.
    for (const response of answers) expect(response.headers.get('location')).toBeNull();
    expect(statuses).toEqual([200, 200, 200, 200]);
    for (const page of pages) expect(page).toContain('RaceUser');
    expect(refreshRequests()).toBe(1);

    // The refreshed session is the one both instances use from now on.
    for (const via of ['a', 'b'] as const) {
      const again = await send(jar, via, '/api/mwoauth/identify');
      expect(again.status).toBe(200);
    }
    expect(refreshRequests()).toBe(1);
  });
});
