import 'server-only';
import type { ApiClient, WikiCookieJar } from 'mwoauth';
import { forLog, LOG_MESSAGE_MAX } from '../core/log';
import { WikiDeadline } from './deadline';
import { LoginJar, type WikiCookies } from './cookies';

// Asking the wiki for its cookies (a sessionJwt) outside any call of the tool's own: at an OAuth
// 1.0a login and when one is about to expire. What is kept, and how, is in ./cookies.ts.

/** The most an ask for the wiki's cookies may take: it is an extra, never worth a page's whole wait. */
export const ASK_BUDGET_MS = 1500;
/** After an ask failed, this process asks that wiki no more for this long (a wiki down is not hammered). */
export const ASK_BACKOFF_MS = 60_000;

const ASK_FAILED_KEY = Symbol.for('next-mwoauth.wiki-cookies-ask-failed');

/** When asking `origin` failed last, per process (no user data: only the wiki's origin). */
function askFailures(): Map<string, number> {
  const existing: unknown = Reflect.get(globalThis, ASK_FAILED_KEY);
  if (existing instanceof Map) return existing;
  const created = new Map<string, number>();
  Object.defineProperty(globalThis, ASK_FAILED_KEY, { value: created, enumerable: false });
  return created;
}

/**
 * One cheap api.php call (meta=userinfo) with a jar holding `stored`, so the wiki sets or renews
 * its sessionJwt; the cookies after it, or null when the call failed (nothing to store then) or
 * this wiki failed an ask within ASK_BACKOFF_MS. At most ASK_BUDGET_MS of `deadline`. Made by the
 * OAuth 1.0a login (login/oauth1.ts finish) and, to renew a cookie about to expire, by proxy.ts.
 */
export async function askWikiCookies(
  api: (jar: WikiCookieJar, deadline: WikiDeadline) => ApiClient,
  apiUrl: string,
  stored: WikiCookies | null,
  deadline: WikiDeadline,
): Promise<WikiCookies | null> {
  const origin = new URL(apiUrl).origin;
  const failures = askFailures();
  const failedAt = failures.get(origin);
  if (failedAt !== undefined && Date.now() - failedAt < ASK_BACKOFF_MS) return null;
  const jar = await LoginJar.open(stored);
  try {
    const budget = new WikiDeadline(Math.min(ASK_BUDGET_MS, deadline.remainingMs()));
    await api(jar.jar, budget).get({ action: 'query', meta: 'userinfo' });
  } catch (error) {
    failures.set(origin, Date.now());
    const message = error instanceof Error ? error.message : String(error);
    console.error(`[mwoauth] asking the wiki for its cookies failed: ${forLog(message, LOG_MESSAGE_MAX)}`);
    return null;
  }
  failures.delete(origin);
  return jar.snapshot();
}
