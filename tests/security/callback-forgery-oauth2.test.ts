import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevwikiConsumer } from '@/devwiki';
import type { E2EServer } from '@/tests/support/e2e-app';
import { Browser, expectCleanLog, loginCookieSet, Secrets, send, startFor, type Reply } from './support';

// Beside callback-forgery.test.ts (OAuth 1.0a): a forged, repeated, replayed or refused
// OAuth 2.0 callback gets a 4xx page, creates no session, and reaches the wiki's token endpoint
// (rest.php/oauth2/access_token) only when its state is that of a login this browser started (the
// handshake cookie) and exactly one code came with it. Over real HTTP against `next start`; what
// tests/app/routes-oauth2.test.ts already shows in-process (a state of no login, another
// browser's callback, a doubled state, a replayed code, error=access_denied) is here once more
// through the built server, with the cases around them.

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

let app: E2EServer;
let secrets: Secrets;
const forged: Array<{ name: string; status: number; asked: number }> = [];

beforeAll(async () => {
  app = await startFor('2.0', { otherConsumers: [OTHER_CLIENT] });
  secrets = new Secrets(app);
});

afterAll(async () => {
  try {
    if (app !== undefined) expectCleanLog('callback-forgery (OAuth 2.0)', app, secrets);
  } finally {
    await app?.close();
  }
});

function tokenRequests(): number {
  return app.devwiki.requests.filter((r) => r.endpoint === 'token').length;
}

/** A browser with an approved 2.0 login in progress: its callback URL's code and state. */
async function pending(
  username = 'Alice',
): Promise<{ browser: Browser; back: string; code: string; state: string }> {
  const browser = new Browser(app, secrets);
  const back = await browser.startLogin(username);
  const url = new URL(back);
  return {
    browser,
    back,
    code: url.searchParams.get('code') ?? '',
    state: url.searchParams.get('state') ?? '',
  };
}

const CALLBACK = '/api/mwoauth/callback';
const q = (pairs: Array<[string, string]>): string => `${CALLBACK}?${new URLSearchParams(pairs).toString()}`;

interface Case {
  name: string;
  /**
   * The status when it is not a 4xx: an `error` the wiki put in the callback is the wiki's answer,
   * shown as the failure catalogue's "The wiki refused" (502) with its key, as any wiki error is.
   */
  status?: number;
  /** Sends the forged callback through `forge`; says whether the token endpoint may be asked. */
  run(forge: Forge): Promise<{ reply: Reply; browser: Browser; mayAskWiki: boolean }>;
}

type Forge = (send: () => Promise<Reply>) => Promise<Reply>;

const CASES: Case[] = [
  {
    name: 'no code and no state',
    async run(forge) {
      const { browser } = await pending();
      return { reply: await forge(() => browser.send(CALLBACK)), browser, mayAskWiki: false };
    },
  },
  {
    name: 'the code without its state',
    async run(forge) {
      const { browser, code } = await pending();
      return { reply: await forge(() => browser.send(q([['code', code]]))), browser, mayAskWiki: false };
    },
  },
  {
    name: 'the state without a code',
    async run(forge) {
      const { browser, state } = await pending();
      return { reply: await forge(() => browser.send(q([['state', state]]))), browser, mayAskWiki: false };
    },
  },
  {
    name: 'empty code and state',
    async run(forge) {
      const { browser } = await pending();
      return {
        reply: await forge(() => browser.send(`${CALLBACK}?code=&state=`)),
        browser,
        mayAskWiki: false,
      };
    },
  },
  {
    name: 'the right state with an empty code',
    async run(forge) {
      const { browser, state } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['code', ''],
            ['state', state],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'a forged state with the right code',
    async run(forge) {
      const { browser, code } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['code', code],
            ['state', 'f'.repeat(43)],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'the state twice (the right one twice)',
    async run(forge) {
      const { browser, code, state } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['code', code],
            ['state', state],
            ['state', state],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'the code twice',
    async run(forge) {
      const { browser, code, state } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['code', code],
            ['code', code],
            ['state', state],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: "another browser's callback (login CSRF: the attacker's code and state in the victim's browser)",
    async run(forge) {
      const { browser } = await pending('Alice');
      const attacker = await pending('Mallory');
      return { reply: await forge(() => browser.send(attacker.back)), browser, mayAskWiki: false };
    },
  },
  {
    name: 'the callback a second time (its handshake already spent)',
    async run(forge) {
      const { browser, back } = await pending('Alice');
      const first = await browser.send(back);
      expect(first.status).toBe(303);
      // Logged out again, so that what the second callback does is seen alone.
      await browser.logout();
      return { reply: await forge(() => browser.send(back)), browser, mayAskWiki: false };
    },
  },
  {
    name: 'the code replayed with the handshake cookie copied before its first use (the wiki refuses, o2-07)',
    async run(forge) {
      const { browser, back } = await pending('Alice');
      const copy = new Browser(app, secrets);
      for (const [name, value] of browser.jar.cookies) copy.jar.cookies.set(name, value);
      expect((await browser.send(back)).status).toBe(303);
      return { reply: await forge(() => copy.send(back)), browser: copy, mayAskWiki: true };
    },
  },
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
    name: 'error=access_denied with the right state',
    status: 502,
    async run(forge) {
      const { browser, state } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['error', 'access_denied'],
            ['state', state],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'error=access_denied with the right code and state',
    status: 502,
    async run(forge) {
      const { browser, code, state } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['error', 'access_denied'],
            ['code', code],
            ['state', state],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: "OAuth 1.0a's parameters (oauth_verifier, oauth_token)",
    async run(forge) {
      const { browser } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', 'v'],
            ['oauth_token', 't'],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'POST with the right code and state',
    async run(forge) {
      const { browser, code, state } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['code', code],
            ['state', state],
          ]),
          { method: 'POST', headers: { origin: app.origin } },
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
];

describe('forged OAuth 2.0 callbacks', () => {
  it('should log in with the genuine callback (the control: the checks below can see a login)', async () => {
    const { browser, back } = await pending('Alice');
    const before = tokenRequests();
    const reply = await browser.send(back);
    expect(reply.status).toBe(303);
    expect(tokenRequests() - before).toBe(1);
    expect(loginCookieSet(reply)).toMatch(/^Fe26\.2\*/);
    await expect(browser.whoAmI()).resolves.toBe('Alice');
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    'should answer %s with a failure page, no session and no unwarranted token request',
    async (_name, c) => {
      let asked = 0;
      let wiki = 0;
      const { reply, browser, mayAskWiki } = await c.run(async (forgedRequest) => {
        const before = tokenRequests();
        const all = app.devwiki.requests.length;
        const answer = await forgedRequest();
        asked = tokenRequests() - before;
        wiki = app.devwiki.requests.length - all;
        return answer;
      });
      if (c.status === undefined) {
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
      } else {
        expect(reply.status).toBe(c.status);
        expect(reply.body).toContain('access_denied');
      }
      expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
      expect(reply.body).toMatch(/<h1>[^<]+<\/h1>/);
      expect(secrets.foundIn(reply.body)).toEqual([]);
      expect(loginCookieSet(reply) ?? '').toBe('');
      if (!mayAskWiki) {
        expect(asked, 'requests to the token endpoint').toBe(0);
        expect(wiki, 'requests to the wiki').toBe(0);
      }
      await expect(browser.whoAmI()).resolves.toBeNull();
      forged.push({ name: c.name, status: reply.status, asked });
    },
  );

  it('should print the figure', () => {
    const statuses: Record<number, number> = {};
    for (const f of forged) statuses[f.status] = (statuses[f.status] ?? 0) + 1;
    const asked = forged.filter((f) => f.asked > 0).length;
    console.log(
      `[security] callback-forgery (OAuth 2.0): ${forged.length} forged callbacks, statuses ${JSON.stringify(statuses)}, 0 sessions, token endpoint asked in ${asked} (only where exactly one code came with the browser's own state)`,
    );
    expect(forged).toHaveLength(CASES.length);
  });

  it('should not log anyone in with a callback sent without any cookie, and ask the wiki nothing', async () => {
    const attacker = new Browser(app, secrets);
    const back = await attacker.startLogin('Mallory');
    const before = app.devwiki.requests.length;
    const reply = await send(app, back);
    expect(reply.status).toBe(400);
    expect(app.devwiki.requests.length - before).toBe(0);
    expect(loginCookieSet(reply) ?? '').toBe('');
  });
});

// Anyone can start a login, so anyone holds a
// `state` of their own, and the callback's `error` and `error_description` went to the server log as
// they came: a line break forged whole log lines, ANSI escapes and U+202E rewrote what a terminal
// shows.
describe('the log', () => {
  /** Control characters, DEL, C1, and the bidirectional controls; the log's own line breaks apart. */
  const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

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
    console.log(
      `[security] callback-forgery (OAuth 2.0): a forged callback error logged as ${JSON.stringify(lines)}`,
    );
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
    expect(lines.filter((l) => l.startsWith('[mwoauth] callback failed: mediawiki (invalid)'))).toHaveLength(
      1,
    );
  });
});
