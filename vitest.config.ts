import { defineConfig } from 'vitest/config';

// Tests are split by what they need (STYLE.md §12): unit (no server), devwiki (the local
// stand-in wiki, in-process), e2e (a built app in a real Chromium). `npm test` runs them all;
// `npx vitest run --project unit` runs one.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'devwiki',
          include: ['tests/devwiki/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
