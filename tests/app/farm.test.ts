import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { GET as callback } from '@/app/api/mwoauth/callback/route';
import { GET as initiateRoute } from '@/app/api/mwoauth/initiate/route';
import { isMWOAuthError } from 'mwoauth';
import { getConfig } from '@/lib/server/config';
import { AppError } from '@/lib/server/core/errors';
import { allowedWikis, NO_LOCAL_ACCOUNT, WRONG_WIKI, type WikiTarget } from '@/lib/server/wiki/farm';
import { withUser, type WikiUser } from '@/lib/server/auth';
import { loadWikiAccounts } from '@/app/profile/_lib/profile';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import {
  configureFor,
  CookieJar,
  readRevisionThroughApi,
  request,
  testConsumer,
  testOAuth2Client,
} from '@/tests/support/app-harness';
import { MATRIX, storeEnv } from '@/tests/support/matrix';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';

// One login, many wikis, as a route handler of the tool's own calls them: a devwiki farm
// of three wikis (devwiki, the central one, where users log in; devwiki2 and devwiki3, listed in
// MW_WIKIS), both protocols and both session stores. What devwiki answers there is what the recorded
// MediaWiki 1.39 farm answered (tests/devwiki/farm.test.ts replays farm-01..21 against it).

const oauth1 = testConsumer();
const oauth2 = testOAuth2Client();
// The same apps registered with "Applicable project" = the central wiki only (oarc_wiki 'devwiki').
const oauth1CentralOnly = testConsumer({
  id: 8,
  name: 'app tests, central wiki only',
  key: '7e57a99c0ffee7e57a99c0ffee000008',
  secret: '7e57a99c0ffee7e57a99c0ffee7e57a99c0f0008',
  wiki: 'devwiki',
});
const oauth2CentralOnly = testOAuth2Client({
  id: 18,
  name: 'app tests (OAuth 2.0), central wiki only',
  key: '7e57a99c0ffee7e57a99c0ffee000018',
  secret: '7e57a99c0ffee7e57a99c0ffee7e57a99c0f0018',
  wiki: 'devwiki',
});

let central: Devwiki;
let second: Devwiki;
let third: Devwiki;
let redis: TestRedis;
const savedEnv = { ...process.env };

beforeAll(async () => {
  [central, redis] = await Promise.all([
    startDevwiki({
      consumers: [oauth1, oauth2, oauth1CentralOnly, oauth2CentralOnly],
      refreshTokenTtlS: 24 * 3600,
      otherWikis: [{}, {}],
    }),
    startRedis(),
  ]);
  const [two, three] = central.otherWikis;
  if (two === undefined || three === undefined) throw new Error('devwiki started no other wikis');
  [second, third] = [two, three];
});
afterAll(async () => {
  await central?.close();
  await redis?.stop();
});
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

/** The page the edits below append to, on any wiki of the farm. */
const sandboxTitle = (username: string): string => `User:${username}/sandbox`;

/**
 * Appends `line` to the user's sandbox on `wiki` (default the login wiki), as a tool's own code
 * would: that wiki's CSRF token, then action=edit, in one withWiki. The wiki's refusal comes back as
 * its code.
 */
async function appendLine(
  user: WikiUser,
  line: string,
  wiki: WikiTarget | null = null,
): Promise<{ ok: true; revid: unknown } | { ok: false; mediawikiCode: string | null }> {
  try {
    const answer = await user.withWiki(
      async (api) =>
        api.post({
          action: 'edit',
          title: sandboxTitle(user.username),
          appendtext: `\n* ${line}`,
          token: await api.getToken('csrf'),
        }),
      { wiki: wiki?.apiUrl ?? null },
    );
    const edit = answer.edit;
    return {
      ok: true,
      revid: typeof edit === 'object' && edit !== null ? Reflect.get(edit, 'newrevid') : null,
    };
  } catch (error) {
    if (!isMWOAuthError(error)) throw error;
    return { ok: false, mediawikiCode: error.mediawikiCode };
  }
}

/** Every request any wiki of the farm has received. */
const farmRequests = (): number => central.requests.length + second.requests.length + third.requests.length;

async function logIn(jar: CookieJar, username: string): Promise<void> {
  const start = await initiateRoute(request('/api/mwoauth/initiate?next=/profile', jar));
  expect(start.status).toBe(303);
  jar.update(start);
  const back = await central.approve(start.headers.get('location') ?? '', username);
  const done = await callback(request(back, jar));
  expect(done.status).toBe(303);
  jar.update(done);
  expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
}

/** Runs `task` as the logged-in user of `jar` inside a route handler; its JSON answer, and the response. */
async function asUser(
  jar: CookieJar,
  task: (user: WikiUser) => Promise<unknown>,
): Promise<{ status: number; body: unknown }> {
  const handler = withUser(async (_request, user) => Response.json({ value: await task(user) }));
  const response = await handler(request('/api/mine', jar));
  jar.update(response);
  const body: unknown = await response.json();
  return { status: response.status, body };
}

/** A plain object of the handler's answer (the test's own routes answer { value }). */
function valueOf(answer: { body: unknown }): unknown {
  const body = answer.body;
  return typeof body === 'object' && body !== null && 'value' in body ? body.value : undefined;
}

/** The error a promise rejects with, or a failure of the test if it resolves. */
async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

describe.each(MATRIX)('one login, many wikis (OAuth $protocol, $store store)', ({ protocol, store }) => {
  let n = 0;
  /** A user name of this test: each logs in afresh, with an account on the central wiki only. */
  const someone = (): string => `Farm${protocol === '2.0' ? 'Two' : 'One'}${store}${++n}`;
  const configure = (consumer: DevwikiConsumer): void =>
    configureFor(central, consumer, {
      MW_WIKIS: `${second.apiUrl},${third.apiUrl}`,
      ...storeEnv(store, redis),
    });

  beforeEach(() => configure(protocol === '2.0' ? oauth2 : oauth1));

  it("should list each configured wiki's account or its failure, asked at once, and keep the login", async () => {
    const jar = new CookieJar();
    const name = someone();
    await logIn(jar, name);
    // An account on devwiki2 (as one visit there makes it: farm-21), none yet on devwiki3.
    second.createLocalAccount(name);
    const before = { second: second.requests.length, third: third.requests.length };
    // Both answers 300 ms late: asked one after the other, they would arrive 300 ms apart.
    second.setFault('api', { kind: 'latency', ms: 300 });
    third.setFault('api', { kind: 'latency', ms: 300 });
    let answer;
    try {
      answer = await asUser(jar, async (user) => {
        const accounts = await loadWikiAccounts(
          user,
          allowedWikis(getConfig()).filter((w) => !w.home),
        );
        return accounts.map((a) =>
          a.kind === 'ok'
            ? { wiki: a.wiki.name, name: a.name, editcount: a.editcount, groups: a.groups }
            : {
                wiki: a.wiki.name,
                failed: isMWOAuthError(a.error) ? a.error.mediawikiCode : String(a.error),
              },
        );
      });
    } finally {
      second.setFault('api', null);
      third.setFault('api', null);
    }
    expect(answer.status).toBe(200);
    expect(valueOf(answer)).toEqual([
      { wiki: new URL(second.origin).host, name, editcount: 0, groups: ['user', 'autoconfirmed'] },
      { wiki: new URL(third.origin).host, failed: NO_LOCAL_ACCOUNT },
    ]);
    // One meta=userinfo a wiki, sent together.
    const asked = [second.requests.slice(before.second), third.requests.slice(before.third)];
    expect(asked.map((r) => r.map((q) => q.action))).toEqual([['query'], ['query']]);
    const [a, b] = asked.map((r) => r[0]?.time ?? NaN);
    expect(Math.abs((a ?? NaN) - (b ?? NaN))).toBeLessThan(250);
    // The failure on devwiki3 did not end the login on the home wiki.
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
    const home = await asUser(jar, (user) =>
      user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo' })),
    );
    expect(home.status).toBe(200);
  });

  it("should edit the sandbox of the second wiki, with that wiki's token, tagged with the consumer there", async () => {
    const jar = new CookieJar();
    const name = someone();
    await logIn(jar, name);
    second.createLocalAccount(name);
    const consumer = protocol === '2.0' ? oauth2 : oauth1;
    const before = second.requests.length;
    const answer = await asUser(jar, async (user) => {
      const wiki = allowedWikis(getConfig()).find((w) => w.apiUrl === second.apiUrl) ?? null;
      // Two edits on devwiki2, one on the home wiki, in one request: each wiki's own CSRF token.
      const first = await appendLine(user, 'a line on the second wiki', wiki);
      const again = await appendLine(user, 'and another', wiki);
      const home = await appendLine(user, 'a line at home');
      return [first, again, home];
    });
    expect(answer.status).toBe(200);
    const sent = second.requests.slice(before).map((r) => r.action);
    const results = valueOf(answer);
    expect(results).toEqual([
      { ok: true, revid: expect.any(Number) },
      { ok: true, revid: expect.any(Number) },
      { ok: true, revid: expect.any(Number) },
    ]);
    const again: unknown = Array.isArray(results) ? results[1] : null;
    const againRevid = typeof again === 'object' && again !== null && 'revid' in again ? again.revid : null;
    // Read back through devwiki2's own api.php, as anyone sees it.
    const saved = await readRevisionThroughApi(second.apiUrl, sandboxTitle(name));
    expect(saved).toMatchObject({ user: name, revid: againRevid });
    expect(saved?.tags).toContain(`OAuth CID: ${consumer.id}`);
    expect(saved?.content.split('\n')).toEqual(
      expect.arrayContaining(['* a line on the second wiki', '* and another']),
    );
    expect(saved?.content).not.toContain('a line at home');
    const atHome = await readRevisionThroughApi(central.apiUrl, sandboxTitle(name));
    expect(atHome?.content).toContain('* a line at home');
    expect(atHome?.content).not.toContain('second wiki');
    // devwiki2 gave its token once (meta=tokens) for both edits: 1 query + 2 edits.
    expect(sent).toEqual(['query', 'edit', 'edit']);
  });

  it('should answer who the user is on another wiki, and why not on one without their account', async () => {
    const jar = new CookieJar();
    const name = someone();
    await logIn(jar, name);
    second.createLocalAccount(name);
    const answer = await asUser(jar, async (user) => {
      const there = await user.identify({ wiki: new URL(second.apiUrl).host });
      const missing = await refusal(user.identify({ wiki: third.apiUrl }));
      return {
        there: there.suppressed ? null : there.username,
        missing: isMWOAuthError(missing) ? missing.mediawikiCode : String(missing),
      };
    });
    expect(answer.status).toBe(200);
    // 2.0: devwiki3's resource/profile fails with HTTP 500 for a user it does not know (as REL1_39
    // does); its api.php tells why, and that is what the app reports.
    expect(valueOf(answer)).toEqual({ there: name, missing: NO_LOCAL_ACCOUNT });
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
  });

  it('should report a consumer registered for the central wiki only as wrong-wiki, and keep the login', async () => {
    configure(protocol === '2.0' ? oauth2CentralOnly : oauth1CentralOnly);
    const jar = new CookieJar();
    const name = someone();
    await logIn(jar, name);
    second.createLocalAccount(name);
    const answer = await asUser(jar, async (user) => {
      const [account] = await loadWikiAccounts(
        user,
        allowedWikis(getConfig()).filter((w) => w.apiUrl === second.apiUrl),
      );
      const wiki = allowedWikis(getConfig()).find((w) => w.apiUrl === second.apiUrl) ?? null;
      const edit = await appendLine(user, 'refused', wiki);
      const home = await user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo' }));
      return {
        account:
          account?.kind === 'error' && isMWOAuthError(account.error) ? account.error.mediawikiCode : null,
        edit,
        home: typeof home.query === 'object' && home.query !== null,
      };
    });
    expect(answer.status).toBe(200);
    expect(valueOf(answer)).toEqual({
      account: WRONG_WIKI,
      edit: { ok: false, mediawikiCode: WRONG_WIKI },
      home: true,
    });
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
    expect(await readRevisionThroughApi(second.apiUrl, sandboxTitle(name))).toBeNull();
  });

  it('should refuse a wiki outside MW_WIKIS before any request, naming MW_WIKIS', async () => {
    const jar = new CookieJar();
    await logIn(jar, someone());
    // A wiki of the same farm that is not listed, a stranger, and an api.php of a listed host at
    // another path: none may receive the user's token.
    configure(protocol === '2.0' ? oauth2 : oauth1);
    process.env.MW_WIKIS = second.apiUrl;
    const answer = await asUser(jar, async (user) => {
      const before = farmRequests();
      const errors = [];
      for (const wiki of [
        third.apiUrl,
        new URL(third.apiUrl).host,
        'https://evil.example/w/api.php',
        `${second.origin}/other/api.php`,
      ]) {
        errors.push(
          await refusal(user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo' }), { wiki })),
          await refusal(user.identify({ wiki })),
        );
      }
      return {
        sent: farmRequests() - before,
        codes: errors.map((e) => (e instanceof AppError ? e.code : String(e))),
        namesMwWikis: errors.every((e) => e instanceof AppError && e.message.includes('MW_WIKIS')),
      };
    });
    expect(answer.status).toBe(200);
    expect(valueOf(answer)).toEqual({
      sent: 0,
      codes: Array(8).fill('wiki_not_allowed'),
      namesMwWikis: true,
    });
  });
});
