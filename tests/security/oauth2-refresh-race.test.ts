import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DevwikiConsumer } from '@/devwiki';
import { freePort, startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { cellsOf, storeEnv, type Cell } from '@/tests/support/matrix';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import {
  Browser,
  expectCleanLog,
  LOGIN_COOKIE,
  loginCookieSet,
  prng,
  Secrets,
  send,
  tally,
  type Reply,
} from './support';

// No spurious logout: ONE OAuth 2.0 session at the expiry of its access token, many
// requests at once with that one cookie, against the built app (`next start`, proxy.ts refreshing
// for pages) and devwiki, whose refresh tokens rotate (the old one dies at first use: o2-15).
// Counts: how many answers were a logout, and how many refresh requests reached the wiki.

const PARALLEL = 10;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function suite(cell: Cell): void {
  const { store } = cell;
  /** The cookie store seals the refreshed tokens in a new cookie; Redis rewrites the record only. */
  const rewritesCookie = store === 'cookie';
  let app: E2EServer;
  let secrets: Secrets;

  beforeAll(async () => {
    const port = await freePort();
    const client: DevwikiConsumer = {
      id: 46,
      name: 'next-mwoauth security (OAuth 2.0, refresh race)',
      key: 'e2ee2ee2ee2ee2ee2ee2ee2ee2e00046',
      secret: 'e2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee200046',
      oauthVersion: '2.0',
      confidential: true,
      callbackUrl: `http://localhost:${port}/api/mwoauth/callback`,
      callbackIsPrefix: false,
      grants: ['basic', 'editpage', 'createeditmovepage'],
      ownerOnly: false,
    };
    // Refresh tokens that outlive the file unless a test shortens them (MediaWiki 1.39's default is PT1M).
    app = await startE2EServer({
      port,
      consumer: client,
      devwiki: { refreshTokenTtlS: 3600 },
      env: storeEnv(store, redis),
    });
    secrets = new Secrets(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  /** The answers' cookies teach `secrets` the tokens inside; no answer may show one. */
  async function expectNoTokenIn(replies: readonly Reply[]): Promise<void> {
    for (const reply of replies) await secrets.learnFrom(reply.setCookies);
    for (const reply of replies) expect(secrets.foundIn(reply.body)).toEqual([]);
  }
  beforeEach(() => {
    app.devwiki.setClockOffset(0);
    app.devwiki.setTokenLifetimes({ accessTokenTtlS: 3600, refreshTokenTtlS: 3600 });
  });

  function refreshRequests(): number {
    return app.devwiki.requests.filter((r) => r.endpoint === 'token' && r.grantType === 'refresh_token')
      .length;
  }

  /**
   * A browser logged in as `username` with an access token that expires in 30 s: due at once (the
   * app refreshes 60 s ahead). Tokens issued afterwards live an hour again.
   */
  async function loggedInAtExpiry(username: string): Promise<Browser> {
    app.devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    const browser = new Browser(app, secrets);
    const back = await browser.logIn(username);
    expect(back.status).toBe(303);
    expect(browser.jar.cookies.has(LOGIN_COOKIE)).toBe(true);
    app.devwiki.setTokenLifetimes({ accessTokenTtlS: 3600 });
    return browser;
  }

  /** A logout, as a page answer: to the login page, the revoked notice, or a cleared login cookie. */
  function isLogout(reply: Reply): boolean {
    const to = reply.location === null ? '' : `${reply.location.pathname}${reply.location.search}`;
    return (
      reply.status !== 200 ||
      to.includes('notice=revoked') ||
      to.startsWith('/api/mwoauth/initiate') ||
      loginCookieSet(reply) === ''
    );
  }

  describe('ten page requests at once with one session at expiry', () => {
    it('should log nobody out and refresh exactly once; a late request with the old cookie gets the successor', async () => {
      const browser = await loggedInAtExpiry('Alice');
      const cookie = browser.jar.header();
      const before = refreshRequests();

      const replies = await Promise.all(
        Array.from({ length: PARALLEL }, () => send(app, '/profile', { cookie })),
      );
      const logouts = replies.filter(isLogout).length;
      const refreshes = refreshRequests() - before;
      const withNewCookie = replies.filter((r) => (loginCookieSet(r) ?? '') !== '').length;
      await expectNoTokenIn(replies);
      console.log(
        `race (2.0, ${store} store, /profile ×${PARALLEL}, one cookie at expiry): statuses ${JSON.stringify(tally(replies.map((r) => r.status)))}, ` +
          `${logouts} logouts, ${refreshes} refresh request(s) to the wiki, ${withNewCookie} answers carrying the refreshed cookie`,
      );
      expect(logouts).toBe(0);
      expect(refreshes).toBe(1);
      for (const reply of replies) {
        expect(reply.status).toBe(200);
        expect(reply.body).toMatch(/<h1[^>]*><bdi>Alice<\/bdi><\/h1>/);
      }
      // Every answer stores the rotated refresh token (the old one is dead on the wiki): in the cookie
      // each answer sets, or in the one Redis record.
      expect(withNewCookie).toBe(rewritesCookie ? PARALLEL : 0);

      // A request that left before the refresh, arriving now with the old cookie (old refresh token):
      // the successor, within the 60 s grace, not a logout and not a second refresh.
      const late = await send(app, '/profile', { cookie });
      await expectNoTokenIn([late]);
      expect(isLogout(late)).toBe(false);
      expect(late.body).toMatch(/<h1[^>]*><bdi>Alice<\/bdi><\/h1>/);
      expect((loginCookieSet(late) ?? '') !== '').toBe(rewritesCookie);
      expect(refreshRequests() - before).toBe(1);
      console.log(
        `race (2.0, ${store} store): a late request with the old cookie → ${late.status}, ${refreshRequests() - before} refresh request(s) in all`,
      );

      // And the browser, with the cookie one of the answers set, carries on without refreshing.
      const next = replies[0];
      if (next === undefined) throw new Error('no reply');
      if (rewritesCookie) browser.jar.cookies.set(LOGIN_COOKIE, loginCookieSet(next) ?? '');
      const after = await browser.send('/profile');
      expect(after.status).toBe(200);
      expect(loginCookieSet(after)).toBeNull();
      expect(refreshRequests() - before).toBe(1);
    });

    it('should refresh exactly once for ten identify calls at once (route handlers)', async () => {
      const browser = await loggedInAtExpiry('Alice');
      const cookie = browser.jar.header();
      const before = refreshRequests();
      const replies = await Promise.all(
        Array.from({ length: PARALLEL }, () => send(app, '/api/mwoauth/identify', { cookie })),
      );
      const refreshes = refreshRequests() - before;
      await expectNoTokenIn(replies);
      console.log(
        `race (2.0, ${store} store, /api/mwoauth/identify ×${PARALLEL}): statuses ${JSON.stringify(tally(replies.map((r) => r.status)))}, ${refreshes} refresh request(s)`,
      );
      expect(replies.map((r) => r.status)).toEqual(Array.from({ length: PARALLEL }, () => 200));
      expect(refreshes).toBe(1);
    });
  });

  describe('pages and route handlers at once', () => {
    it('should refresh exactly once for five page requests and five identify calls with one cookie', async () => {
      // proxy.ts and the route handlers are separate bundles: one refresh needs them to share
      // the store's in-flight refreshes and successors (cookie-store.ts keeps them on globalThis).
      const browser = await loggedInAtExpiry('Alice');
      const cookie = browser.jar.header();
      const before = refreshRequests();
      const replies = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          send(app, i % 2 === 0 ? '/profile' : '/api/mwoauth/identify', { cookie }),
        ),
      );
      const refreshes = refreshRequests() - before;
      console.log(
        `race (2.0, ${store} store, /profile ×5 + /api/mwoauth/identify ×5): statuses ${JSON.stringify(tally(replies.map((r) => r.status)))}, ${replies.filter(isLogout).length} logouts, ${refreshes} refresh request(s)`,
      );
      await expectNoTokenIn(replies);
      expect(replies.filter(isLogout)).toEqual([]);
      expect(refreshes).toBe(1);
    });
  });

  describe('a logout racing requests that refresh', () => {
    it('should not let a request that read the cookie before the logout write the session after it', async () => {
      // The OAuth 1.0a version (cookies.test.ts) holds because no racer writes the login cookie. With
      // OAuth 2.0 a racer whose token is due refreshes and writes it. Here the logout is handled
      // first, then requests that left with the old cookie arrive: none may set a session again.
      const browser = await loggedInAtExpiry('Alice');
      const cookie = browser.jar.header();
      const logout = await browser.logout('/?notice=loggedout');
      expect(logout.status).toBe(303);
      expect(loginCookieSet(logout)).toBe('');
      const before = refreshRequests();
      const late = await Promise.all(
        [
          '/profile',
          '/action-fixture',
          '/api/mwoauth/identify',
          '/',
          '/profile',
          '/api/mwoauth/identify',
        ].map((path) => send(app, path, { cookie })),
      );
      await expectNoTokenIn(late);
      const setAgain = late.filter((r) => (loginCookieSet(r) ?? '') !== '').length;
      console.log(
        `race (2.0, ${store} store): ${late.length} requests with the pre-logout cookie after the logout: ${setAgain} set a session, ` +
          `statuses ${JSON.stringify(tally(late.map((r) => r.status)))}, ${refreshRequests() - before} refresh request(s)`,
      );
      expect(setAgain).toBe(0);
      for (const reply of late) {
        expect(reply.body).not.toMatch(/<h1[^>]*><bdi>Alice<\/bdi><\/h1>/);
        if (reply.location !== null) expect(reply.location.search).not.toContain('notice=revoked');
      }
    });

    it('should answer a logout sent among refreshing requests, and count the racers that set the session again', async () => {
      // Cookie store: a racer whose refresh was saved before the logout was handled already carries
      // its Set-Cookie; when its page answers after the logout, the browser keeps that cookie: sealed
      // cookies cannot recall it (SECURITY.md). Measured, not hidden: the count is printed.
      const rounds = 10;
      const racers = ['/profile', '/action-fixture', '/api/mwoauth/identify', '/'];
      const r = prng(0x5eed2011);
      const delay = (): number => Math.floor(r() * 15);
      const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
      let setAfterLogout = 0;
      let stillLoggedIn = 0;
      for (let round = 0; round < rounds; round++) {
        const browser = await loggedInAtExpiry('Alice');
        // Each reply's Set-Cookie is applied as it arrives, as a browser does; arrival order counted.
        let arrivals = 0;
        const timed = async (run: () => Promise<Reply>): Promise<{ reply: Reply; at: number }> => {
          const reply = await run();
          return { reply, at: arrivals++ };
        };
        const [logout, ...others] = await Promise.all([
          sleep(delay()).then(() => timed(() => browser.logout('/?notice=loggedout'))),
          ...[...racers, ...racers].map((path) => sleep(delay()).then(() => timed(() => browser.send(path)))),
        ]);
        if (logout === undefined) throw new Error('no logout reply');
        expect(logout.reply.status).toBe(303);
        expect(loginCookieSet(logout.reply)).toBe('');
        const logoutAt = logout.at;
        setAfterLogout += others.filter(
          (o) => o.at > logoutAt && (loginCookieSet(o.reply) ?? '') !== '',
        ).length;
        if (browser.jar.cookies.has(LOGIN_COOKIE) || (await browser.whoAmI()) !== null) stillLoggedIn++;
      }
      console.log(
        `race (2.0, ${store} store, a logout among ${racers.length * 2} racers with a due token, ${rounds} rounds): ` +
          `${setAfterLogout} session cookies set by racers answering after the logout, ${stillLoggedIn} rounds still logged in`,
      );
      // With Redis a refresh rewrites the record, never the cookie, and the logout deleted the
      // record: no racer can log the browser back in (store.ts; SECURITY.md, "Redis mode").
      if (!rewritesCookie)
        expect({ setAfterLogout, stillLoggedIn }).toEqual({ setAfterLogout: 0, stillLoggedIn: 0 });
    });
  });

  describe('a refresh token that is really dead', () => {
    it('should log out with the message when access was revoked on the wiki', async () => {
      const browser = await loggedInAtExpiry('Carol');
      app.devwiki.revoke('Carol', app.consumer.key);
      const before = refreshRequests();
      const reply = await browser.send('/profile');
      expect(reply.status).toBe(303);
      expect(reply.location?.href).toBe(`${app.origin}/?notice=revoked`);
      expect(loginCookieSet(reply)).toBe('');
      expect(refreshRequests() - before).toBe(1);
      const home = await browser.send('/?notice=revoked');
      expect(home.status).toBe(200);
      expect(home.body).toContain('Your access was revoked on the wiki');
    });

    it('should log out with the message when the refresh token has expired (refreshTokenTtlS)', async () => {
      app.devwiki.setTokenLifetimes({ refreshTokenTtlS: 5 });
      const browser = await loggedInAtExpiry('Dave');
      // Ten seconds later on the wiki: the refresh token is dead, the access token due.
      app.devwiki.setClockOffset(10);
      const before = refreshRequests();
      const cookie = browser.jar.header();
      const replies = await Promise.all(Array.from({ length: 3 }, () => browser.send('/profile')));
      for (const reply of replies) {
        expect(reply.status).toBe(303);
        expect(reply.location?.href).toBe(`${app.origin}/?notice=revoked`);
      }
      // Three requests at once, one refresh: the wiki's refusal is shared, not asked three times.
      expect(refreshRequests() - before).toBe(1);
      expect(browser.jar.cookies.has(LOGIN_COOKIE)).toBe(false);
      // A request that read the cookie before the refusal, arriving now: logged out without asking
      // the wiki again (the cookie store remembers the refusal; in Redis the record is gone, and
      // the page sends the browser to log in).
      const late = await send(app, '/profile', { cookie });
      expect(late.status).toBe(rewritesCookie ? 303 : 307);
      expect(late.location?.href).toBe(
        rewritesCookie
          ? `${app.origin}/?notice=revoked`
          : `${app.origin}/api/mwoauth/initiate?next=%2Fprofile`,
      );
      expect(refreshRequests() - before).toBe(1);
    });
  });

  describe('a refresh that cannot happen now, and a token the wiki refused early', () => {
    it('should keep the session and show the page when the token endpoint fails at refresh time', async () => {
      const browser = await loggedInAtExpiry('Alice');
      app.devwiki.setFault('token', { kind: 'status', status: 503 });
      try {
        // The token is due (30 s left) but still good: the page works, nobody is logged out.
        const replies = await Promise.all(Array.from({ length: 3 }, () => browser.send('/profile')));
        for (const reply of replies) {
          expect(reply.status).toBe(200);
          expect(reply.body).toMatch(/<h1[^>]*><bdi>Alice<\/bdi><\/h1>/);
          expect(loginCookieSet(reply)).toBeNull();
        }
      } finally {
        app.devwiki.setFault('token', null);
      }
      const before = refreshRequests();
      const after = await browser.send('/profile');
      expect(after.status).toBe(200);
      expect((loginCookieSet(after) ?? '') !== '').toBe(rewritesCookie);
      expect(refreshRequests() - before).toBe(1);
    });

    it('should refresh through /api/mwoauth/revoked and come back when the wiki refuses a token before its time', async () => {
      // A refresh token that outlives the skew below (the access token's hour).
      app.devwiki.setTokenLifetimes({ refreshTokenTtlS: 24 * 3600 });
      const browser = new Browser(app, secrets);
      expect((await browser.logIn('Alice')).status).toBe(303);
      // The wiki's clock an hour ahead: the app's token (an hour left, it thinks) has expired there.
      app.devwiki.setClockOffset(3600);
      const before = refreshRequests();
      const page = await browser.send('/profile');
      expect(page.status).toBeGreaterThanOrEqual(300);
      expect(page.status).toBeLessThan(400);
      expect(page.location?.pathname).toBe('/api/mwoauth/revoked');
      expect(page.location?.searchParams.get('next')).toBe('/profile');
      const check = await browser.send(`${page.location?.pathname ?? ''}${page.location?.search ?? ''}`);
      expect(check.status).toBe(303);
      expect(check.location?.href).toBe(`${app.origin}/profile`);
      expect((loginCookieSet(check) ?? '') !== '').toBe(rewritesCookie);
      const again = await browser.send('/profile');
      expect(again.status).toBe(200);
      expect(again.body).toMatch(/<h1[^>]*><bdi>Alice<\/bdi><\/h1>/);
      expect(refreshRequests() - before).toBe(1);
    });
  });

  describe("the app's log", () => {
    it('should hold no token, secret or verifier of this run, and no crash', () => {
      // The tokens are learnt from the login cookies: with Redis they never leave the server, so
      // the log is scanned for the secrets the cookies and the wiki's redirects show.
      if (rewritesCookie) {
        expect(secrets.kinds()).toMatchObject({ 'OAuth 2.0 access token secret': expect.any(Number) });
        expect(secrets.kinds()).toMatchObject({ 'OAuth 2.0 refresh token secret': expect.any(Number) });
      }
      expect(secrets.kinds()).toMatchObject({ 'PKCE code verifier secret': expect.any(Number) });
      expectCleanLog(`oauth2 refresh race (${store} store)`, app, secrets);
    });
  });
}

// OAuth 2.0 only (1.0a tokens are never refreshed), with both stores.
describe.each(cellsOf('2.0'))('OAuth 2.0 refresh races ($store store)', suite);
