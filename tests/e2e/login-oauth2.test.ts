import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevwikiConsumer } from '@/devwiki';
import { readRevisionThroughApi } from '@/tests/support/app-harness';
import { freePort, startE2EApp, type E2EApp } from '@/tests/support/e2e-app';

// MW_OAUTH_VERSION=2.0: the built app (`next build && next start`) in a real Chromium against
// devwiki's rest.php/oauth2/* (authorization code + PKCE, fixtures o2-01 to o2-20), with a
// confidential client and with a public one (no secret configured).

/** An OAuth 2.0 client registered for exactly `redirectUri` (Special:OAuthConsumerRegistration/propose/oauth2). */
function client(id: number, redirectUri: string, confidential: boolean): DevwikiConsumer {
  const n = String(id).padStart(2, '0');
  return {
    id,
    name: `next-mwoauth e2e (OAuth 2.0, ${confidential ? 'confidential' : 'public'})`,
    key: `e2ee2ee2ee2ee2ee2ee2ee2ee2e000${n}`,
    secret: `e2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2000${n}`,
    oauthVersion: '2.0',
    confidential,
    callbackUrl: redirectUri,
    callbackIsPrefix: false,
    grants: ['basic', 'editpage', 'createeditmovepage'],
    ownerOnly: false,
  };
}

async function loginCookie(app: E2EApp): Promise<{ name: string; value: string } | undefined> {
  return (await app.context.cookies(app.origin)).find((c) => c.name === 'mwoauth_session');
}

/** On devwiki's login page (if shown), log in as `username`; then we are on the approve page. */
async function logInOnWiki(page: Page, username: string): Promise<void> {
  if (page.url().includes('Special:UserLogin')) {
    await page.fill('input[name=wpName]', username);
    await page.fill('input[name=wpPassword]', 'any password');
    await Promise.all([page.waitForURL(/Special(:|%3A)OAuth/), page.click('#wpLoginAttempt')]);
  }
  await page.waitForSelector('#mw-mwoauth-authorize-form button[name=accept]');
}

/** Login (through devwiki's login and approve pages), profile, a server action's edit and logout, as Alice. */
async function fullVisit(app: E2EApp, clientId: number, shots: string): Promise<void> {
  const page = await app.context.newPage();
  await page.goto(`${app.origin}/`);
  await page.click('text=Log in with 127.0.0.1');
  await page.waitForURL(/Special(:|%3A)UserLogin/);
  await logInOnWiki(page, 'Alice');
  // The approve page is Special:OAuth/approve, reached through rest.php/oauth2/authorize (o2-02).
  expect(page.url()).toMatch(/Special(:|%3A)OAuth(\/|%2F)approve/);
  await app.screenshot(page, `${shots}-01-approve`);
  const authorizeRequests = app.devwiki.requests.filter((r) => r.endpoint === 'authorize');
  expect(authorizeRequests.length).toBeGreaterThan(0);
  await Promise.all([page.waitForURL(`${app.origin}/profile`), page.click('button[name=accept]')]);

  await expect(page.locator('h1').textContent()).resolves.toBe('Alice');
  const facts = await page.locator('dl.facts').textContent();
  expect(facts).toContain('editpage');
  await app.screenshot(page, `${shots}-02-profile`);
  const cookie = await loginCookie(app);
  expect(cookie).toBeDefined();
  console.log(
    `e2e (2.0, client ${clientId}): login cookie ${(cookie?.name.length ?? 0) + (cookie?.value.length ?? 0)} bytes (name + value)`,
  );

  // A server action (the test build's, app/action-fixture): an edit through api.php with a Bearer token.
  await page.goto(`${app.origin}/action-fixture`);
  await expect(page.locator('h1').textContent()).resolves.toBe('Action fixture');
  const line = `E2E OAuth 2.0 line ${Date.now()}`;
  await page.fill('input[name=line]', line);
  await Promise.all([
    page.waitForURL(/\/action-fixture\?saved=\d+$/),
    page.click('main button[type=submit]'),
  ]);
  const revid = Number(new URL(page.url()).searchParams.get('saved'));
  await app.screenshot(page, `${shots}-03-action-saved`);
  const saved = await readRevisionThroughApi(app.devwiki.apiUrl, 'User:Alice/action-fixture');
  expect(saved).toMatchObject({ revid, user: 'Alice' });
  // api.php with a Bearer token tags the edit with the client's id (o2-12b).
  expect(saved?.tags).toContain(`OAuth CID: ${clientId}`);
  expect(saved?.content.split('\n')).toContain(`* ${line}`);

  await Promise.all([
    page.waitForURL(`${app.origin}/?notice=loggedout`),
    page.click('header button:has-text("Log out")'),
  ]);
  await expect(page.locator('[role=status]').textContent()).resolves.toContain('You are logged out');
  expect(await loginCookie(app)).toBeUndefined();
  await app.screenshot(page, `${shots}-04-logged-out`);
  await page.close();
}

describe('OAuth 2.0 with a confidential client, in a browser', () => {
  let app: E2EApp;
  let confidential: DevwikiConsumer;

  beforeAll(async () => {
    const port = await freePort();
    confidential = client(44, `http://localhost:${port}/api/mwoauth/callback`, true);
    app = await startE2EApp({ port, consumer: confidential });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('should log in as Alice, show the profile, run a server action and log out', async () => {
    await fullVisit(app, confidential.id, 'o2-confidential');
    const codeExchanges = app.devwiki.requests.filter(
      (r) => r.endpoint === 'token' && r.grantType === 'authorization_code',
    );
    expect(codeExchanges).toHaveLength(1);
  });

  it('should share nothing when the user presses Cancel: the wiki shows its page and never comes back', async () => {
    // Still logged in on the wiki from the first test: straight to the approve page.
    const page = await app.context.newPage();
    const exchangesBefore = app.devwiki.requests.filter((r) => r.endpoint === 'token').length;
    await page.goto(`${app.origin}/api/mwoauth/initiate?next=/profile`);
    await logInOnWiki(page, 'Alice');
    await page.click('button[name=cancel]');
    await page.waitForLoadState();
    // o2-16, o2-17: an "Application Connection Error" page on the wiki, HTTP 200, no redirect.
    expect(page.url().startsWith(app.devwiki.origin)).toBe(true);
    await app.screenshot(page, 'o2-confidential-05-cancelled');
    expect(app.devwiki.requests.filter((r) => r.endpoint === 'token').length).toBe(exchangesBefore);
    await page.goto(`${app.origin}/`);
    expect(await loginCookie(app)).toBeUndefined();
    await expect(page.locator('main').textContent()).resolves.toContain(
      'If you pressed Cancel on the wiki, nothing was shared',
    );
    await page.close();
  });

  it("should save a server action's edits with tokens always due for a refresh, then log out with the message once the grant is revoked", async () => {
    // 30 s access tokens: due at once (60 s margin), so every request refreshes first (proxy.ts
    // for the page and for the server action's POST).
    app.devwiki.setTokenLifetimes({ accessTokenTtlS: 30 });
    try {
      const refreshes = (): number =>
        app.devwiki.requests.filter((r) => r.endpoint === 'token' && r.grantType === 'refresh_token').length;
      // Logged out of the wiki (its session cookie dropped), so the wiki asks who logs in.
      await app.context.clearCookies({ domain: '127.0.0.1' });
      const page = await app.context.newPage();
      await page.goto(`${app.origin}/action-fixture`);
      await page.waitForURL(/Special(:|%3A)UserLogin/);
      await logInOnWiki(page, 'Bob');
      await Promise.all([page.waitForURL(`${app.origin}/action-fixture`), page.click('button[name=accept]')]);
      await expect(page.locator('h1').textContent()).resolves.toBe('Action fixture');
      const before = refreshes();
      const line = `E2E refreshed line ${Date.now()}`;
      await page.fill('input[name=line]', line);
      await Promise.all([
        page.waitForURL(/\/action-fixture\?saved=\d+$/),
        page.click('main button[type=submit]'),
      ]);
      expect(refreshes()).toBeGreaterThan(before);
      const saved = await readRevisionThroughApi(app.devwiki.apiUrl, 'User:Bob/action-fixture');
      expect(saved?.content.split('\n')).toContain(`* ${line}`);
      expect(saved?.user).toBe('Bob');

      app.devwiki.revoke('Bob', confidential.key);
      await page.fill('input[name=line]', 'never saved');
      await Promise.all([
        page.waitForURL(`${app.origin}/?notice=revoked`),
        page.click('main button[type=submit]'),
      ]);
      await expect(page.locator('.message-warning').textContent()).resolves.toContain(
        'Your access was revoked on the wiki',
      );
      expect(await loginCookie(app)).toBeUndefined();
      await app.screenshot(page, 'o2-confidential-06-revoked-at-refresh');
      const after = await readRevisionThroughApi(app.devwiki.apiUrl, 'User:Bob/action-fixture');
      expect(after?.revid).toBe(saved?.revid);
      await page.close();
    } finally {
      app.devwiki.setTokenLifetimes({ accessTokenTtlS: 3600 });
    }
  });
});

describe('OAuth 2.0 with a public client (no secret), in a browser', () => {
  let app: E2EApp;
  let publicClient: DevwikiConsumer;

  beforeAll(async () => {
    const port = await freePort();
    publicClient = client(45, `http://localhost:${port}/api/mwoauth/callback`, false);
    app = await startE2EApp({ port, consumer: publicClient });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('should log in as Alice, show the profile, run a server action and log out', async () => {
    await fullVisit(app, publicClient.id, 'o2-public');
  });
});
