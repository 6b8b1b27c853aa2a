import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DevwikiConsumer } from '@/devwiki';
import type { E2EServer } from '@/tests/support/e2e-app';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import {
  Browser,
  expectCleanLog,
  HANDSHAKE_COOKIE,
  loginCookieSet,
  MATRIX,
  PROTOCOL_FACTS,
  Secrets,
  send,
  startForCell,
  type Cell,
  type Protocol,
  type Reply,
} from './support';

// A forged, repeated, replayed, stale, malformed or refused callback gets a
// failure page, creates no session (no login cookie; with Redis, no record), and reaches the wiki's
// token endpoint (Special:OAuth/token, rest.php/oauth2/access_token) only when it names a login
// this browser started (the handshake cookie) with exactly one of each parameter. One definition
// over both protocols and both stores; the cases that exist in one protocol only say so. Over real
// HTTP against `next start`; tests/app/routes.test.ts shows the main refusals in-process.

/** Another app's OAuth 2.0 client on the same wiki: its codes are not ours to spend. */
const OTHER_CLIENT: DevwikiConsumer = {
  id: 48,
  name: 'another tool (OAuth 2.0)',
  key: 'e2ee2ee2ee2ee2ee2ee2ee2ee2e00048',
  secret: 'e2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee200048',
  oauthVersion: '2.0',
  confidential: true,
  callbackUrl: 'http://localhost:1/other-tool/callback',
  callbackIsPrefix: false,
  grants: ['basic'],
  ownerOnly: false,
};

/** The callback's two parameters in each protocol: the one naming the login, and the credential. */
const PARAMS: Record<Protocol, { key: string; secret: string }> = {
  '1.0a': { key: 'oauth_token', secret: 'oauth_verifier' },
  '2.0': { key: 'state', secret: 'code' },
};

const CALLBACK = '/api/mwoauth/callback';
const q = (pairs: Array<[string, string]>): string => `${CALLBACK}?${new URLSearchParams(pairs).toString()}`;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

type Forge = (send: () => Promise<Reply>) => Promise<Reply>;

interface Case {
  name: string;
  /**
   * The status when it is not a 4xx: an `error` the wiki put in the callback is the wiki's answer,
   * shown as the failure catalogue's "The wiki refused" (502) with its key, as any wiki error is.
   */
  status?: number;
  /**
   * Prepares a browser and sends the forged callback through `forge` (which counts the requests it
   * causes); says whether the token endpoint may be asked: only when the callback is well-formed and
   * names the browser's own login, so that only the wiki can refuse it.
   */
  run(forge: Forge): Promise<{ reply: Reply; browser: Browser; mayAskWiki: boolean }>;
}

function suite(cell: Cell): void {
  const { protocol, store } = cell;
  const { key, secret } = PARAMS[protocol];
  const label = `callback-forgery (OAuth ${protocol}, ${store} store)`;
  let app: E2EServer;
  let secrets: Secrets;
  /** What each forged callback got, for the figure. */
  const forged: Array<{ name: string; status: number; asked: number }> = [];

  beforeAll(async () => {
    app = await startForCell(cell, redis, protocol === '2.0' ? { otherConsumers: [OTHER_CLIENT] } : {});
    secrets = new Secrets(app);
  });
  afterAll(async () => {
    try {
      if (app !== undefined) expectCleanLog(label, app, secrets);
    } finally {
      await app?.close();
    }
  });

  const tokenRequests = (): number => app.devwiki.requests.filter((r) => r.endpoint === 'token').length;
  /** Session records in Redis (null with the cookie store, which has none). */
  const sessionRecords = async (): Promise<number | null> =>
    store === 'redis' ? (await redis.dump()).filter((k) => /(^|:)s:[0-9a-f]{64}$/.test(k.key)).length : null;

  /** A browser with an approved login in progress: its callback URL and the two parameters. */
  async function pending(username = 'Alice'): Promise<{
    browser: Browser;
    back: string;
    token: string;
    verifier: string;
  }> {
    const browser = new Browser(app, secrets);
    const back = await browser.startLogin(username);
    const url = new URL(back);
    return {
      browser,
      back,
      token: url.searchParams.get(key) ?? '',
      verifier: url.searchParams.get(secret) ?? '',
    };
  }

  /** Re-seals the browser's handshake cookie with its logins started `ageS` seconds ago. */
  async function ageHandshake(browser: Browser, ageS: number): Promise<void> {
    const data = await secrets.unseal(browser.jar.cookies.get(HANDSHAKE_COOKIE) ?? '', 'handshake-cookie');
    const list: unknown = typeof data === 'object' && data !== null ? Reflect.get(data, 'pending') : null;
    if (!Array.isArray(list) || list.length === 0) throw new Error('no handshake to age');
    const startedAt = Math.floor(Date.now() / 1000) - ageS;
    const aged = list.map((p: unknown) => ({ ...(typeof p === 'object' ? p : {}), startedAt }));
    const sealed = await secrets.seal({ pending: aged }, 'handshake-cookie', 3600);
    browser.jar.cookies.set(HANDSHAKE_COOKIE, sealed);
  }

  /** Re-seals the browser's handshake cookie as it was, but with a seal that expired 10 minutes ago. */
  async function expireSeal(browser: Browser): Promise<void> {
    const data = await secrets.unseal(browser.jar.cookies.get(HANDSHAKE_COOKIE) ?? '', 'handshake-cookie');
    const now = Date.now();
    // iron dates the seal's expiry from Date.now(): seal "20 minutes ago" with the 600 s lifetime.
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now - 20 * 60_000);
    try {
      const sealed = await secrets.seal(
        typeof data === 'object' && data !== null ? data : {},
        'handshake-cookie',
        600,
      );
      browser.jar.cookies.set(HANDSHAKE_COOKIE, sealed);
    } finally {
      clock.mockRestore();
    }
  }

  /** A case that sends `pairs(token, verifier)` from a browser with its own login in progress. */
  const sending = (
    name: string,
    pairs: (token: string, verifier: string) => Array<[string, string]> | string,
    init: { method?: string; mayAskWiki?: boolean; prepare?: (browser: Browser) => Promise<void> } = {},
  ): Case => ({
    name,
    async run(forge) {
      const { browser, token, verifier } = await pending();
      await init.prepare?.(browser);
      const made = pairs(token, verifier);
      const path = typeof made === 'string' ? made : q(made);
      const sendInit =
        init.method === undefined ? {} : { method: init.method, headers: { origin: app.origin } };
      const reply = await forge(() => browser.send(path, sendInit));
      return { reply, browser, mayAskWiki: init.mayAskWiki ?? false };
    },
  });

  const other: Protocol = protocol === '2.0' ? '1.0a' : '2.0';
  const CASES: Case[] = [
    sending(`no ${key} and no ${secret}`, () => CALLBACK),
    sending(`${secret} without ${key}`, (_t, v) => [[secret, v]]),
    sending(`${key} without ${secret}`, (t) => [[key, t]]),
    sending(`empty ${key} and ${secret}`, () => `${CALLBACK}?${key}=&${secret}=`),
    sending(`the right ${key} with an empty ${secret}`, (t) => [
      [secret, ''],
      [key, t],
    ]),
    sending(`a forged ${key} with the right ${secret}`, (_t, v) => [
      [secret, v],
      [key, 'f'.repeat(43)],
    ]),
    sending(`${key} twice (the right one twice)`, (t, v) => [
      [secret, v],
      [key, t],
      [key, t],
    ]),
    sending(`${key} twice (another one first)`, (t, v) => [
      [secret, v],
      [key, 'f'.repeat(32)],
      [key, t],
    ]),
    sending(`${secret} twice`, (t, v) => [
      [secret, v],
      [secret, v],
      [key, t],
    ]),
    sending(`a 10 000-character ${key}`, (_t, v) => [
      [secret, v],
      [key, 'a'.repeat(10_000)],
    ]),
    sending(
      `NUL, CR and LF in ${key} and ${secret}`,
      (t) => `${CALLBACK}?${secret}=%00%0d%0aX&${key}=${encodeURIComponent(t)}%00%0d%0a`,
    ),
    sending(
      `array syntax ${key}[]`,
      (t, v) => `${CALLBACK}?${secret}=${encodeURIComponent(v)}&${key}[]=${t}`,
    ),
    sending(`non-ASCII ${key}`, (_t, v) => [
      [secret, v],
      [key, 'ｔｏｋｅｎ\u202e\ufeff'],
    ]),
    sending(`OAuth ${other}'s parameters`, () => PROTOCOL_FACTS[other].forgedCallback),
    sending(
      `a wrong ${secret} with the right ${key} (the wiki refuses it)`,
      (t) => [
        [secret, '0'.repeat(32)],
        [key, t],
      ],
      { mayAskWiki: true },
    ),
    sending(
      'a callback 11 minutes after the login started (handshake expired)',
      (t, v) => [
        [secret, v],
        [key, t],
      ],
      { prepare: (browser) => ageHandshake(browser, 11 * 60) },
    ),
    sending(
      'a callback with a handshake cookie whose seal expired',
      (t, v) => [
        [secret, v],
        [key, t],
      ],
      { prepare: expireSeal },
    ),
    sending(
      `POST with the right ${key} and ${secret}`,
      (t, v) => [
        [secret, v],
        [key, t],
      ],
      { method: 'POST' },
    ),
    sending(
      `HEAD with the right ${key} and ${secret}`,
      (t, v) => [
        [secret, v],
        [key, t],
      ],
      { method: 'HEAD' },
    ),
    {
      name: "another browser's callback, in a browser with no login in progress (login CSRF)",
      async run(forge) {
        const attacker = new Browser(app, secrets);
        const back = await attacker.startLogin('Mallory');
        const victim = new Browser(app, secrets);
        return { reply: await forge(() => victim.send(back)), browser: victim, mayAskWiki: false };
      },
    },
    {
      name: "another browser's callback, in a browser with its own login in progress (login CSRF)",
      async run(forge) {
        const { browser: victim } = await pending('Alice');
        const attacker = await pending('Mallory');
        return { reply: await forge(() => victim.send(attacker.back)), browser: victim, mayAskWiki: false };
      },
    },
    {
      name: 'the callback a second time after it logged in and out (its handshake already spent)',
      async run(forge) {
        const { browser, back } = await pending('Alice');
        expect((await browser.send(back)).status).toBe(303);
        // Logged out again, so that what the second callback does is seen alone.
        await browser.logout();
        return { reply: await forge(() => browser.send(back)), browser, mayAskWiki: false };
      },
    },
    {
      name: 'the callback replayed with the handshake cookie copied before its first use (the wiki refuses)',
      async run(forge) {
        const { browser, back } = await pending('Alice');
        const copy = new Browser(app, secrets);
        copy.jar.cookies.set(HANDSHAKE_COOKIE, browser.jar.cookies.get(HANDSHAKE_COOKIE) ?? '');
        expect((await browser.send(back)).status).toBe(303);
        // The copied handshake matches, so the wiki is asked, and refuses: request tokens and codes
        // are single use (Extension:OAuth; _facts.json, o2-07). Stateless cookies cannot know it was used.
        return { reply: await forge(() => copy.send(back)), browser: copy, mayAskWiki: true };
      },
    },
  ];
  // OAuth 2.0 only: codes of another client, and the `error` redirect (1.0a has neither).
  if (protocol === '2.0') {
    CASES.push(
      {
        name: "a code the wiki issued to another client, with this browser's own state",
        async run(forge) {
          const browser = new Browser(app, secrets);
          const start = await browser.send('/api/mwoauth/initiate?next=%2Fprofile');
          expect(start.status).toBe(303);
          const authorize = new URL(start.location?.href ?? '');
          const state = authorize.searchParams.get('state') ?? '';
          authorize.searchParams.set('client_id', OTHER_CLIENT.key);
          if (authorize.searchParams.has('redirect_uri')) {
            authorize.searchParams.set('redirect_uri', OTHER_CLIENT.callbackUrl);
          }
          const theirs = new URL(await app.devwiki.approve(authorize.href, 'Alice'));
          expect(`${theirs.origin}${theirs.pathname}`).toBe(OTHER_CLIENT.callbackUrl);
          const code = theirs.searchParams.get('code') ?? '';
          expect(code).not.toBe('');
          secrets.add(code, 'the other client’s authorization code');
          const reply = await forge(() =>
            browser.send(
              q([
                ['code', code],
                ['state', state],
              ]),
            ),
          );
          // Well-formed and this browser's own state: only the wiki can tell the code is not ours.
          return { reply, browser, mayAskWiki: true };
        },
      },
      {
        ...sending('error=access_denied with the right state', (t) => [
          ['error', 'access_denied'],
          [key, t],
        ]),
        status: 502,
      },
      {
        ...sending('error=access_denied with the right code and state', (t, v) => [
          ['error', 'access_denied'],
          [secret, v],
          [key, t],
        ]),
        status: 502,
      },
    );
  }

  describe('forged callbacks', () => {
    it('should log in with the genuine callback (the control: the checks below can see a login)', async () => {
      const { browser, back } = await pending('Alice');
      const before = tokenRequests();
      const records = await sessionRecords();
      const reply = await browser.send(back);
      expect(reply.status).toBe(303);
      expect(tokenRequests() - before).toBe(1);
      expect(loginCookieSet(reply)).toMatch(/^Fe26\.2\*/);
      await expect(browser.whoAmI()).resolves.toBe('Alice');
      if (records !== null) expect(await sessionRecords()).toBe(records + 1);
    });

    it.each(CASES.map((c) => [c.name, c] as const))(
      'should answer %s with a failure page, no session and no unwarranted request to the wiki',
      async (_name, c) => {
        let asked = 0;
        let wiki = 0;
        let records: { before: number | null; after: number | null } = { before: null, after: null };
        const { reply, browser, mayAskWiki } = await c.run(async (forgedRequest) => {
          const before = tokenRequests();
          const all = app.devwiki.requests.length;
          const recordsBefore = await sessionRecords();
          const answer = await forgedRequest();
          asked = tokenRequests() - before;
          wiki = app.devwiki.requests.length - all;
          records = { before: recordsBefore, after: await sessionRecords() };
          return answer;
        });
        if (c.status === undefined) {
          expect(reply.status).toBeGreaterThanOrEqual(400);
          expect(reply.status).toBeLessThan(500);
        } else {
          expect(reply.status).toBe(c.status);
          expect(reply.body).toContain('access_denied');
        }
        if (c.name.startsWith('HEAD')) {
          expect(reply.body).toBe('');
        } else {
          expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
          expect(reply.body).toMatch(/<h1>[^<]+<\/h1>/);
        }
        expect(secrets.foundIn(reply.body)).toEqual([]);
        expect(loginCookieSet(reply) ?? '').toBe('');
        if (!mayAskWiki) {
          expect(asked, 'requests to the token endpoint').toBe(0);
          expect(wiki, 'requests to the wiki').toBe(0);
        }
        await expect(browser.whoAmI()).resolves.toBeNull();
        // With Redis: the forged callback wrote no record (the control above shows one would be seen).
        expect(records.after).toBe(records.before);
        forged.push({ name: c.name, status: reply.status, asked });
      },
    );

    it('should print the figure', () => {
      const statuses: Record<number, number> = {};
      for (const f of forged) statuses[f.status] = (statuses[f.status] ?? 0) + 1;
      const asked = forged.filter((f) => f.asked > 0).length;
      console.log(
        `[security] ${label}: ${forged.length} forged callbacks, statuses ${JSON.stringify(statuses)}, 0 sessions, token endpoint asked in ${asked} (only where the callback was well-formed and named the browser's own login)`,
      );
      expect(forged).toHaveLength(CASES.length);
    });

    it('should not log anyone in with a forged callback sent without any cookie, and ask the wiki nothing', async () => {
      const attacker = new Browser(app, secrets);
      const back = await attacker.startLogin('Mallory');
      const before = app.devwiki.requests.length;
      const reply = await send(app, back);
      expect(reply.status).toBe(400);
      expect(app.devwiki.requests.length - before).toBe(0);
      expect(loginCookieSet(reply) ?? '').toBe('');
    });
  });

  describe('HEAD of the login link', () => {
    it('should answer 405 with Allow: GET through the real server and ask the wiki nothing', async () => {
      const browser = new Browser(app, secrets);
      const before = app.devwiki.requests.length;
      const reply = await browser.send('/api/mwoauth/initiate?next=%2Fprofile', { method: 'HEAD' });
      expect(reply.status).toBe(405);
      expect(reply.headers.get('allow')).toBe('GET');
      expect(reply.setCookies).toEqual([]);
      expect(app.devwiki.requests.length - before, 'requests to the wiki').toBe(0);
    });
  });

  // OAuth 2.0 only: `error` and `error_description` come back from the wiki in 2.0's callback.
  // Anyone can start a login, so anyone holds a
  // `state` of their own, and the callback's `error` and `error_description` went to the server log
  // as they came: a line break forged whole log lines, ANSI escapes and U+202E rewrote what a
  // terminal shows.
  if (protocol === '2.0') {
    describe('the log (round 3, finding 4)', () => {
      /** Control characters, DEL, C1, and the bidirectional controls; the log's own line breaks apart. */
      const CONTROLS =
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

      it('should log a forged callback error as one clean line, with the code `invalid`', async () => {
        const browser = new Browser(app, secrets);
        const start = await browser.send('/api/mwoauth/initiate');
        const state = start.location?.searchParams.get('state') ?? '';
        expect(state).not.toBe('');
        const logBefore = app.serverLog();
        const reply = await browser.send(
          q([
            ['state', state],
            ['code', 'x'],
            [
              'error',
              'access_denied\n[mwoauth] callback failed: FORGED\u001b[31m red \u202e\r\n[request] FORGED too',
            ],
            [
              'error_description',
              'x\n[redis] 127.0.0.1:6379 unavailable: FORGED\u2028\u0085[mwoauth] FORGED\u0000',
            ],
          ]),
        );
        await new Promise((r) => setTimeout(r, 300));
        const lines = app
          .serverLog()
          .slice(logBefore.length)
          .split('\n')
          .filter((l) => l !== '');
        console.log(`[security] ${label}: a forged callback error logged as ${JSON.stringify(lines)}`);
        expect(
          lines.filter(
            (l) => /FORGED/.test(l) && !l.startsWith('[mwoauth] callback failed: mediawiki (invalid)'),
          ),
        ).toEqual([]);
        expect(lines.filter((l) => CONTROLS.test(l))).toEqual([]);
        // The page shows the key as `invalid` too (it escaped the forged one, shown to its sender only).
        expect(reply.status).toBe(502);
        expect(reply.body).toContain('<code>invalid</code>');
        expect(reply.body).not.toContain('FORGED');
        expect(
          lines.filter((l) => l.startsWith('[mwoauth] callback failed: mediawiki (invalid)')),
        ).toHaveLength(1);
      });
    });
  }
}

describe.each(MATRIX)('OAuth $protocol, $store store', (cell) => suite(cell));
