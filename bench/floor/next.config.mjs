/** @type {import('next').NextConfig} */
const config = {
  poweredByHeader: false,
  // As the app's next.config.mjs: a file only next/font reads, at build time (4.3 MB of a standalone
  // build). The floor is Next and React as the app deploys them.
  outputFileTracingExcludes: { '*': ['node_modules/next/dist/server/capsize-font-metrics.json'] },
};

export default config;
