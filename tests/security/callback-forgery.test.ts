import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import {
  Browser,
  expectCleanLog,
  HANDSHAKE_COOKIE,
  loginCookieSet,
  Secrets,
  send,
  type Reply,
} from './support';

// A forged, replayed, stale or malformed callback gets a 4xx page, creates no
// session, and reaches the wiki's token endpoint (Special:OAuth/token) only when its oauth_token is
// the request token of a login this browser started (the handshake cookie).

let app: E2EServer;
let secrets: Secrets;
/** What each forged callback got, for the figure. */
const forged: Array<{ name: string; status: number; asked: number }> = [];

beforeAll(async () => {
  app = await startE2EServer();
  secrets = new Secrets(app);
});

afterAll(async () => {
  try {
    if (app !== undefined) expectCleanLog('callback-forgery', app, secrets);
  } finally {
    await app?.close();
  }
});

function tokenRequests(): number {
  return app.devwiki.requests.filter((r) => r.endpoint === 'token').length;
}

/** A browser with an approved login in progress: its callback URL's token and verifier. */
async function pending(username = 'Alice'): Promise<{ browser: Browser; token: string; verifier: string }> {
  const browser = new Browser(app, secrets);
  const back = new URL(await browser.startLogin(username));
  return {
    browser,
    token: back.searchParams.get('oauth_token') ?? '',
    verifier: back.searchParams.get('oauth_verifier') ?? '',
  };
}

const CALLBACK = '/api/mwoauth/callback';
const q = (pairs: Array<[string, string]>): string => `${CALLBACK}?${new URLSearchParams(pairs).toString()}`;

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

interface Case {
  name: string;
  /**
   * Prepares a browser and sends the forged callback through `forge` (which counts the token
   * requests it causes); says whether the token endpoint may be asked: only when the callback is
   * well-formed (one token, one non-empty verifier: lib/mwoauth refuses the rest before any request)
   * and its token is the browser's own login's, so that only the wiki can refuse it.
   */
  run(forge: Forge): Promise<{ reply: Reply; browser: Browser; mayAskWiki: boolean }>;
}

type Forge = (send: () => Promise<Reply>) => Promise<Reply>;

const CASES: Case[] = [
  {
    name: 'no oauth_token and no oauth_verifier',
    async run(forge) {
      const { browser } = await pending();
      return { reply: await forge(() => browser.send(CALLBACK)), browser, mayAskWiki: false };
    },
  },
  {
    name: 'oauth_verifier without oauth_token',
    async run(forge) {
      const { browser, verifier } = await pending();
      return {
        reply: await forge(() => browser.send(q([['oauth_verifier', verifier]]))),
        browser,
        mayAskWiki: false,
      };
    },
  },
  {
    name: 'oauth_token without oauth_verifier',
    async run(forge) {
      const { browser, token } = await pending();
      return {
        reply: await forge(() => browser.send(q([['oauth_token', token]]))),
        browser,
        mayAskWiki: false,
      };
    },
  },
  {
    name: 'empty oauth_token and oauth_verifier',
    async run(forge) {
      const { browser } = await pending();
      const reply = await forge(() => browser.send(`${CALLBACK}?oauth_token=&oauth_verifier=`));
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'the right oauth_token with an empty oauth_verifier',
    async run(forge) {
      const { browser, token } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', ''],
            ['oauth_token', token],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'oauth_token twice (the right one twice)',
    async run(forge) {
      const { browser, token, verifier } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_token', token],
            ['oauth_token', token],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'oauth_token twice (another one first)',
    async run(forge) {
      const { browser, token, verifier } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_token', 'f'.repeat(32)],
            ['oauth_token', token],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'oauth_verifier twice',
    async run(forge) {
      const { browser, token, verifier } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_verifier', verifier],
            ['oauth_token', token],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'a 10 000-character oauth_token',
    async run(forge) {
      const { browser, verifier } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_token', 'a'.repeat(10_000)],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'NUL, CR and LF in oauth_token and oauth_verifier',
    async run(forge) {
      const { browser, token } = await pending();
      const reply = await forge(() =>
        browser.send(`${CALLBACK}?oauth_verifier=%00%0d%0aX&oauth_token=${token}%00%0d%0a`),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'array syntax oauth_token[]',
    async run(forge) {
      const { browser, token, verifier } = await pending();
      const reply = await forge(() =>
        browser.send(`${CALLBACK}?oauth_verifier=${verifier}&oauth_token[]=${token}`),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'non-ASCII oauth_token',
    async run(forge) {
      const { browser, verifier } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_token', 'ｔｏｋｅｎ\u202e\ufeff'],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
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
      const attacker = new Browser(app, secrets);
      const back = await attacker.startLogin('Mallory');
      const { browser: victim } = await pending('Alice');
      return { reply: await forge(() => victim.send(back)), browser: victim, mayAskWiki: false };
    },
  },
  {
    name: 'the same callback again after it logged in (replay)',
    async run(forge) {
      const browser = new Browser(app, secrets);
      const back = await browser.startLogin('Alice');
      const first = await browser.send(back);
      expect(first.status).toBe(303);
      browser.jar.cookies.delete('mwoauth_session');
      return { reply: await forge(() => browser.send(back)), browser, mayAskWiki: false };
    },
  },
  {
    name: 'the same callback again with the handshake cookie copied before it logged in (replay)',
    async run(forge) {
      const browser = new Browser(app, secrets);
      const back = await browser.startLogin('Alice');
      const copied = browser.jar.cookies.get(HANDSHAKE_COOKIE) ?? '';
      expect((await browser.send(back)).status).toBe(303);
      const replayer = new Browser(app, secrets);
      replayer.jar.cookies.set(HANDSHAKE_COOKIE, copied);
      // The token matches the copied handshake, so the wiki is asked, and refuses: request tokens
      // are single use (Extension:OAuth; _facts.json). Stateless cookies cannot know it was used.
      return { reply: await forge(() => replayer.send(back)), browser: replayer, mayAskWiki: true };
    },
  },
  {
    name: 'a callback 11 minutes after the login started (handshake expired)',
    async run(forge) {
      const { browser, token, verifier } = await pending();
      await ageHandshake(browser, 11 * 60);
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_token', token],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'a callback with a handshake cookie whose seal expired',
    async run(forge) {
      const { browser, token, verifier } = await pending();
      await expireSeal(browser);
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_token', token],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'a wrong oauth_verifier',
    async run(forge) {
      const { browser, token } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', '0'.repeat(32)],
            ['oauth_token', token],
          ]),
        ),
      );
      return { reply, browser, mayAskWiki: true };
    },
  },
  {
    name: 'POST with the right oauth_token and oauth_verifier',
    async run(forge) {
      const { browser, token, verifier } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_token', token],
          ]),
          { method: 'POST' },
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
  {
    name: 'HEAD with the right oauth_token and oauth_verifier',
    async run(forge) {
      const { browser, token, verifier } = await pending();
      const reply = await forge(() =>
        browser.send(
          q([
            ['oauth_verifier', verifier],
            ['oauth_token', token],
          ]),
          { method: 'HEAD' },
        ),
      );
      return { reply, browser, mayAskWiki: false };
    },
  },
];

describe('forged callbacks', () => {
  it('should log in with the genuine callback (the control: the checks below can see a login)', async () => {
    const { browser, token, verifier } = await pending('Alice');
    const before = tokenRequests();
    const reply = await browser.send(
      q([
        ['oauth_verifier', verifier],
        ['oauth_token', token],
      ]),
    );
    expect(reply.status).toBe(303);
    expect(tokenRequests() - before).toBe(1);
    expect(loginCookieSet(reply)).toMatch(/^Fe26\.2\*/);
    await expect(browser.whoAmI()).resolves.toBe('Alice');
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    'should answer %s with a 4xx page, no session and no unwarranted token request',
    async (_name, c) => {
      let asked = 0;
      const { reply, browser, mayAskWiki } = await c.run(async (forgedRequest) => {
        const before = tokenRequests();
        const answer = await forgedRequest();
        asked = tokenRequests() - before;
        return answer;
      });
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      if (c.name.startsWith('HEAD')) {
        expect(reply.body).toBe('');
      } else {
        expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
        expect(reply.body).toMatch(/<h1>[^<]+<\/h1>/);
      }
      expect(loginCookieSet(reply) ?? '').toBe('');
      if (!mayAskWiki) expect(asked, 'requests to Special:OAuth/token').toBe(0);
      await expect(browser.whoAmI()).resolves.toBeNull();
      forged.push({ name: c.name, status: reply.status, asked });
    },
  );

  it('should print the figure', () => {
    const statuses: Record<number, number> = {};
    for (const f of forged) statuses[f.status] = (statuses[f.status] ?? 0) + 1;
    const asked = forged.filter((f) => f.asked > 0).length;
    console.log(
      `[security] callback-forgery: ${forged.length} forged callbacks, statuses ${JSON.stringify(statuses)}, 0 sessions, token endpoint asked in ${asked} (only where the callback was well-formed and its token the browser's own)`,
    );
    expect(forged).toHaveLength(CASES.length);
  });

  it('should not log anyone in with a forged callback sent without any cookie', async () => {
    const attacker = new Browser(app, secrets);
    const back = await attacker.startLogin('Mallory');
    const before = tokenRequests();
    const reply = await send(app, back);
    expect(reply.status).toBe(400);
    expect(tokenRequests() - before).toBe(0);
    expect(loginCookieSet(reply) ?? '').toBe('');
  });
});

describe('HEAD of the login link', () => {
  it('should answer 405 with Allow: GET through the real server and make the wiki issue no request token', async () => {
    const browser = new Browser(app, secrets);
    const before = app.devwiki.requests.length;
    const reply = await browser.send('/api/mwoauth/initiate?next=%2Fprofile', { method: 'HEAD' });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('GET');
    expect(reply.setCookies).toEqual([]);
    expect(app.devwiki.requests.length - before, 'requests to the wiki').toBe(0);
  });
});
