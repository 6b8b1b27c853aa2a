import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Devwiki } from '@/devwiki';
import { readRevisionThroughApi } from '@/tests/support/app-harness';
import { E2E_CONSUMER, startE2EApp, type E2EApp } from '@/tests/support/e2e-app';

// One login, many wikis, in a real Chromium: the built app against a devwiki farm of three wikis
// (MW_WIKIS = devwiki2 and devwiki3), as `npm run dev` runs it. The console gate
// (tests/support/e2e-setup.ts) fails any test during which a page logged an error.

let app: E2EApp;
let second: Devwiki;
let third: Devwiki;

beforeAll(async () => {
  app = await startE2EApp({ devwiki: { otherWikis: [{}, {}] } });
  const [two, three] = app.devwiki.otherWikis;
  if (two === undefined || three === undefined) throw new Error('devwiki started no other wikis');
  [second, third] = [two, three];
});

afterAll(async () => {
  await app?.close();
});

const host = (wiki: Devwiki): string => new URL(wiki.origin).host;

async function logIn(page: Page, username: string): Promise<void> {
  await page.goto(`${app.origin}/api/mwoauth/initiate?next=/profile`);
  if (page.url().includes('Special:UserLogin')) {
    await page.fill('input[name=wpName]', username);
    await page.fill('input[name=wpPassword]', 'any password');
    await Promise.all([page.waitForURL(/Special(:|%3A)OAuth/), page.click('#wpLoginAttempt')]);
  }
  await page.waitForSelector('button[name=accept]');
  await Promise.all([page.waitForURL(`${app.origin}/profile`), page.click('button[name=accept]')]);
}

describe('one login, many wikis, in a browser', () => {
  it("should show the user's account on each wiki, then edit the second wiki's sandbox", async () => {
    // Farmer has an account on devwiki2 (one visit there makes it), none yet on devwiki3.
    second.createLocalAccount('Farmer');
    const page = await app.context.newPage();
    await logIn(page, 'Farmer');
    await expect(page.locator('h1').textContent()).resolves.toBe('Farmer');

    const section = page.locator('section[aria-labelledby=wikis-heading]');
    await expect(section.locator('h2').textContent()).resolves.toBe('Your accounts on other wikis');
    const ok = section.locator(`li[data-wiki="${host(second)}"]`);
    await expect(ok.textContent()).resolves.toContain(`Farmer on ${host(second)}`);
    await expect(ok.textContent()).resolves.toContain('0 edits');
    await expect(ok.locator('a', { hasText: 'Farmer' }).getAttribute('href')).resolves.toBe(
      `${second.indexUrl}?title=User%3AFarmer`,
    );
    const missing = section.locator(`li[data-wiki="${host(third)}"]`);
    await expect(missing.textContent()).resolves.toContain('You have no account on that wiki yet');
    await expect(missing.textContent()).resolves.toContain(`Visit ${host(third)} once while logged in`);
    await expect(missing.locator('a', { hasText: 'Visit that wiki' }).getAttribute('href')).resolves.toBe(
      third.indexUrl,
    );
    await expect(missing.locator('code').textContent()).resolves.toBe(
      'mwoauth-invalid-authorization-invalid-user',
    );
    await app.screenshot(page, 'farm-01-profile');

    // The sandbox: the form offers the login wiki and both others; the edit goes to devwiki2.
    await page.goto(`${app.origin}/sandbox`);
    const options = await page.locator('select[name=wiki] option').allTextContents();
    expect(options).toEqual([host(app.devwiki), host(second), host(third)]);
    await page.selectOption('select[name=wiki]', host(second));
    const line = `farm line ${Date.now()}`;
    await page.fill('#line', line);
    await Promise.all([
      page.waitForURL(/\/sandbox\?wiki=[^&]+&saved=\d+$/),
      page.click('button[type=submit].primary'),
    ]);
    const revid = Number(new URL(page.url()).searchParams.get('saved'));
    await expect(page.locator('a', { hasText: `See revision ${revid}` }).getAttribute('href')).resolves.toBe(
      `${second.indexUrl}?oldid=${revid}`,
    );
    // The page now shows devwiki2's sandbox, chosen in the list.
    await expect(page.locator('select[name=wiki]').inputValue()).resolves.toBe(host(second));
    await app.screenshot(page, 'farm-02-sandbox-saved');

    // On devwiki2, as anyone sees it there; nothing on the login wiki.
    const saved = await readRevisionThroughApi(second.apiUrl, 'User:Farmer/sandbox');
    expect(saved).toMatchObject({ revid, user: 'Farmer' });
    expect(saved?.tags).toContain(`OAuth CID: ${E2E_CONSUMER.id}`);
    expect(saved?.content.split('\n')).toContain(`* ${line}`);
    expect(await readRevisionThroughApi(app.devwiki.apiUrl, 'User:Farmer/sandbox')).toBeNull();

    // devwiki3 does not know Farmer: the sandbox says so, and the login goes on.
    await page.selectOption('select[name=wiki]', host(third));
    await page.fill('#line', 'refused');
    await Promise.all([
      page.waitForURL(/\/sandbox\?wiki=[^&]+&error=nolocalaccount/),
      page.click('button[type=submit].primary'),
    ]);
    await expect(page.locator('.message-error').textContent()).resolves.toContain(
      'You have no account on that wiki yet',
    );
    await page.goto(`${app.origin}/profile`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Farmer');
    await page.close();
  });
});
