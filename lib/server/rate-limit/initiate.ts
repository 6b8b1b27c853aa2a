import 'server-only';
import { isIPv4, isIPv6 } from 'node:net';
import type { NextResponse } from 'next/server';
import type { App } from '../wiring/app';
import { AppError } from '../core/errors';
import { failureResponse } from '../failures/page';
import { counted, failure } from '../failures/catalogue';
import { translatorForHeaders } from '../i18n';
import { forLog, LOG_MESSAGE_MAX } from '../core/log';
import type { RateDecision } from './limiter';

// The initiate rate limit: each GET /api/mwoauth/initiate makes the wiki create and keep a request
// token for 600 s, signed with our consumer, so a script looping on it loads the wiki in our name.
// The windows are counted by the app's limiter (rate-limit/memory.ts per process with the cookie
// store, rate-limit/redis.ts across instances with Redis; lib/server/wiring/app.ts picks).
//
// Who is "a client"? Route handlers never see the socket. `next start` copies the socket's address
// into X-Forwarded-For only when the request has none (`x-forwarded-for ??= socket.remoteAddress`:
// tests/security/rate-limit.test.ts, "the socket address"), so:
// - TRUST_PROXY unset: the LAST entry. Served directly, that is the socket address, unless the client
//   sent its own X-Forwarded-For (then it chose its key: the limit only stops clients that do not
//   try, and a client may name a victim's address and spend the victim's window; nothing here can
//   tell, as the socket is out of reach: SECURITY.md asks for a proxy that overwrites the header).
//   Behind one proxy that appends to or replaces the header, it is the address that proxy saw.
// - TRUST_PROXY=true: the FIRST entry, for chains whose front proxy replaces the header with the
//   visitor's address and whose inner proxies append. Where the front proxy appends instead, the
//   first entry is the client's own claim, so do not set it there.

/** Longer header entries are not addresses; they are cut so they cannot grow the table's memory. */
const MAX_KEY_LENGTH = 64;

/**
 * One IPv6 user usually holds a whole /64, so it counts as one client; an IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`) is its IPv4 address.
 */
function normalizeAddress(entry: string): string {
  let address = entry.trim().toLowerCase();
  // "[2001:db8::1]:443" and "192.0.2.1:443": some proxies add the port.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1] !== undefined) address = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.indexOf(':'));
  address = address.replace(/%.*$/, ''); // zone id: fe80::1%eth0
  const mapped = /^::ffff:([\d.]+)$/.exec(address);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(address)) return address.slice(0, MAX_KEY_LENGTH);
  const [head = '', tail] = address.split('::');
  const front = head === '' ? [] : head.split(':');
  let groups = front;
  if (tail !== undefined) {
    const back = tail === '' ? [] : tail.split(':');
    // A trailing dotted IPv4 part stands for two groups.
    const backGroups = back.length + (back.at(-1)?.includes('.') ? 1 : 0);
    groups = [...front, ...Array<string>(Math.max(0, 8 - front.length - backGroups)).fill('0'), ...back];
  }
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** The client a request counts against (see the comment at the top for what each setting can tell). */
export function clientKey(headers: Headers, trustProxy: boolean): string {
  const entries = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const entry = trustProxy ? entries[0] : entries.at(-1);
  // No address at all: everyone without one shares a single window.
  return entry === undefined ? 'unknown' : normalizeAddress(entry);
}

/**
 * Counts a login start against its client with the app's limiter; returns the 429 page (with
 * Retry-After) when the client is over INITIATE_RATE_LIMIT, else null. When Redis cannot answer
 * (Redis mode), the 503 "login service unavailable" page: the limit is not skipped (a loop on
 * initiate would then reach the wiki unchecked exactly while Redis is down), and no login could
 * finish anyway, as the callback must store the new session in Redis.
 */
export async function limitInitiate(headers: Headers, app: App): Promise<NextResponse | null> {
  const { config, initiateLimiter } = app;
  if (config.initiateRateLimit === null || initiateLimiter === null) return null;
  const t = translatorForHeaders(headers);
  let decision: RateDecision;
  try {
    decision = await initiateLimiter.take(clientKey(headers, config.trustProxy));
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'store_unavailable') throw error;
    console.error(`[mwoauth] initiate rate limit failed: ${forLog(error.message, LOG_MESSAGE_MAX)}`);
    return failureResponse(failure('store_unavailable', t));
  }
  if (decision.allowed) return null;
  const { max, windowS } = config.initiateRateLimit;
  const response = failureResponse(
    failure('rate_limited', t, {
      what: [...counted(t, max), ...counted(t, windowS)],
      todo: counted(t, decision.retryAfterS),
    }),
  );
  response.headers.set('Retry-After', String(decision.retryAfterS));
  return response;
}
