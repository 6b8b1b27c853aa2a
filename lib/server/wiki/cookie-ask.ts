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

/**
 * After an ask the wiki answered without setting any cookie (MediaWiki 1.39, or any wiki without
 * Extension:OAuth a87d4516's sessionJwt), a login asks that wiki no more for this long: the ask
 * would be a fourth wiki request per OAuth 1.0a login that stores nothing. Renewals are unaffected
 * (a login holding a cookie came from a wiki that sets them).
 */
export const NO_COOKIES_RECHECK_MS = 10 * 60_000;

/** A per-process map of the wiki's origin to a time (no user data), shared by every route chunk. */
function originTimes(name: string): Map<string, number> {
  const key = Symbol.for(`next-mwoauth.wiki-cookies-${name}`);
  const existing: unknown = Reflect.get(globalThis, key);
  if (existing instanceof Map) return existing;
  const created = new Map<string, number>();
  Object.defineProperty(globalThis, key, { value: created, enumerable: false });
  return created;
}
/** When asking `origin` failed last. */
const askFailures = (): Map<string, number> => originTimes('ask-failed');
/** When `origin` last answered an ask without setting a cookie. */
const setNone = (): Map<string, number> => originTimes('set-none');

/**
 * One cheap api.php call (meta=userinfo) with a jar holding `stored`, so the wiki sets or renews
 * its sessionJwt; the cookies after it, or null when the call failed (nothing to store then) or
 * this wiki failed an ask within ASK_BACKOFF_MS, or (for a login holding no cookie) set none at its
 * last ask within NO_COOKIES_RECHECK_MS. At most ASK_BUDGET_MS of `deadline`. Made by the
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
  const noneAt = setNone().get(origin);
  if ((stored === null || stored.list.length === 0) && noneAt !== undefined) {
    if (Date.now() - noneAt < NO_COOKIES_RECHECK_MS) return null;
  }
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
  const cookies = await jar.snapshot();
  if (cookies.list.length === 0) setNone().set(origin, Date.now());
  else setNone().delete(origin);
  return cookies;
}
