import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // No "X-Powered-By: Next.js": it tells an attacker which exploits to try.
  poweredByHeader: false,
};

export default nextConfig;
