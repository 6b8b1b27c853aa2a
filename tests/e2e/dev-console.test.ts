import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki } from '@/devwiki';
import {
  cleanEnv,
  E2E_CONSUMER,
  freePort,
  launchBrowser,
  ROOT,
  startNext,
  type E2EBrowser,
  type NextServer,
} from '@/tests/support/e2e-app';

// Tried as a new user would (`npm run dev`, log in as Alice, open /), Next's development
// overlay showed "1 Issue" (a form nested in a paragraph, then a hydration error) that the tests
// of `next start` never saw: React reports those only in development. This runs the main path once
// in `next dev` (as scripts/dev.ts starts it: against devwiki) under the console gate
// (tests/support/e2e-setup.ts), which fails the test on any console error or hydration warning.
// `next dev` writes to .next/dev (Next 16), beside the production build, not over it.

let devwiki: Devwiki;
let server: NextServer;
let browser: E2EBrowser;
let origin: string;

beforeAll(async () => {
  devwiki = await startDevwiki({ consumers: [E2E_CONSUMER] });
  const port = await freePort();
  origin = `http://localhost:${port}`;
  const nextBin = createRequire(join(ROOT, 'package.json')).resolve('next/dist/bin/next');
  const env = cleanEnv({
    NODE_ENV: 'development',
    MW_INDEX_URL: devwiki.indexUrl,
    MW_API_URL: devwiki.apiUrl,
    MW_CONSUMER_KEY: E2E_CONSUMER.key,
    MW_CONSUMER_SECRET: E2E_CONSUMER.secret,
    MW_CALLBACK: `${origin}/api/mwoauth/callback`,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    USER_AGENT: 'next-mwoauth-e2e-dev/1.0 (tests/e2e/dev-console; nobody@example.org)',
    // The test fixtures' pages too (next.config.mjs): a server action's form, app/action-fixture.
    NEXT_MWOAUTH_TEST_FIXTURES: '1',
  });
  server = await startNext(ROOT, port, env, {
    shellCommand: `exec "${process.execPath}" "${nextBin}" dev -H 127.0.0.1 -p "$PORT"`,
    // A route handler compiles first and fast; the pages compile on their first visit below.
    readyPath: '/healthz',
    pollMs: 1000,
  });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await devwiki?.close();
});

describe('next dev, the main path', () => {
  it('should log in as Alice, show the profile and the home page, run a server action, and log out, with a clean console', async () => {
    const page = await browser.context.newPage();
    // First visits compile the page: slow on a shared machine.
    page.setDefaultTimeout(180_000);
    await page.goto(`${origin}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Log in with your wiki account');
    await page.click('a.button.primary');
    await page.waitForURL(/Special(:|%3A)UserLogin/);
    await page.fill('input[name=wpName]', 'Alice');
    await page.fill('input[name=wpPassword]', 'any password');
    await Promise.all([page.waitForURL(/Special(:|%3A)OAuth/), page.click('#wpLoginAttempt')]);
    await Promise.all([page.waitForURL(`${origin}/profile`), page.click('button[name=accept]')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Alice');

    // The page of the issue: the home page, logged in, with its log-out button.
    await page.goto(`${origin}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Hello, Alice');
    await page.waitForLoadState('networkidle');
    await browser.screenshot(page, 'dev-home-logged-in');

    // A server action's form, right to left (the test build's fixture, app/action-fixture).
    await page.goto(`${origin}/action-fixture?uselang=ar`);
    await expect(page.locator('html').getAttribute('dir')).resolves.toBe('rtl');
    await page.fill('input[name=line]', 'A line from next dev');
    await Promise.all([
      page.waitForURL(/\/action-fixture\?saved=\d+$/),
      page.click('main button[type=submit]'),
    ]);
    await page.waitForLoadState('networkidle');
    await browser.screenshot(page, 'dev-action-saved-ar');

    await page.goto(`${origin}/?uselang=en`);
    await Promise.all([
      page.waitForURL(`${origin}/?notice=loggedout`),
      page.click('main button[type=submit]'),
    ]);
    await page.waitForLoadState('networkidle');
    await page.close();
    // The production build beside it is untouched.
    expect(existsSync(join(ROOT, '.next', 'BUILD_ID'))).toBe(true);
  }, 600_000);
});
