// Live, opt-in (npm run test:live): the built app (`next start`) in a real Chromium against a real
// wiki, logging in through the wiki's own Special:UserLogin and Special:OAuth/authorize pages.
// Runs only when every variable of LIVE_PARTS.browser is set (tests/live/env.ts). The consumer must
// be registered with the callback http://localhost:1/api/mwoauth/callback and "Allow consumer to
// specify a callback in requests": on a callback-is-prefix consumer, registered port 1 matches any
// port (_facts.json, fixture 24b), so the app can run on a free port. With LIVE_MW_OAUTH_VERSION=2.0
// the consumer is an OAuth 2.0 client registered with exactly LIVE_CALLBACK
// (http://localhost:<port>/api/mwoauth/callback: 2.0 has no prefix rule), and the app runs on that port.
//
// Every selector is a name or id the real pages use (and devwiki keeps):
// - Special:UserLogin: inputs name=wpName, name=wpPassword (ids wpName1, wpPassword1), submit
//   id=wpLoginAttempt (name wploginattempt), per MediaWiki's LoginSignupSpecialPage;
// - the authorize form: form#mw-mwoauth-authorize-form with button[name=accept] / button[name=cancel]
//   and a hidden wpconfirmUpdate, 1 when the user already authorized this consumer (fixtures 03, 27f).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startAppServer, type AppServer, type E2EBrowser } from '@/tests/support/e2e-app';
import { browserConfig, callbackPort, skipLine, type BrowserConfig } from './env';

const config = browserConfig();
if (config === null) console.log(skipLine('browser'));

/** How long the wiki may take over its pages (central login on Wikimedia wikis chains redirects). */
const WIKI_DEADLINE_MS = 120_000;

/** MediaWiki's form of a user name: underscores are spaces, the first letter is a capital ($wgCapitalLinks). */
function normaliseUsername(name: string): string {
  const spaced = name.replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

async function isVisible(page: Page, selector: string): Promise<boolean> {
  // During a navigation the document may go away under the query: that is "not visible yet".
  return page
    .locator(selector)
    .first()
    .isVisible()
    .catch(() => false);
}

/** The page's heading and the first error box on it, if any, for failure messages. */
async function describePage(page: Page): Promise<string> {
  const text = async (selector: string, max = 300): Promise<string> =>
    (
      (await page
        .locator(selector)
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null)) ?? ''
    )
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, max);
  const heading = await text('h1');
  const error = await text('.errorbox, .error, .cdx-message--error, .mw-message-box-error');
  // The wiki's content area, or the app's: its failure pages say what to fix.
  const content = await text('#mw-content-text, main', 800);
  return `${page.url()} — "${heading}"${error === '' ? '' : `, error: "${error}"`}${content === '' ? '' : `: ${content}`}`;
}

/** Clicks and waits for the next document (a redirect chain ends in one). */
async function clickAndWaitForPage(page: Page, selector: string): Promise<void> {
  await Promise.all([
    page.waitForEvent('domcontentloaded', { timeout: WIKI_DEADLINE_MS }),
    page.locator(selector).first().click(),
  ]);
}

interface WikiVisit {
  /** Whether the wiki asked for the password (false when its session cookie was still good). */
  loggedIn: boolean;
  /** Whether it showed the authorize form; false when it sent the browser straight back. */
  formShown: boolean;
  /** The form's wpconfirmUpdate: '1' when the user had already authorized this consumer (27f). */
  confirmUpdate: string | null;
}

/**
 * From wherever the app's login link led, through the wiki's login page (if it asks) and authorize
 * form (if it shows one: a wiki may also send the browser straight back for a consumer the user
 * already authorized), until the browser is back on the app. Fails with what the wiki showed.
 */
async function passThroughTheWiki(
  page: Page,
  cfg: BrowserConfig,
  appOrigin: string,
  browser: E2EBrowser,
): Promise<WikiVisit> {
  const visit: WikiVisit = { loggedIn: false, formShown: false, confirmUpdate: null };
  const deadline = Date.now() + WIKI_DEADLINE_MS;
  while (Date.now() < deadline) {
    // Back on the app: /profile, or the callback's failure page (the caller tells them apart).
    if (new URL(page.url()).origin === appOrigin) return visit;

    if (await isVisible(page, 'input[name=wpPassword]')) {
      if (visit.loggedIn) {
        throw new Error(
          `The wiki did not accept the login of LIVE_USERNAME (${cfg.username}): ${await describePage(page)}. ` +
            "Check LIVE_USERNAME and LIVE_PASSWORD: the account's own password (a bot password does not work on Special:UserLogin).",
        );
      }
      await browser.screenshot(page, 'live-02-wiki-login');
      await page.locator('input[name=wpName]').first().fill(cfg.username);
      await page.locator('input[name=wpPassword]').first().fill(cfg.password);
      await clickAndWaitForPage(page, '#wpLoginAttempt, [name=wploginattempt]');
      visit.loggedIn = true;
      continue;
    }
    if (await isVisible(page, 'input[name=OATHToken], input[name=wpOATHToken]')) {
      throw new Error(
        `The wiki asks LIVE_USERNAME (${cfg.username}) for a two-factor code: use a test account without two-factor authentication.`,
      );
    }
    if (await isVisible(page, 'input[name=wpCaptchaWord]')) {
      throw new Error(
        'The wiki asks for a captcha (after failed logins, or for new accounts): log in once by hand in a browser, then run again.',
      );
    }
    if (await isVisible(page, '#mw-mwoauth-authorize-form button[name=accept]')) {
      if (visit.formShown) {
        throw new Error(`The wiki showed the authorize form again after Allow: ${await describePage(page)}`);
      }
      visit.formShown = true;
      visit.confirmUpdate = await page
        .locator('#mw-mwoauth-authorize-form input[name=wpconfirmUpdate]')
        .getAttribute('value', { timeout: 1000 })
        .catch(() => null);
      await browser.screenshot(page, 'live-03-wiki-authorize');
      await clickAndWaitForPage(page, '#mw-mwoauth-authorize-form button[name=accept]');
      continue;
    }
    // Extension:OAuth's error pages ("Application Connection Error") link the error's help page,
    // Help:OAuth/Errors#E00N (fixtures 28b, 28c): no point waiting for anything else.
    // OAuth 2.0's authorize errors are the same page without that link (o2-17, o2-18).
    if (
      (await isVisible(page, 'a[href*="Help:OAuth/Errors"]')) ||
      (await isVisible(page, '#firstHeading:has-text("Application Connection Error")'))
    ) {
      throw new Error(`The wiki refused the authorization: ${await describePage(page)}`);
    }
    // Between pages, or on an intermediate one (central login): look again shortly.
    await page.waitForTimeout(250);
  }
  throw new Error(
    `The browser did not come back to the app within ${WIKI_DEADLINE_MS / 1000} s; the wiki shows ${await describePage(page)}`,
  );
}

describe.skipIf(config === null)('logging in on the live wiki in a browser', () => {
  let server: AppServer | null = null;
  let browser: E2EBrowser | null = null;

  beforeAll(async () => {
    if (config === null) return;
    browser = await launchBrowser();
    // 2.0: the port of the registered callback (env.ts checked its form); startAppServer then sets
    // MW_CALLBACK to http://localhost:<port>/api/mwoauth/callback, the registered URL itself.
    const port = config.callback === null ? null : callbackPort(config.callback);
    server = await startAppServer({
      ...(port === null ? {} : { port }),
      ...(config.protocol === '2.0' ? { env: { MW_OAUTH_VERSION: '2.0' } } : {}),
      wiki: {
        indexUrl: config.indexUrl,
        apiUrl: config.apiUrl,
        issuer: config.issuer,
        consumer: config.consumer,
      },
      userAgent: config.userAgent,
    });
  });

  afterAll(async () => {
    await server?.close();
    await browser?.close();
  });

  it("should log in through the wiki's login and authorize pages, show the profile and log out", async () => {
    if (config === null || server === null || browser === null) throw new Error('beforeAll did not finish');
    const { origin } = server;
    const page = await browser.context.newPage();
    const sessionCookie = async (): Promise<unknown> =>
      (await browser?.context.cookies(origin))?.find((c) => c.name === 'mwoauth_session');

    await page.goto(`${origin}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Log in with your wiki account');
    await browser.screenshot(page, 'live-01-home');
    await clickAndWaitForPage(page, 'a[href^="/api/mwoauth/initiate"]');
    // The app sends the browser to the wiki's authorize URL; anything else is the app's failure page
    // (a refused consumer, a wrong callback), whose text says why.
    if (new URL(page.url()).origin === origin) {
      throw new Error(`The app did not send the browser to the wiki: ${await describePage(page)}`);
    }

    const visit = await passThroughTheWiki(page, config, origin, browser);
    console.log(
      `live: the wiki ${visit.loggedIn ? 'asked for the password' : 'still had a session'}, then ${
        visit.formShown
          ? `showed the authorize form (wpconfirmUpdate=${visit.confirmUpdate ?? '?'}${visit.confirmUpdate === '1' ? ': authorized before' : ''})`
          : 'sent the browser straight back (already authorized)'
      }`,
    );

    if (page.url() !== `${origin}/profile`) {
      throw new Error(`The app did not land on /profile after the wiki: ${await describePage(page)}`);
    }
    await expect(page.locator('h1').textContent()).resolves.toBe(normaliseUsername(config.username));
    await browser.screenshot(page, 'live-04-profile');
    expect(await sessionCookie()).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // A fresh identify through the app (1.0a: the wiki's JWT, iss, aud and nonce checked; 2.0: the profile).
    const identity = await page.request.get(`${origin}/api/mwoauth/identify`);
    expect(identity.status()).toBe(200);
    await expect(identity.json()).resolves.toMatchObject({ username: normaliseUsername(config.username) });

    await clickAndWaitForPage(page, 'header button:has-text("Log out")');
    expect(page.url()).toBe(`${origin}/?notice=loggedout`);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('You are logged out');
    expect(await sessionCookie()).toBeUndefined();
    expect((await page.request.get(`${origin}/api/mwoauth/identify`)).status()).toBe(401);
    await browser.screenshot(page, 'live-05-logged-out');
    await page.close();
  });
});
