import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRevisionThroughApi } from '@/tests/support/app-harness';
import { E2E_CONSUMER, startE2EApp, startWithoutConfiguration, type E2EApp } from '@/tests/support/e2e-app';

// The built app (`next build && next start`) in a real Chromium against devwiki: what a visitor does.

let app: E2EApp;
const started = Date.now();

beforeAll(async () => {
  app = await startE2EApp();
  console.log(`e2e: build + start + browser ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

afterAll(async () => {
  await app?.close();
  console.log(`e2e: whole file ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

async function loginCookie(): Promise<
  { name: string; value: string; httpOnly: boolean; sameSite: string } | undefined
> {
  return (await app.context.cookies(app.origin)).find((c) => c.name === 'mwoauth_session');
}

/** On devwiki's login page (if shown), log in as `username`; then we are on the authorize page. */
async function logInOnWiki(page: Page, username: string): Promise<void> {
  if (page.url().includes('Special:UserLogin')) {
    await page.fill('input[name=wpName]', username);
    await page.fill('input[name=wpPassword]', 'any password');
    await Promise.all([page.waitForURL(/Special(:|%3A)OAuth/), page.click('#wpLoginAttempt')]);
  }
  await page.waitForSelector('button[name=accept]');
}

async function logOutOfWiki(): Promise<void> {
  // devwiki's own session is a cookie on its origin; dropping it makes the next login ask again.
  const wikiCookies = await app.context.cookies(app.devwiki.origin);
  if (wikiCookies.length > 0) await app.context.clearCookies({ domain: '127.0.0.1' });
}

describe('logging in with a wiki account, in a browser', () => {
  it('should log in as Alice, show the profile, run a server action and log out', async () => {
    const page = await app.context.newPage();
    const home = await page.goto(`${app.origin}/`);
    expect(home?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Log in with your wiki account');
    await app.screenshot(page, '01-home-logged-out');

    await page.click('text=Log in with 127.0.0.1');
    await page.waitForURL(/Special(:|%3A)UserLogin/);
    await app.screenshot(page, '02-devwiki-login');
    await logInOnWiki(page, 'Alice');
    await app.screenshot(page, '03-devwiki-authorize');
    await Promise.all([page.waitForURL(`${app.origin}/profile`), page.click('button[name=accept]')]);

    await expect(page.locator('h1').textContent()).resolves.toBe('Alice');
    const facts = await page.locator('dl.facts').textContent();
    expect(facts).toContain('editpage');
    expect(facts).toContain('E-mail confirmed');
    await expect(
      page.locator('a', { hasText: 'Special:OAuthManageMyGrants' }).getAttribute('href'),
    ).resolves.toBe(`${app.devwiki.indexUrl}?title=Special:OAuthManageMyGrants`);
    await app.screenshot(page, '04-profile');

    const cookie = await loginCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const size = (cookie?.name.length ?? 0) + (cookie?.value.length ?? 0);
    console.log(`e2e: login cookie ${size} bytes (name + value)`);
    expect(size).toBeLessThan(4096);

    // A page with a server action (the test build's, app/action-fixture), as a tool's own would be.
    const fixture = await page.goto(`${app.origin}/action-fixture`);
    // Pages that depend on who is logged in must not be stored by the browser or any cache.
    expect(fixture?.headers()['cache-control']).toMatch(/private.*no-store|no-store.*private/);
    const line = `E2E line ${Date.now()}`;
    await page.fill('input[name=line]', line);
    await Promise.all([
      page.waitForURL(/\/action-fixture\?saved=\d+$/),
      page.click('main button[type=submit]'),
    ]);
    const revid = Number(new URL(page.url()).searchParams.get('saved'));
    // Read back through the wiki's API (an unauthenticated GET, as anyone would see the edit).
    const saved = await readRevisionThroughApi(app.devwiki.apiUrl, 'User:Alice/action-fixture');
    expect(saved).toMatchObject({ revid, user: 'Alice' });
    expect(saved?.tags).toContain(`OAuth CID: ${E2E_CONSUMER.id}`);
    expect(saved?.content.split('\n')).toContain(`* ${line}`);

    await Promise.all([
      page.waitForURL(`${app.origin}/?notice=loggedout`),
      page.click('header button:has-text("Log out")'),
    ]);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('You are logged out');
    expect(await loginCookie()).toBeUndefined();
    await app.screenshot(page, '07-logged-out');
    await page.close();
  });

  it('should share nothing when the user presses Cancel on the wiki', async () => {
    await logOutOfWiki();
    const page = await app.context.newPage();
    await page.goto(`${app.origin}/api/mwoauth/initiate?next=/profile`);
    await logInOnWiki(page, 'Alice');
    await page.click('button[name=cancel]');
    await page.waitForLoadState();
    // Extension:OAuth does not send the user back after Cancel (fixture 30): they stay on the wiki.
    expect(page.url().startsWith(app.devwiki.origin)).toBe(true);
    await app.screenshot(page, '08-devwiki-cancelled');
    await page.goto(`${app.origin}/`);
    expect(await loginCookie()).toBeUndefined();
    await expect(page.locator('main').textContent()).resolves.toContain(
      'If you pressed Cancel on the wiki, nothing was shared',
    );
    await page.close();
  });

  it('should log out with a message on the next page load after access is revoked on the wiki', async () => {
    await logOutOfWiki();
    const page = await app.context.newPage();
    await page.goto(`${app.origin}/profile`);
    await logInOnWiki(page, 'Bob');
    await Promise.all([page.waitForURL(`${app.origin}/profile`), page.click('button[name=accept]')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Bob');

    app.devwiki.revoke('Bob', E2E_CONSUMER.key);
    await page.goto(`${app.origin}/profile`);
    await page.waitForURL(`${app.origin}/?notice=revoked`);
    await expect(page.locator('.message-warning').textContent()).resolves.toContain(
      'Your access was revoked on the wiki',
    );
    expect(await loginCookie()).toBeUndefined();
    await app.screenshot(page, '09-revoked');
    await page.close();
  });

  it('should let two tabs log in at the same time', async () => {
    await logOutOfWiki();
    // A fresh start on our site too (the Cancel above left its login in progress for 10 minutes).
    await app.context.clearCookies({ domain: 'localhost' });
    const [a, b] = [await app.context.newPage(), await app.context.newPage()];
    await a.goto(`${app.origin}/api/mwoauth/initiate?next=/profile`);
    await logInOnWiki(a, 'Carol');
    // The second tab starts its own login while the first is still on the authorize page.
    await b.goto(`${app.origin}/api/mwoauth/initiate?next=/action-fixture`);
    await b.waitForSelector('button[name=accept]');
    const handshake = (await app.context.cookies(app.origin)).find((c) => c.name === 'mwoauth_handshake');
    expect(handshake).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    console.log(
      `e2e: handshake cookie with two logins in progress ${(handshake?.name.length ?? 0) + (handshake?.value.length ?? 0)} bytes`,
    );

    await Promise.all([b.waitForURL(`${app.origin}/action-fixture`), b.click('button[name=accept]')]);
    await Promise.all([a.waitForURL(`${app.origin}/profile`), a.click('button[name=accept]')]);
    await expect(a.locator('h1').textContent()).resolves.toBe('Carol');
    await expect(b.locator('h1').textContent()).resolves.toBe('Action fixture');
    expect((await app.context.cookies(app.origin)).some((c) => c.name === 'mwoauth_handshake')).toBe(false);
    await a.close();
    await b.close();
  });

  it('should show a friendly page for a stale callback, and send the security headers', async () => {
    const page = await app.context.newPage();
    const response = await page.goto(`${app.origin}/api/mwoauth/callback?oauth_verifier=x&oauth_token=y`);
    expect(response?.status()).toBe(400);
    await expect(page.locator('h1').textContent()).resolves.toBe(
      'This login has expired or was not started here',
    );
    await app.screenshot(page, '10-callback-expired');

    const home = await page.goto(`${app.origin}/`);
    const headers = home?.headers() ?? {};
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('same-origin');
    expect(headers['x-powered-by']).toBeUndefined();
    await page.close();
  });

  it('should be readable on a phone', async () => {
    const page = await app.context.newPage();
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${app.origin}/profile`);
    if (!page.url().startsWith(app.origin)) {
      await logInOnWiki(page, 'Carol');
      await Promise.all([page.waitForURL(`${app.origin}/profile`), page.click('button[name=accept]')]);
    }
    await expect(page.locator('h1').textContent()).resolves.toBe('Carol');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await app.screenshot(page, '11-profile-phone');
    await page.close();
  });

  it("should show a blocked user's block on the profile", async () => {
    const page = await app.context.newPage();
    app.devwiki.blockUser('Carol');
    await page.goto(`${app.origin}/profile`);
    if (!page.url().startsWith(app.origin)) {
      await logInOnWiki(page, 'Carol');
      await Promise.all([page.waitForURL(`${app.origin}/profile`), page.click('button[name=accept]')]);
    }
    await expect(page.locator('.message-warning').textContent()).resolves.toContain(
      'Your account is blocked',
    );
    await app.screenshot(page, '13-profile-blocked');
    await page.close();
  });

  it('should treat a garbage login cookie as logged out and clear it, without an error page', async () => {
    await app.context.clearCookies({ domain: 'localhost' });
    await app.context.addCookies([{ name: 'mwoauth_session', value: 'a*b*c*d*e*f*g*h', url: app.origin }]);
    const page = await app.context.newPage();
    const response = await page.goto(`${app.origin}/`);
    expect(response?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Log in with your wiki account');
    expect(await loginCookie()).toBeUndefined();
    await page.close();
  });
});

describe('starting the server in production', () => {
  it('should stop at once with one message naming every missing variable', async () => {
    const result = await startWithoutConfiguration();
    expect(result.code).toBe(1);
    for (const name of [
      'MW_INDEX_URL',
      'MW_CONSUMER_KEY',
      'MW_CONSUMER_SECRET',
      'SESSION_SECRET',
      'USER_AGENT',
    ]) {
      expect(result.output).toContain(name);
    }
    expect(result.output.match(/is not configured correctly/g)).toHaveLength(1);
  });
});
