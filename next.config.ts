import type { NextConfig } from 'next';

// Sent with every response, pages and route handlers alike.
const securityHeaders = [
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
 * The host (with its port, if any) of APP_URL, read when `next build`, `next start` or `next dev`
 * loads this file; null when APP_URL is unset or not a URL (lib/server/config.ts reports that).
 */
function appHost(): string | null {
  const raw = process.env.APP_URL?.trim() ?? '';
  if (raw === '') return null;
  try {
    return new URL(raw).host;
  } catch {
    return null;
  }
}

const publicHost = appHost();

const nextConfig: NextConfig = {
  // No "X-Powered-By: Next.js": it tells an attacker which exploits to try.
  poweredByHeader: false,
  // Next refuses a server action (the sandbox form) whose Origin host is not the request's
  // X-Forwarded-Host or Host (its CSRF check, next/dist/server/app-render/action-handler.js). Behind
  // a proxy that passes an internal Host (Toolforge), the browser's Origin is APP_URL's: allow that
  // host, and only it. Matched against the Origin's host, port included
  // (https://nextjs.org/docs/app/api-reference/config/next-config-js/serverActions).
  ...(publicHost === null ? {} : { experimental: { serverActions: { allowedOrigins: [publicHost] } } }),
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default nextConfig;
