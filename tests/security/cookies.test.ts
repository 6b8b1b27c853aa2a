import { sealData } from 'iron-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordIdFor } from '@/lib/server/config';
import { seal } from '@/lib/server/session/seal';
import type { E2EServer } from '@/tests/support/e2e-app';
import { sessionConfig } from '@/tests/support/session-config';
import {
  Browser,
  expectCleanLog,
  HANDSHAKE_COOKIE,
  LOGIN_COOKIE,
  loginCookieSet,
  mapBounded,
  percentile,
  prng,
  PROTOCOL_FACTS,
  PROTOCOLS,
  Secrets,
  send,
  startFor,
  tally,
  type Protocol,
  type Reply,
} from './support';

// Fuzzed cookies never make the app fail; a request racing a logout cannot set the
// session again; a session cookie planted by an attacker does not survive a login (fixation).
// Both protocols, the cookie store only: the fuzzer takes about two minutes a protocol; Redis's
// logout and fixation are in redis-instances.test.ts and tests/app/routes.test.ts.

/** Change with SECURITY_FUZZ_SEED=<n> to explore; a failure message names its seed and index. */
const SEED = Number(process.env.SECURITY_FUZZ_SEED ?? 0x5eed2026);
const FUZZ_COUNTS: Record<Protocol, number> = {
  '1.0a': Number(process.env.SECURITY_FUZZ_COUNT ?? 10_000),
  '2.0': Number(process.env.SECURITY_FUZZ_COUNT_OAUTH2 ?? 2_000),
};
const IN_FLIGHT = 16;

// --- the fuzzer ---------------------------------------------------------------------------------

const PASSWORD_IDS = [
  'constructor',
  '__proto__',
  'toString',
  'prototype',
  'hasOwnProperty',
  'valueOf',
  '',
  '0',
  '-1',
  '1e400',
  'NaN',
  'Infinity',
  ' 1',
  '99999999999999999999999',
  '__defineGetter__',
];
const EXPIRATIONS = ['', 'NaN', '-1', '0', '1', '9'.repeat(30), 'abc', '1e999', String(Date.now() - 1000)];
const NAME_VARIANTS = [
  'MWOAUTH_SESSION',
  ' mwoauth_session',
  'mwoauth_session ',
  '__Host-mwoauth_session',
  'mwoauth_session\t',
];

type Rand = () => number;

function int(r: Rand, n: number): number {
  return Math.floor(r() * n);
}

function pick<T>(r: Rand, items: readonly T[]): T {
  return items[int(r, items.length)] as T;
}

/** Bytes a header value can carry (no CR, LF or NUL; latin-1), any of them. */
function randomBytes(r: Rand, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const c = int(r, 3) === 0 ? 0x80 + int(r, 0x80) : 0x20 + int(r, 0x5f);
    s += String.fromCharCode(c);
  }
  return s;
}

function base64url(r: Rand, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[int(r, alphabet.length)];
  return s;
}

function suite(protocol: Protocol): void {
  const facts = PROTOCOL_FACTS[protocol];
  const FUZZ_COUNT = FUZZ_COUNTS[protocol];
  let app: E2EServer;
  let secrets: Secrets;
  /** Alice's genuine login cookie and a genuine handshake cookie, for mutations. */
  let aliceSession: string;
  let handshake: string;

  beforeAll(async () => {
    app = await startFor(protocol);
    secrets = new Secrets(app);
    const alice = new Browser(app, secrets);
    await alice.logIn('Alice');
    aliceSession = alice.jar.cookies.get(LOGIN_COOKIE) ?? '';
    await alice.send('/api/mwoauth/initiate?next=/profile');
    handshake = alice.jar.cookies.get(HANDSHAKE_COOKIE) ?? '';
    if (!aliceSession.startsWith('Fe26.2*') || !handshake.startsWith('Fe26.2*')) {
      throw new Error('could not get genuine cookies to mutate');
    }
  });

  afterAll(async () => {
    try {
      if (app !== undefined) expectCleanLog(`cookies${facts.label}`, app, secrets);
    } finally {
      await app?.close();
    }
  });

  /** A genuine seal with one of its eight `*`-separated parts broken. */
  function brokenSeal(r: Rand): string {
    const parts = pick(r, [aliceSession, handshake]).split('*');
    const i = int(r, parts.length);
    switch (int(r, 12)) {
      case 0:
        parts[i] = base64url(r, int(r, 60));
        break;
      case 1:
        parts[i] = '';
        break;
      case 2:
        parts.splice(i, 1);
        break;
      case 3:
        parts.splice(i, 0, base64url(r, 8));
        break;
      case 4:
        parts[0] = pick(r, ['Fe26.1', 'Fe26.3', 'fe26.2', 'Fe26', '', 'Fe26.2 ']);
        break;
      case 5:
        parts[1] = pick(r, PASSWORD_IDS);
        break;
      case 6:
        parts[5] = pick(r, EXPIRATIONS);
        break;
      case 7: {
        // One character of the ciphertext or the MAC changed.
        const j = pick(r, [4, 7]);
        const part = parts[j] ?? '';
        const k = int(r, Math.max(1, part.length));
        parts[j] = part.slice(0, k) + (part[k] === 'A' ? 'B' : 'A') + part.slice(k + 1);
        break;
      }
      case 8:
        parts[i] = pick(r, ['!!!', '%', '%E0%A4%A', '%00', '====', '..', '*', ';', '\\', '"']);
        break;
      case 9:
        return parts.join('*').slice(0, int(r, parts.join('*').length));
      case 10:
        return `${parts.join('*')}*${base64url(r, int(r, 40))}`;
      default:
        parts[1] = pick(r, PASSWORD_IDS);
        parts[5] = pick(r, EXPIRATIONS);
    }
    return parts.join('*');
  }

  /** Seals with another secret, or with ours around data of the wrong shape. */
  async function otherSeals(): Promise<string[]> {
    const ours = sessionConfig(app.sessionSecret);
    const theirs = { 1: 'another-secret-of-at-least-32-characters-0123456789' };
    const shapes: unknown[] = [
      {},
      { sub: 1 },
      { sub: '1', username: 'Mallory' },
      { sub: '1', username: 'Mallory', accessToken: { key: 'k' }, loggedInAt: 1 },
      { sub: '1', username: 'Mallory', accessToken: 'x', loggedInAt: 'yesterday' },
      { sub: ['1'], username: { toString: 'x' }, accessToken: { key: 1, secret: 2 }, loggedInAt: -1 },
      JSON.parse('{"__proto__":{"sub":"1","username":"Polluted"},"constructor":{"prototype":{"x":1}}}'),
      { pending: 'x' },
      { pending: [{}, null, 1, 'x'] },
      {
        pending: Array.from({ length: 50 }, () => ({
          requestToken: { key: 'k', secret: 's' },
          next: '//evil',
        })),
      },
      [1, 2, 3],
      'a string',
      { a: { b: { c: { d: { e: { f: { g: { h: {} } } } } } } } },
      // OAuth 2.0's shapes (lib/server/session/login-record.ts, handshakes.ts), each one field wrong.
      ...(protocol === '2.0'
        ? [
            {
              sub: '1',
              username: 'Mallory',
              credentials: { protocol: '2.0', accessToken: 1 },
              loggedInAt: 1,
            },
            {
              sub: '1',
              username: 'Mallory',
              credentials: { protocol: '3.0', accessToken: 'x' },
              loggedInAt: 1,
            },
            {
              sub: '1',
              username: 'Mallory',
              credentials: { protocol: '2.0', accessToken: 'x', refreshToken: '', expiresAt: 'soon' },
              loggedInAt: 1,
            },
            { pending: [{ key: 's', handshake: { protocol: '2.0', state: 's' }, next: '/', startedAt: 1 }] },
            {
              pending: Array.from({ length: 50 }, () => ({
                key: 's',
                handshake: { protocol: '2.0', state: 's', codeVerifier: '' },
                next: '//evil',
                startedAt: 'now',
              })),
            },
          ]
        : []),
    ];
    const seals: string[] = [];
    for (const data of shapes) {
      // Sealed as the app seals each of its cookies (seal.ts): the shape alone must refuse them.
      for (const purpose of ['login-cookie', 'handshake-cookie'] as const)
        seals.push(await seal(data as object, ours, 3600, purpose));
    }
    // A well-formed login sealed with SESSION_SECRET itself, as before seals per purpose (a one-time logout).
    const before = {
      sub: '3',
      username: 'Alice',
      credentials: { protocol: '1.0a', accessToken: { key: 'k', secret: 's' } },
      loggedInAt: Math.floor(Date.now() / 1000),
    };
    seals.push(
      await sealData(before, {
        password: { [passwordIdFor(app.sessionSecret)]: app.sessionSecret },
        ttl: 3600,
      }),
    );
    seals.push(
      await sealData(
        { sub: '3', username: 'Alice', accessToken: { key: 'k', secret: 's' }, loggedInAt: 1 },
        { password: theirs, ttl: 3600 },
      ),
    );
    if (protocol === '2.0') {
      // A well-formed 2.0 login, sealed with another secret.
      seals.push(
        await sealData(
          {
            sub: '3',
            username: 'Alice',
            credentials: {
              protocol: '2.0',
              accessToken: 'a',
              refreshToken: 'r',
              expiresAt: Date.now() + 3_600_000,
            },
            loggedInAt: 1,
          },
          { password: theirs, ttl: 3600 },
        ),
      );
    }
    return seals;
  }

  interface FuzzCase {
    index: number;
    kind: string;
    cookie: string;
  }

  function fuzzCases(extraSeals: readonly string[]): FuzzCase[] {
    const r = prng(SEED);
    const cases: FuzzCase[] = [];
    for (let index = 0; index < FUZZ_COUNT; index++) {
      let kind: string;
      let value: string;
      switch (int(r, 6)) {
        case 0:
          kind = 'random bytes';
          value = randomBytes(r, int(r, 400));
          break;
        case 1:
        case 2:
          kind = 'broken Fe26.2 seal';
          value = brokenSeal(r);
          break;
        case 3:
          kind = 'other secret or wrong shape';
          value = pick(r, extraSeals);
          break;
        case 4: {
          kind = 'oversized';
          const size = pick(r, [3801, 4000, 4097, 5000, 8000, 12_000]);
          const base = pick(r, [aliceSession, handshake, '']);
          value = (base + base64url(r, size)).slice(0, size);
          break;
        }
        default:
          kind = 'password id';
          value = ['Fe26.2', pick(r, PASSWORD_IDS), ...aliceSession.split('*').slice(2)].join('*');
      }
      // Which cookie carries it, and how.
      let cookie: string;
      switch (int(r, 6)) {
        case 0:
          cookie = `${HANDSHAKE_COOKIE}=${value}`;
          break;
        case 1:
          cookie = `${LOGIN_COOKIE}=${value}; ${HANDSHAKE_COOKIE}=${value}`;
          break;
        case 2:
          kind += ', duplicate names';
          cookie = `${LOGIN_COOKIE}=${value}; ${LOGIN_COOKIE}=${brokenSeal(r)}; ${HANDSHAKE_COOKIE}=${value}; ${HANDSHAKE_COOKIE}=${handshake}`;
          break;
        case 3:
          kind += ', name variant';
          cookie = `${pick(r, NAME_VARIANTS)}=${value}`;
          break;
        default:
          cookie = `${LOGIN_COOKIE}=${value}`;
      }
      cases.push({ index, kind, cookie });
    }
    return cases;
  }

  /** The login cookie value the app reads from a Cookie header: the last one of that exact name. */
  function loginValueRead(cookieHeader: string): string | null {
    let value: string | null = null;
    // fetch strips the header's leading and trailing whitespace, as a browser does.
    for (const pair of cookieHeader.trim().split(/; */)) {
      const eq = pair.indexOf('=');
      if (eq !== -1 && pair.slice(0, eq) === LOGIN_COOKIE) value = pair.slice(eq + 1);
    }
    return value;
  }

  /**
   * True when `value` is Alice's genuine seal, with only what iron ignores added: whitespace, or
   * parts after the eighth (iron reads the first eight and checks the MAC over them). Such a cookie
   * is the real one, not a forgery: whoever sends it already holds Alice's cookie.
   */
  function isGenuine(value: string | null): boolean {
    if (value === null) return false;
    const v = value.trim();
    return v === aliceSession || v.startsWith(`${aliceSession}*`);
  }

  interface Route {
    path: string;
    method: string;
    /** Share of the values sent here: the pages cost the server most, and one in five is plenty. */
    weight: number;
    /** True when the reply shows a logged-in user. */
    loggedIn(reply: Reply): boolean;
  }

  const ROUTES: Route[] = [
    { path: '/', method: 'GET', weight: 1, loggedIn: (r) => r.body.includes('Hello, ') },
    { path: '/profile', method: 'GET', weight: 1, loggedIn: (r) => r.status === 200 },
    { path: '/action-fixture', method: 'GET', weight: 1, loggedIn: (r) => r.status === 200 },
    { path: '/no-such-page', method: 'GET', weight: 1, loggedIn: (r) => r.body.includes('Hello, ') },
    { path: '/api/mwoauth/initiate?next=/profile', method: 'GET', weight: 1, loggedIn: () => false },
    { path: '/api/mwoauth/identify', method: 'GET', weight: 3, loggedIn: (r) => r.status === 200 },
    { path: '/api/mwoauth/revoked', method: 'GET', weight: 3, loggedIn: () => false },
    { path: facts.forgedCallback, method: 'GET', weight: 3, loggedIn: () => false },
    { path: '/api/mwoauth/logout', method: 'POST', weight: 3, loggedIn: () => false },
  ];

  /** Routes in turn, each as often as its weight says, interleaved. */
  const ROUTE_CYCLE: Route[] = Array.from({ length: Math.max(...ROUTES.map((r) => r.weight)) }, (_, round) =>
    ROUTES.filter((r) => r.weight > round),
  ).flat();

  describe('fuzzed cookies', () => {
    it(`should answer ${FUZZ_COUNT} fuzzed cookie values on ${ROUTES.length} routes without a 5xx or a login`, async () => {
      const cases = fuzzCases(await otherSeals());
      const started = performance.now();
      const results = await mapBounded(cases, IN_FLIGHT, async (c) => {
        const route = ROUTE_CYCLE[c.index % ROUTE_CYCLE.length] as Route;
        const reply = await send(app, route.path, {
          method: route.method,
          cookie: c.cookie,
          // Uncompressed: what is tested is the cookie handling, and gzip would cost the server's CPU.
          headers: {
            'accept-encoding': 'identity',
            ...(route.method === 'POST' ? { origin: app.origin } : {}),
          },
        });
        // A fuzzed cookie never sets a session: only the callback sets one, and only after the wiki.
        const set = loginCookieSet(reply);
        const loggedIn = route.loggedIn(reply) || (set !== null && set !== '');
        return {
          c,
          route,
          status: reply.status,
          ms: reply.ms,
          loggedIn,
          genuine: isGenuine(loginValueRead(c.cookie)),
        };
      });
      const seconds = (performance.now() - started) / 1000;
      const errors = results.filter((x) => x.status >= 500);
      const genuine = results.filter((x) => x.loggedIn && x.genuine);
      const forged = results.filter((x) => x.loggedIn && !x.genuine);
      const perRoute = ROUTES.map((route) => {
        const times = results.filter((x) => x.route === route).map((x) => x.ms);
        return `${route.method} ${route.path.replace(/\?.*/, '')} p50 ${percentile(times, 0.5).toFixed(0)} ms`;
      });
      console.log(`[security] cookie-fuzz${facts.label} latency: ${perRoute.join(', ')}`);
      const kinds = new Set(cases.map((c) => c.kind.replace(/,.*/, '')));
      console.log(
        `[security] cookie-fuzz${facts.label}: ${cases.length} values (seed ${SEED}), ${ROUTES.length} routes, ${IN_FLIGHT} in flight, ${errors.length} 5xx, ${forged.length} logged in by a forged value (${genuine.length} by Alice's genuine seal with ignored extra parts), statuses ${JSON.stringify(tally(results.map((x) => x.status)))}, ${seconds.toFixed(1)} s`,
      );
      expect([...kinds].sort()).toEqual([
        'broken Fe26.2 seal',
        'other secret or wrong shape',
        'oversized',
        'password id',
        'random bytes',
      ]);
      const show = (x: (typeof results)[number]): string =>
        `#${x.c.index} (seed ${SEED}) ${x.c.kind} → ${x.route.method} ${x.route.path}: ${x.status} ${JSON.stringify(x.c.cookie.slice(0, 120))}`;
      expect(errors.slice(0, 10).map(show)).toEqual([]);
      expect(forged.slice(0, 10).map(show)).toEqual([]);
    });
  });

  describe('logging out', () => {
    const RACERS = [
      '/',
      '/profile',
      '/action-fixture',
      '/api/mwoauth/identify',
      '/api/mwoauth/revoked',
      '/api/mwoauth/initiate?next=/profile',
    ];

    // What this shows, and no more: the requests below (pages, identify, revoked, initiate) never
    // write the login cookie, so racing a logout they cannot set the session again. The callback is
    // not among them: it alone writes a login, and one already in flight when the user logs out
    // logs the browser back in when it answers; stateless sealed cookies cannot prevent that
    // (SECURITY.md, "What is not defended").
    it('should see no request other than the callback set the session again while a logout races it', async () => {
      const rounds = 20;
      let reset = 0;
      let stillLoggedIn = 0;
      const r = prng(SEED + 1);
      for (let round = 0; round < rounds; round++) {
        const browser = new Browser(app, secrets);
        await browser.logIn('Alice');
        expect(browser.jar.cookies.has(LOGIN_COOKIE)).toBe(true);
        // Two of each, sent with the cookie the browser holds now, the logout somewhere among them;
        // each reply's Set-Cookie is applied as it arrives, as a browser does.
        const racers = [...RACERS, ...RACERS].map((path) => ({ path, delay: int(r, 15) }));
        const logoutDelay = int(r, 15);
        const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
        const replies = await Promise.all([
          sleep(logoutDelay).then(() => browser.logout('/?notice=loggedout')),
          ...racers.map(({ path, delay }) => sleep(delay).then(() => browser.send(path))),
        ]);
        const [logout, ...others] = replies;
        expect(logout?.status).toBe(303);
        expect(loginCookieSet(logout as Reply)).toBe('');
        reset += others.filter((x) => (loginCookieSet(x) ?? '') !== '').length;
        if (browser.jar.cookies.has(LOGIN_COOKIE) || (await browser.whoAmI()) !== null) stillLoggedIn++;
      }
      console.log(
        `[security] logout race${facts.label} (callback not among the racers): ${rounds} rounds × ${RACERS.length * 2} racing page/API requests, ${reset} session cookies set by a racer, ${stillLoggedIn} rounds still logged in`,
      );
      expect(reset).toBe(0);
      expect(stillLoggedIn).toBe(0);
    });

    it('should leave a copy of the login cookie taken before logout valid until the grant is revoked (stateless; see SECURITY.md)', async () => {
      // What the app promises and what it does not: logout clears the browser's cookie; it keeps no
      // server-side list, so a COPY made earlier (by malware, a shared computer's backup…) still
      // unseals until it expires (7 days). Revoking the grant on the wiki ends it everywhere.
      const browser = new Browser(app, secrets);
      await browser.logIn('Replay');
      const copy = browser.jar.cookies.get(LOGIN_COOKIE) ?? '';
      await browser.logout();
      await expect(browser.whoAmI()).resolves.toBeNull();
      const thief = new Browser(app, secrets);
      thief.jar.cookies.set(LOGIN_COOKIE, copy);
      await expect(thief.whoAmI()).resolves.toBe('Replay');
      app.devwiki.revoke('Replay', app.consumer.key);
      const after = await thief.send('/api/mwoauth/identify');
      expect(after.status).toBe(401);
      expect(loginCookieSet(after)).toBe('');
    });
  });

  describe('session fixation', () => {
    it("should replace a session cookie an attacker planted with the user's own at login", async () => {
      const attacker = new Browser(app, secrets);
      await attacker.logIn('Mallory');
      const planted = attacker.jar.cookies.get(LOGIN_COOKIE) ?? '';
      const victim = new Browser(app, secrets);
      victim.jar.cookies.set(LOGIN_COOKIE, planted);
      victim.jar.cookies.set(HANDSHAKE_COOKIE, attacker.jar.cookies.get(HANDSHAKE_COOKIE) ?? handshake);
      // The planted cookie works (that is what planting means): the victim looks like Mallory.
      await expect(victim.whoAmI()).resolves.toBe('Mallory');

      const callback = await victim.logIn('Alice');
      expect(callback.status).toBe(303);
      const fresh = loginCookieSet(callback);
      expect(fresh).toMatch(/^Fe26\.2\*/);
      expect(fresh).not.toBe(planted);
      await expect(victim.whoAmI()).resolves.toBe('Alice');
      const home = await victim.send('/');
      expect(home.body).toMatch(/<h1>Hello, (<!-- -->)?<bdi>Alice<\/bdi><\/h1>/);
      expect(home.body).not.toContain('Mallory');

      // A planted cookie the browser keeps beside ours (set for a parent domain): browsers send the
      // older one first, and the app reads the last of two same-named cookies.
      const both = await send(app, '/api/mwoauth/identify', {
        cookie: `${LOGIN_COOKIE}=${planted}; ${LOGIN_COOKIE}=${fresh ?? ''}`,
      });
      expect(both.status).toBe(200);
      expect(JSON.parse(both.body)).toMatchObject({ username: 'Alice' });
      console.log(
        `[security] fixation${facts.label}: planted session replaced at login (new seal, identity Alice, not Mallory)`,
      );
    });

    it('should replace a planted unreadable session cookie at login', async () => {
      const victim = new Browser(app, secrets);
      victim.jar.cookies.set(LOGIN_COOKIE, 'Fe26.2*constructor*x*y*z**1*a*b');
      const callback = await victim.logIn('Alice');
      expect(loginCookieSet(callback)).toMatch(/^Fe26\.2\*/);
      await expect(victim.whoAmI()).resolves.toBe('Alice');
    });
  });
}

describe.each(PROTOCOLS)('OAuth %s', suite);
