import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Devwiki } from '@/devwiki';
import { startE2EApp, type E2EApp } from '@/tests/support/e2e-app';

// One login, many wikis, in a real Chromium: the built app against a devwiki farm of three wikis
// (MW_WIKIS = devwiki2 and devwiki3), as `npm run dev` runs it. The console gate
// (tests/support/e2e-setup.ts) fails any test during which a page logged an error. An edit on
// another wiki through the sandbox demo: tests/demo/e2e/sandbox.test.ts.

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
  it("should show the user's account on each wiki", async () => {
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

    await page.close();
  });
});
