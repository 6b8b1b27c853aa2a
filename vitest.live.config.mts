import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// The live tests (tests/live/): a real wiki, opt-in, never part of `npm test` (vitest.config.mts
// does not include tests/live). Run them with `npm run test:live` (scripts/test-live.ts), which says
// which parts are skipped and why, runs only the configured ones and keeps secrets out of the
// output. See docs/live-tests.md.
export default defineConfig({
  resolve: {
    alias: { '@/': `${root}/` },
  },
  test: {
    name: 'live',
    include: ['tests/live/**/*.test.ts'],
    environment: 'node',
    // A real wiki over the internet, and for the browser part a `next build` when stale.
    testTimeout: 300_000,
    hookTimeout: 600_000,
    // One part at a time: be gentle with the wiki, and keep the output in order.
    fileParallelism: false,
  },
});
