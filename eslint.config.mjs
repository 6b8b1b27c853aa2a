import { defineConfig, globalIgnores } from 'eslint/config';
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([
    '**/.next/**',
    'lib/mwoauth/dist/**',
    'lib/mwoauth/.api-*/**',
    'out/**',
    'build/**',
    'next-env.d.ts',
    'test-results/**',
    'coverage/**',
  ]),
  {
    // lib/mwoauth is a framework-free client any Node script can use (CONTRIBUTING.md):
    // no Next, no React, no 'server-only', no process.env; fetch and configuration are parameters.
    files: ['lib/mwoauth/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'react', message: 'lib/mwoauth must not depend on React.' },
            { name: 'react-dom', message: 'lib/mwoauth must not depend on React.' },
            {
              name: 'server-only',
              message: "lib/mwoauth is usable outside Next; put 'server-only' code in lib/server.",
            },
            { name: 'next', message: 'lib/mwoauth must not depend on Next.' },
          ],
          patterns: [
            { group: ['next/*'], message: 'lib/mwoauth must not depend on Next.' },
            {
              group: ['@/*', '**/devwiki/**', 'mwoauth'],
              message: 'lib/mwoauth uses relative imports within itself only.',
            },
            {
              // The package is compiled by tsc to ESM that plain Node runs (lib/mwoauth/tsconfig.json):
              // Node needs each relative import's file name, and tsc rewrites './x.ts' to './x.js'.
              regex: String.raw`^\.\.?/(?!.*\.ts$)`,
              message:
                "Name the file: './errors.ts', not './errors' or './errors.js' (lib/mwoauth/tsconfig.json).",
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'lib/mwoauth takes its configuration as parameters.' },
      ],
    },
  },
  {
    // examples/ are scripts a bot author copies: they use the mwoauth package (lib/mwoauth), and
    // nothing of the app (Next, React, lib/server) or of the tests (devwiki).
    files: ['examples/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'react', message: 'examples use lib/mwoauth only.' },
            { name: 'react-dom', message: 'examples use lib/mwoauth only.' },
            { name: 'server-only', message: 'examples use lib/mwoauth only.' },
            { name: 'next', message: 'examples use lib/mwoauth only.' },
          ],
          patterns: [
            { group: ['next/*'], message: 'examples use lib/mwoauth only.' },
            {
              group: ['@/*', '**/devwiki', '**/devwiki/**', '**/lib/server', '**/lib/server/**'],
              message:
                'examples import the mwoauth package (lib/mwoauth) by name, and nothing of the app or tests.',
            },
          ],
        },
      ],
    },
  },
  {
    // devwiki is a development and test stand-in for the wiki: the app must never ship it.
    files: ['app/**', 'lib/**'],
    ignores: ['lib/mwoauth/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/devwiki', '**/devwiki/**', '@/devwiki/**'],
              message: 'devwiki is for development and tests only.',
            },
          ],
        },
      ],
    },
  },
]);
