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

const nextConfig: NextConfig = {
  // No "X-Powered-By: Next.js": it tells an attacker which exploits to try.
  poweredByHeader: false,
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default nextConfig;
