// @ts-check
// JavaScript, not TypeScript: `next start` compiles a next.config.ts with SWC each time it starts,
// which loads Next's native SWC binding (next-swc, 25 MB resident) into the server for good: 30 MB
// more RSS, idle and under load, and a slower start (BENCHMARKS.md "Footprint"). The values it
// shares with lib/server come from lib/http-policy.mjs for the same reason.
import { PAGE_BODY_LIMIT, PROXY_BODY_COPY_LIMIT, SECURITY_HEADERS } from './lib/http-policy.mjs';

/**
 * The host (with its port, if any) of APP_URL, read when `next build`, `next start` or `next dev`
 * loads this file; null when APP_URL is unset or not a URL (lib/server/config.ts reports that).
 * @returns {string | null}
 */
function appHost() {
  const raw = process.env.APP_URL?.trim() ?? '';
  if (raw === '') return null;
  try {
    return new URL(raw).host;
  } catch {
    return null;
  }
}

const publicHost = appHost();

/**
 * The test build (NEXT_MWOAUTH_TEST_FIXTURES=1 when `next build` runs, as tests/support/e2e-app.ts
 * ensureBuilt sets it) also routes `page.fixture.tsx` files: app/action-fixture, a server action the
 * tests of the action machinery use. Any other build leaves them out, as they are no `page.tsx`.
 */
const PAGE_EXTENSIONS =
  process.env.NEXT_MWOAUTH_TEST_FIXTURES === '1'
    ? ['fixture.tsx', 'tsx', 'ts', 'jsx', 'js']
    : ['tsx', 'ts', 'jsx', 'js'];

/** @type {import('next').NextConfig} */
const nextConfig = {
  pageExtensions: PAGE_EXTENSIONS,
  // No "X-Powered-By: Next.js". It hides little (the client JavaScript names Next's version, e.g.
  // `window.next={version:…}`); what keeps `next` patched is tests/security/dependencies.test.ts and
  // `npm run audit:deps`.
  poweredByHeader: false,
  // Loaded by Node from node_modules, not bundled: Next bundles lib/server into every route
  // handler's chunk, proxy.ts's and the pages' (six identical route chunks in .next/server), and
  // @redis/client was 425 KB of each (58 %) and rate-limiter-flexible 70 KB, though only
  // SESSION_STORE=redis uses them. External, they load once per process, and only in Redis mode
  // (lib/server/redis/connection.ts and rate-limit/redis.ts import them on first use).
  //
  // The same for the libraries every route uses: bundled, each was one copy per route chunk and
  // another in proxy.ts's and the pages' (tough-cookie with its public-suffix list was some 130 KB
  // of each 415 KB route chunk), and instantiated once per copy at run time. tough-cookie is
  // imported on first use too (lib/server/wiki/cookies.ts). BENCHMARKS.md "Where the memory went".
  serverExternalPackages: [
    '@redis/client',
    'rate-limiter-flexible',
    'tough-cookie',
    'banana-i18n',
    'iron-session',
    'oauth-1.0a',
  ],
  // Files a standalone build (`output: 'standalone'`, BENCHMARKS.md section 4) must not copy: Next's
  // trace of its own server takes next/dist/server/capsize-font-metrics.json (4.3 MB), which only
  // next/font's fallback metrics read, at build time (next/dist/server/font-utils.js, required by
  // next/dist/compiled/@next/font only); the server never loads it. The app has no next/font.
  outputFileTracingExcludes: { '*': ['node_modules/next/dist/server/capsize-font-metrics.json'] },
  // The messages, read from i18n/ at run time rather than bundled (lib/server/i18n/messages.ts):
  // a standalone build copies them beside its server.js.
  outputFileTracingIncludes: { '*': ['./i18n/*.json'] },
  experimental: {
    // Next 16 loads every route handler and page at start, alongside the first request, by default;
    // off, each loads at its first request: the first answer after a start comes sooner (1202 →
    // 1077 ms, medians of 8 alternated starts; the floor 902 ms) and routes a process never serves
    // (logout, language, revoked…) take no memory. The first call of each route pays its load
    // instead, once (BENCHMARKS.md "Fifth pass").
    preloadEntriesOnStart: false,
    // Next copies every request body proxy.ts might read, up to this size, and holds the copy while
    // the request is open: with the default (10 MB), 40 half-sent POSTs to a page held 400 MB
    // (SECURITY.md). proxy.ts refuses bodies over PAGE_BODY_LIMIT (lib/http-policy.ts).
    proxyClientMaxBodySize: PROXY_BODY_COPY_LIMIT,
    serverActions: {
      // Next's own limit for a server action's body (default 1 MB, parsed in full before Next knows
      // whether it is an action); a backstop, as proxy.ts refuses larger bodies first with a 413 page
      // (Next answers 500 for its own 413: tests/security/hardening.test.ts, "a 413 page, not a 500").
      bodySizeLimit: PAGE_BODY_LIMIT,
      // Next refuses a server action whose Origin host is not the request's
      // X-Forwarded-Host or Host (its CSRF check, next/dist/server/app-render/action-handler.js).
      // Behind a proxy that passes an internal Host (Toolforge), the browser's Origin is APP_URL's:
      // allow that host, and only it. Matched against the Origin's host, port included
      // (https://nextjs.org/docs/app/api-reference/config/next-config-js/serverActions). It ignores
      // the scheme; proxy.ts compares the whole origin (lib/server/http/request-guard.ts).
      ...(publicHost === null ? {} : { allowedOrigins: [publicHost] }),
    },
  },
  async headers() {
    return [
      { source: '/:path*', headers: [...SECURITY_HEADERS] },
      // Next's prerendered error page answers 500 with `s-maxage=31536000` at this URL: a shared
      // cache must not keep an error for a year.
      { source: '/_global-error', headers: [{ key: 'Cache-Control', value: 'no-store' }] },
    ];
  },
};

export default nextConfig;
