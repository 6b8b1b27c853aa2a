// What every response must carry and how large a request body to a page may be: read by
// next.config.mjs (loaded by Node before anything is built, so this file imports nothing and is
// JavaScript: see next.config.mjs) and by lib/server through lib/http-policy.ts (proxy.ts's checks
// and the request guard that answers before Next does). Types: http-policy.d.mts.

/** Sent with every response, pages and route handlers alike. */
export const SECURITY_HEADERS = [
  // Browsers must not guess a content type (an uploaded or echoed text read as HTML or script).
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  // No framing: the log-in and log-out buttons must not be clickjacked. CSP frame-ancestors for
  // current browsers, X-Frame-Options for old ones.
  { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
  { key: 'X-Frame-Options', value: 'DENY' },
  // Our URLs can carry a `next` path; other sites need not see it.
  { key: 'Referrer-Policy', value: 'same-origin' },
];

/**
 * The largest body a page accepts (bytes): page paths, so the forms of server actions. The demo's
 * form (the sandbox) sends a line of at most 200 characters (800 UTF-8 bytes) and the action's
 * fields, about 1 KB as multipart. proxy.ts answers 413 above this; serverActions.bodySizeLimit is
 * the same value, so Next's own limit is never what a visitor meets. A tool whose forms send more
 * (a whole page of wikitext) raises it here.
 */
export const PAGE_BODY_LIMIT = 16 * 1024;

/** The path prefix of the route handlers (proxy.ts does not run for them). */
export const ROUTE_PREFIX = '/api/';

/**
 * The largest body a route handler under ROUTE_PREFIX may be sent (bytes, declared in
 * Content-Length; lib/server/http/early-guard.ts refuses more before Next reads it). 2 MiB: MediaWiki's
 * default $wgMaxArticleSize (2048 KiB), so a JSON route can take a whole page's wikitext. A handler
 * reads its body itself (request.json()), so one that takes no body needs no more, and one that
 * takes more raises it here.
 */
export const ROUTE_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * The body limit for a request target: ROUTE_BODY_LIMIT under ROUTE_PREFIX, PAGE_BODY_LIMIT elsewhere.
 * @param {string} target
 * @returns {number}
 */
export function bodyLimitFor(target) {
  return target.startsWith(ROUTE_PREFIX) ? ROUTE_BODY_LIMIT : PAGE_BODY_LIMIT;
}

/**
 * How much of a page request's body Next copies for proxy.ts (`experimental.proxyClientMaxBodySize`,
 * default 10 MB, held in memory while the request is open: tests/security/hardening.test.ts,
 * "page bodies"). Next
 * stops copying without an error at this size, so it is PAGE_BODY_LIMIT plus one socket read
 * (64 KiB, Node's largest): a body over PAGE_BODY_LIMIT always shows proxy.ts more than
 * PAGE_BODY_LIMIT bytes before the copy stops, and proxy.ts refuses it.
 */
export const PROXY_BODY_COPY_LIMIT = PAGE_BODY_LIMIT + 64 * 1024;
