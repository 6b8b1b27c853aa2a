// The browser tests' console gate: every page of every context launchBrowser() opens is watched,
// and tests/support/e2e-setup.ts fails the test during which a console error, an uncaught page
// error or a React hydration warning appeared (the dev overlay's "1 Issue" once went unseen).
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';

const problems: string[] = [];

/**
 * Chromium logs "Failed to load resource: … status of 4xx/5xx" for a document answered with an
 * error status: the app's failure pages are such documents, on purpose. Only the page's own
 * document is excused; a failing script, stylesheet or image is still a problem.
 */
function isErrorPageItself(message: ConsoleMessage, page: Page): boolean {
  return (
    /^Failed to load resource: the server responded with a status of [45]\d\d/.test(message.text()) &&
    message.location().url === page.url()
  );
}

function watch(page: Page): void {
  page.on('console', (message) => {
    const type = message.type();
    const text = message.text();
    if (type === 'error' && !isErrorPageItself(message, page)) {
      problems.push(`console error on ${page.url()}: ${text}`);
    } else if ((type === 'warning' || type === 'info' || type === 'log') && /hydrat/i.test(text)) {
      problems.push(`hydration ${type} on ${page.url()}: ${text}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error on ${page.url()}: ${error.message}`));
}

/** Watches every page of `context`, those open now and those opened later. */
export function watchConsole(context: BrowserContext): void {
  for (const page of context.pages()) watch(page);
  context.on('page', watch);
}

/** The problems seen since the last call, emptied. */
export function takeConsoleProblems(): string[] {
  return problems.splice(0, problems.length);
}
