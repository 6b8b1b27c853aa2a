import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests are split by what they need (CONTRIBUTING.md): unit (no server), devwiki (the local
// stand-in wiki, in-process), app (route handlers and lib/server against devwiki, in-process),
// e2e (a built app in a real Chromium), security (hostile input, faults and load against the built
// app over real HTTP: see SECURITY.md). `npm test` runs them all; `npx vitest run --project unit`
// runs one.
export default defineConfig({
  resolve: {
    alias: [
      // '@/lib/mwoauth' (imports written before lib/mwoauth was the 'mwoauth' package): its index.ts,
      // not the folder, whose package.json would serve dist/. tsconfig.json's paths do the same.
      { find: /^@\/lib\/mwoauth$/, replacement: `${root}/lib/mwoauth/index.ts` },
      { find: '@/', replacement: `${root}/` },
    ],
    // 'mwoauth' is the workspace package in lib/mwoauth: tests run its TypeScript source, as the app
    // does, through tsconfig.json's `paths` (without them, node_modules/mwoauth would serve dist/,
    // which only `npm run build -w mwoauth` makes). tests/unit/mwoauth-package.test.ts tests dist/.
    tsconfigPaths: true,
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'devwiki',
          include: ['tests/devwiki/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        resolve: {
          // Outside Next, 'server-only' throws on import; the guard matters in the app, not here.
          alias: { 'server-only': `${root}/tests/support/server-only.ts` },
        },
        test: {
          name: 'app',
          // tests/demo/app: the sandbox demo's, deleted with it (README, "Make it yours").
          include: ['tests/app/**/*.test.ts', 'tests/demo/app/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          // tests/demo/e2e: the sandbox demo's, deleted with it (README, "Make it yours").
          include: ['tests/e2e/**/*.test.ts', 'tests/demo/e2e/**/*.test.ts'],
          // The console gate: a console error, page error or hydration warning fails the test.
          setupFiles: ['tests/support/e2e-setup.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        resolve: {
          // The tests unseal cookies with lib/server's own password ids (server-only outside Next).
          alias: { 'server-only': `${root}/tests/support/server-only.ts` },
        },
        test: {
          name: 'security',
          include: ['tests/security/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 600_000,
          // One file at a time, after the parallel projects (with e2e): each starts `next start`,
          // and the load and deadline figures need the machine to themselves.
          fileParallelism: false,
        },
      },
    ],
  },
});
