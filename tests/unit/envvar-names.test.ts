// Toolforge's envvars service refuses a name that does not match ^[A-Z_][A-Z_0-9]{3,}$ (T374780,
// docs/toolforge.md): every environment variable the app reads must match it, or a tool could not
// set it on Toolforge. The names are found in the code itself (process.env.NAME, process.env['NAME'],
// and env.NAME in lib/server/config, whose `env` is process.env), so a new variable is checked the
// day it is read; and each one a tool sets is in .env.example and docs/toolforge.md.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const TOOLFORGE_NAME = /^[A-Z_][A-Z_0-9]{3,}$/;
/** Set by the platform or by Next, never by the tool: not in .env.example. */
const PLATFORM = new Set(['NODE_ENV', 'NEXT_RUNTIME', 'NEXT_PHASE', 'VERCEL', 'PORT']);
/** Set by the tests' own `next build` (tests/support/e2e-app.ts), never by the tool: the test fixtures. */
const TESTS_ONLY = new Set(['NEXT_MWOAUTH_TEST_FIXTURES']);

const CODE = [
  /\bprocess\.env\.([A-Za-z_$][\w$]*)/g,
  /\bprocess\.env\[\s*['"`]([^'"`]+)['"`]\s*\]/g,
  /(?<![\w.])env\.([A-Za-z_$][\w$]*)/g,
  /(?<![\w.])env\[\s*['"`]([^'"`]+)['"`]\s*\]/g,
];
const SHELL = [/\$\{?([A-Za-z_]\w*)/g]; // the Procfile: $PORT, ${PORT:-8000}

/** Every environment variable name `source` reads: TypeScript, or (`shell`) a Procfile line. */
function envReads(source: string, shell = false): string[] {
  const names = new Set<string>();
  for (const pattern of shell ? SHELL : CODE) for (const m of source.matchAll(pattern)) names.add(m[1] ?? '');
  return [...names];
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|tsx|mts|mjs)$/.test(name) ? [path] : [];
  });
}

/** The app's code (what runs in production): app/, lib/, the root files Next loads, the Procfile. */
function appReads(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  const sources = [
    ...files(join(ROOT, 'app')),
    ...files(join(ROOT, 'lib')).filter((f) => !f.includes(`${join('lib', 'mwoauth')}`)),
    ...['proxy.ts', 'instrumentation.ts', 'next.config.mjs'].map((f) => join(ROOT, f)),
  ];
  const add = (name: string, file: string): void => {
    where.set(name, [...(where.get(name) ?? []), file]);
  };
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    // `env.` outside the configuration is something else (e.g. a parameter of another shape).
    const configFile = file.includes(join('lib', 'server', 'config'));
    for (const name of envReads(configFile ? text : text.replace(/(?<![\w.])env(\.|\[)/g, 'x$1'))) {
      add(name, relative(ROOT, file));
    }
  }
  const procfile = readFileSync(join(ROOT, 'Procfile'), 'utf8').replace(/^#.*$/gm, '');
  for (const name of envReads(procfile, true)) add(name, 'Procfile');
  return where;
}

describe('the scan for environment variables', () => {
  it('should find reads in each form the code uses, and nothing else', () => {
    const source = [
      "const a = process.env.APP_URL; const b = process.env['MW_TIMEOUT_MS'];",
      'function f(env) { return env.SESSION_SECRET ?? env["REDIS_URL"]; }',
      'const environment = `${a}`; envelope.x; // see .env.example',
    ].join('\n');
    expect(envReads(source).sort()).toEqual(['APP_URL', 'MW_TIMEOUT_MS', 'REDIS_URL', 'SESSION_SECRET']);
    expect(envReads('web: exec next start --port "${PORT:-8000}" $HOME', true).sort()).toEqual([
      'HOME',
      'PORT',
    ]);
  });

  it('should tell names Toolforge accepts from names it refuses', () => {
    for (const good of ['MW_INDEX_URL', 'PORT', '_ABC', 'A123']) expect(good).toMatch(TOOLFORGE_NAME);
    for (const bad of ['mw_key', 'DB', 'ABC', 'MW-KEY', '1ABC', 'Mw_Key'])
      expect(bad).not.toMatch(TOOLFORGE_NAME);
  });
});

describe('the environment variables the app reads', () => {
  const reads = appReads();

  it("should include the configuration, the platform variables and the Procfile's PORT", () => {
    for (const name of [
      'MW_INDEX_URL',
      'MW_CONSUMER_SECRET',
      'SESSION_SECRET',
      'APP_URL',
      'NODE_ENV',
      'PORT',
    ]) {
      expect([...reads.keys()]).toContain(name);
    }
  });

  it('should all be names Toolforge envvars accept (^[A-Z_][A-Z_0-9]{3,}$)', () => {
    const refused = [...reads]
      .filter(([name]) => !TOOLFORGE_NAME.test(name))
      .map(([n, f]) => `${n} (${f.join(', ')})`);
    expect(refused).toEqual([]);
  });

  it('should each, if the tool sets it, be in .env.example and docs/toolforge.md', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const toolforge = readFileSync(join(ROOT, 'docs', 'toolforge.md'), 'utf8');
    const settable = [...reads.keys()].filter((name) => !PLATFORM.has(name) && !TESTS_ONLY.has(name));
    expect(settable.filter((name) => !example.includes(name))).toEqual([]);
    expect(settable.filter((name) => !toolforge.includes(name))).toEqual([]);
    console.log(`[toolforge] the app reads ${reads.size} variables: ${[...reads.keys()].sort().join(' ')}`);
  });
});
