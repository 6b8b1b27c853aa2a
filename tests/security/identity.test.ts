import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevwikiForgery } from '@/devwiki';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { Browser, expectCleanLog, LOGIN_COOKIE, loginCookieSet, Secrets, tally } from './support';

// When Special:OAuth/identify answers with a forged or stale JWT (devwiki's
// forged-identify fault), nobody is logged in, and a logged-in user's identity is not replaced.
// One protocol, one store: what is forged is OAuth 1.0a's identify JWT (2.0's forged callbacks are in
// callback-forgery.test.ts), refused before any session is written.

/** Every forgery devwiki can serve (a Record, so a new one added to devwiki fails typechecking here). */
const FORGERIES: Record<DevwikiForgery, string> = {
  'alg-none': 'an unsigned JWT (alg none)',
  hs512: 'HS512 instead of HS256',
  'wrong-key': 'signed with another consumer secret',
  'wrong-aud': 'aud is another consumer',
  'wrong-iss': 'iss is another wiki',
  'wrong-nonce': 'nonce is not the request’s',
  expired: 'expired (iat 600 s ago)',
  stale: 'stale (iat an hour ago, exp ahead)',
  'future-iat': 'iat an hour ahead',
  'missing-claims': 'no sub, username or nonce',
};

function isForgery(name: string): name is DevwikiForgery {
  return Object.hasOwn(FORGERIES, name);
}

let app: E2EServer;
let secrets: Secrets;
/** Logged in as Alice before any fault. */
let alice: Browser;
const results: Array<{
  forgery: string;
  callback: number;
  loggedIn: boolean;
  identify: number;
  profileShowsUser: boolean;
}> = [];

beforeAll(async () => {
  app = await startE2EServer();
  secrets = new Secrets(app);
  alice = new Browser(app, secrets);
  await alice.logIn('Alice');
});

afterEach(() => {
  app.devwiki.setFault('identify', null);
});

afterAll(async () => {
  try {
    if (app !== undefined) expectCleanLog('identity', app, secrets);
  } finally {
    await app?.close();
  }
});

describe('forged identify answers', () => {
  it('should log in when identify is genuine (the control)', async () => {
    const browser = new Browser(app, secrets);
    const callback = await browser.logIn('Bob');
    expect(callback.status).toBe(303);
    expect(loginCookieSet(callback)).toMatch(/^Fe26\.2\*/);
    await expect(browser.whoAmI()).resolves.toBe('Bob');
  });

  it.each(Object.entries(FORGERIES))('should log nobody in when the JWT is %s', async (forgery, what) => {
    const browser = new Browser(app, secrets);
    const back = await browser.startLogin('Mallory');
    if (!isForgery(forgery)) throw new Error(`not a devwiki forgery: ${forgery}`);
    app.devwiki.setFault('identify', { kind: 'forged-identify', forgery });
    const callback = await browser.send(back);
    expect(callback.status, what).toBeGreaterThanOrEqual(400);
    expect(callback.body).toMatch(/<h1>[^<]+<\/h1>/);
    const loggedIn = (loginCookieSet(callback) ?? '') !== '' || browser.jar.cookies.has(LOGIN_COOKIE);
    expect(loggedIn).toBe(false);

    // A logged-in user asking who they are gets an error, not the forged answer, and stays logged in.
    const identify = await alice.send('/api/mwoauth/identify');
    expect(identify.status).toBe(502);
    expect(JSON.parse(identify.body)).not.toHaveProperty('username');
    expect(loginCookieSet(identify)).toBeNull();
    const profile = await alice.send('/profile');
    const profileShowsUser = /<h1><bdi>Alice<\/bdi><\/h1>/.test(profile.body);
    expect(profileShowsUser).toBe(false);
    expect(profile.body).toContain('could not be verified');

    app.devwiki.setFault('identify', null);
    await expect(browser.whoAmI()).resolves.toBeNull();
    await expect(alice.whoAmI()).resolves.toBe('Alice');
    results.push({
      forgery,
      callback: callback.status,
      loggedIn,
      identify: identify.status,
      profileShowsUser,
    });
  });

  it('should print the figure', () => {
    const logins = results.filter((r) => r.loggedIn).length;
    console.log(
      `[security] forged-identify: ${results.length} forgeries, ${logins} logins, callback statuses ${JSON.stringify(tally(results.map((r) => r.callback)))}, identify route statuses ${JSON.stringify(tally(results.map((r) => r.identify)))}, profile showed the identity ${results.filter((r) => r.profileShowsUser).length} times`,
    );
    expect(results).toHaveLength(Object.keys(FORGERIES).length);
    expect(logins).toBe(0);
  });
});
