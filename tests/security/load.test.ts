import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { Browser, expectCleanLog, loginCookieSet, percentile, Secrets, type Reply } from './support';

// 200 users log in at the same moment, each a different wiki user, then read their
// profile, the home page and /api/mwoauth/identify: each sees only themselves, and nothing that
// depends on the user may be stored by a shared cache. Timings are printed, not asserted (a figure,
// not a timed test: the machine varies).

const USERS = 200;

let app: E2EServer;
let secrets: Secrets;

beforeAll(async () => {
  app = await startE2EServer();
  secrets = new Secrets(app);
});

afterAll(async () => {
  try {
    if (app !== undefined) expectCleanLog('load', app, secrets);
  } finally {
    await app?.close();
  }
});

interface Flow {
  username: string;
  startedAt: number;
  loginMs: number;
  callback: Reply;
  profile: Reply;
  home: Reply;
  identify: Reply;
}

const nameOf = (i: number): string => `Load user ${String(i).padStart(3, '0')}`;

function cacheControlTokens(reply: Reply): string[] {
  return (reply.headers.get('cache-control') ?? '').split(',').map((t) => t.trim().toLowerCase());
}

describe(`${USERS} users at once`, () => {
  it('should log each in as themselves and show each only their own identity, privately', async () => {
    const t0 = performance.now();
    const flows = await Promise.all(
      Array.from({ length: USERS }, async (_, i): Promise<Flow> => {
        const username = nameOf(i);
        const browser = new Browser(app, secrets);
        const startedAt = performance.now() - t0;
        const callback = await browser.logIn(username);
        const loginMs = performance.now() - t0 - startedAt;
        const [profile, home, identify] = await Promise.all([
          browser.send('/profile'),
          browser.send('/'),
          browser.send('/api/mwoauth/identify'),
        ]);
        return { username, startedAt, loginMs, callback, profile, home, identify };
      }),
    );
    const totalS = (performance.now() - t0) / 1000;

    const others = (f: Flow): string[] => flows.map((g) => g.username).filter((n) => n !== f.username);
    let wrongIdentity = 0;
    const subs = new Set<string>();
    const authenticated: Reply[] = [];
    for (const f of flows) {
      expect(f.callback.status, f.username).toBe(303);
      expect(f.callback.location?.pathname).toBe('/profile');
      expect(loginCookieSet(f.callback)).toMatch(/^Fe26\.2\*/);
      expect(f.profile.status, f.username).toBe(200);
      expect(f.identify.status, f.username).toBe(200);
      const identity: unknown = JSON.parse(f.identify.body);
      const username =
        typeof identity === 'object' && identity !== null ? Reflect.get(identity, 'username') : null;
      const sub = typeof identity === 'object' && identity !== null ? Reflect.get(identity, 'sub') : null;
      if (typeof sub === 'string') subs.add(sub);
      const mine =
        username === f.username &&
        f.profile.body.includes(`<h1><bdi>${f.username}</bdi></h1>`) &&
        /<h1>Hello, (<!-- -->)?<bdi>([^<]+)<\/bdi><\/h1>/.exec(f.home.body)?.[2] === f.username;
      const foreign = [f.profile.body, f.home.body, f.identify.body].some((body) =>
        others(f).some((name) => body.includes(name)),
      );
      if (!mine || foreign) wrongIdentity++;
      authenticated.push(f.profile, f.home, f.identify);
    }
    const notPrivate = authenticated.filter((r) => {
      const tokens = cacheControlTokens(r);
      return !tokens.includes('private') || !tokens.includes('no-store');
    });

    const logins = flows.map((f) => f.loginMs);
    const pages = flows.flatMap((f) => [f.profile.ms, f.home.ms, f.identify.ms]);
    const window = Math.max(...flows.map((f) => f.startedAt)) - Math.min(...flows.map((f) => f.startedAt));
    console.log(
      `[security] load: ${USERS} users logged in concurrently (all in flight within ${window.toFixed(0)} ms), login p50 ${percentile(logins, 0.5).toFixed(0)} ms, p95 ${percentile(logins, 0.95).toFixed(0)} ms, max ${Math.max(...logins).toFixed(0)} ms; profile/home/identify p50 ${percentile(pages, 0.5).toFixed(0)} ms, p95 ${percentile(pages, 0.95).toFixed(0)} ms; total ${totalS.toFixed(1)} s`,
    );
    console.log(
      `[security] isolation: ${flows.length} users, ${subs.size} distinct sub, ${wrongIdentity} saw another identity; ${authenticated.length} authenticated responses, ${notPrivate.length} without Cache-Control private, no-store`,
    );
    expect(window).toBeLessThan(1000);
    expect(subs.size).toBe(USERS);
    expect(wrongIdentity).toBe(0);
    expect(notPrivate.map((r) => `${r.status} ${r.headers.get('cache-control')}`)).toEqual([]);
  });
});
