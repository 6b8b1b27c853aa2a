// The mwoauth package as a tool author gets it from npm: `npm pack` in lib/mwoauth (its prepack
// builds dist/ with tsc), the tarball installed into an empty folder with nothing else, then plain
// Node (no TypeScript, no loader) runs it: an ES module import, a CommonJS require, and every example
// of lib/mwoauth/README.md exactly as printed there, against devwiki in both protocols. Where an
// example waits for the user to click Allow, the test clicks it (devwiki.approve) and types the
// address the wiki sent the browser to.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CALLBACK, defaultConsumers, startDevwiki, type Devwiki } from '../../devwiki';

const ROOT = join(__dirname, '..', '..');
const PACKAGE = join(ROOT, 'lib', 'mwoauth');
const USER_AGENT = 'mwoauth-package-test/1.0 (tests/devwiki/mwoauth-package.test.ts; nobody@example.org)';

function consumer(id: number): {
  key: string;
  secret: string;
  accessToken?: { key: string; secret: string };
} {
  const found = defaultConsumers().find((c) => c.id === id);
  if (found === undefined) throw new Error(`devwiki has no consumer ${id}`);
  return found;
}

/** The README's examples: each ```js block that follows an `<!-- example: NAME -->` line. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
  const examples = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- example: ([a-z0-9-]+) -->\s*```js\n([\s\S]*?)\n```/g)) {
    examples.set(m[1] ?? '', m[2] ?? '');
  }
  return examples;
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

let tmp: string;
let app: string;
interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: string[];
}
let packed: Packed;

/** What `npm pack --json` says about the one package it packed. */
function readPacked(output: string): Packed {
  const json: unknown = JSON.parse(output);
  const entry: unknown = Array.isArray(json) && json.length === 1 ? json[0] : null;
  if (typeof entry !== 'object' || entry === null)
    throw new Error(`npm pack --json: not one package: ${output}`);
  const [filename, size, unpackedSize, files]: unknown[] = ['filename', 'size', 'unpackedSize', 'files'].map(
    (key) => Reflect.get(entry, key),
  );
  if (
    typeof filename !== 'string' ||
    typeof size !== 'number' ||
    typeof unpackedSize !== 'number' ||
    !Array.isArray(files)
  ) {
    throw new Error(`npm pack --json: unexpected shape: ${output}`);
  }
  const paths = files.map((f: unknown) =>
    typeof f === 'object' && f !== null && 'path' in f && typeof f.path === 'string' ? f.path : '',
  );
  return { filename, size, unpackedSize, files: paths };
}
let wiki: Devwiki;

/**
 * Runs `file` with node in the install folder, with only `vars` added to a clean environment. When
 * it prints "Point your browser to: URL", Alice clicks Allow and `answer` of the address the wiki
 * sent her to is typed in.
 */
function runNode(
  file: string,
  vars: Record<string, string>,
  answer: (callbackUrl: string) => string = (url) => url,
): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: tmp, NODE_ENV: 'production', ...vars };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: app, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let approving = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = /Point your browser to: (\S+)\n/.exec(stdout)?.[1];
      if (url !== undefined && !approving) {
        approving = true;
        wiki.approve(url, 'Alice').then(
          (back) => child.stdin.end(`${answer(back)}\n`),
          (error: unknown) => {
            child.kill();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mwoauth-package-'));
  packed = readPacked(run('npm', ['pack', '--json', '--pack-destination', tmp], PACKAGE));
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "a-tool", "private": true }\n');
  // --prefer-offline: the dependencies come from npm's cache when `npm ci` put them there.
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(tmp, packed.filename)], app);
  const examples = readmeExamples();
  for (const [name, code] of examples) writeFileSync(join(app, `${name}.mjs`), `${code}\n`);
  wiki = await startDevwiki();
}, 600_000);

afterAll(async () => {
  await wiki?.close();
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed mwoauth package', () => {
  it('should hold the built ES modules, their declarations, the README, CHANGELOG and LICENSE, and no source or test', () => {
    const files = [...packed.files].sort();
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']));
    expect(files).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/oauth2/token.js']),
    );
    expect(files.filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f)).sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
    ]);
    console.log(
      `[package] ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${files.length} files`,
    );
  });

  it('should install into an empty folder with its three dependencies and nothing else', () => {
    const installed = readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['jose', 'mwoauth', 'oauth-1.0a', 'oauth4webapi']);
  });

  it('should load from a plain Node ES module script', async () => {
    writeFileSync(
      join(app, 'esm.mjs'),
      "import * as mwoauth from 'mwoauth';\nconsole.log(Object.keys(mwoauth).sort().join(' '));\n",
    );
    const result = await runNode('esm.mjs', {});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split(' ')).toEqual(
      expect.arrayContaining(['Handshaker', 'initiate', 'complete', 'identify', 'ApiClient', 'MWOAuthError']),
    );
  });

  it('should load from CommonJS with require(), as the same module import gives', async () => {
    writeFileSync(
      join(app, 'cjs.cjs'),
      [
        "const { Handshaker, MWOAuthError } = require('mwoauth');",
        "import('mwoauth').then((esm) => console.log(typeof Handshaker, esm.MWOAuthError === MWOAuthError));",
        '',
      ].join('\n'),
    );
    const result = await runNode('cjs.cjs', {});
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('function true\n');
  });
});

describe("lib/mwoauth/README.md's examples, run from the installed package against devwiki", () => {
  it('should have the five examples the README promises', () => {
    expect([...readmeExamples().keys()]).toEqual(['handshaker', 'functions', 'api', 'oauth2', 'bot']);
  });

  const oauth1 = (): Record<string, string> => ({
    MW_INDEX_URL: wiki.indexUrl,
    MW_API_URL: wiki.apiUrl,
    MW_CONSUMER_KEY: consumer(2).key,
    MW_CONSUMER_SECRET: consumer(2).secret,
    USER_AGENT,
  });

  it('1. Handshaker: initiate, authorize, complete, identify (OAuth 1.0a)', async () => {
    const result = await runNode('handshaker.mjs', oauth1());
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /Point your browser to: http:\/\/127\.0\.0\.1:\d+\/w\/index\.php\?title=Special/,
    );
    expect(result.stdout).toMatch(/Identified as Alice \(id=\d+\)\.\n$/);
  });

  it('2. the stateless functions, given the query string alone (OAuth 1.0a)', async () => {
    const result = await runNode('functions.mjs', oauth1(), (url) => new URL(url).search.slice(1));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Access token: { key: '");
    expect(result.stdout).toContain("secret: '[redacted]' }");
    expect(result.stdout).toMatch(/Identified as Alice \(id=\d+\)\.\n$/);
  });

  it('3. a signed API request: userinfo, an edit, and signRequest with fetch (OAuth 1.0a)', async () => {
    const result = await runNode('api.mjs', oauth1());
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Logged in as Alice, groups: .*user/);
    expect(result.stdout).toMatch(/Saved revision \d+\./);
    expect(result.stdout).toContain('fetch with signRequest: Alice\n');
    expect(wiki.readPage('User:Alice/sandbox')?.content).toContain('* Hello from mwoauth');
  });

  it.each([
    ['a confidential client', 4, true],
    ['a public client (PKCE, no secret)', 5, false],
  ])('4. OAuth 2.0 with %s: authorize, code, profile, api.php, refresh', async (_, id, confidential) => {
    const client = consumer(id);
    const result = await runNode('oauth2.mjs', {
      MW_INDEX_URL: wiki.indexUrl,
      MW_API_URL: wiki.apiUrl,
      MW_CLIENT_ID: client.key,
      ...(confidential ? { MW_CLIENT_SECRET: client.secret } : {}),
      MW_REDIRECT_URI: DEFAULT_CALLBACK,
      USER_AGENT,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /Point your browser to: http:\/\/127\.0\.0\.1:\d+\/w\/rest\.php\/oauth2\/authorize\?/,
    );
    expect(result.stdout).toMatch(/Identified as Alice \(id=\d+\)\./);
    expect(result.stdout).toContain('api.php says: Alice\n');
    expect(result.stdout).toMatch(/The access token expires at \d{4}-\d\d-\d\dT/);
    expect(result.stdout).toMatch(/Refreshed; still Alice\.\n$/);
  });

  it('5. a bot with an owner-only OAuth 1.0a consumer (key, secret, access token and secret)', async () => {
    const bot = consumer(3);
    if (bot.accessToken === undefined) throw new Error('devwiki consumer 3 has no access token');
    const result = await runNode('bot.mjs', {
      MW_API_URL: wiki.apiUrl,
      MW_CONSUMER_KEY: bot.key,
      MW_CONSUMER_SECRET: bot.secret,
      MW_ACCESS_TOKEN: bot.accessToken.key,
      MW_ACCESS_SECRET: bot.accessToken.secret,
      USER_AGENT,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Admin saved revision \d+ of User:Admin\/sandbox \(oauth1\)\.\n$/);
    expect(wiki.readPage('User:Admin/sandbox')?.content).toContain('* A line from a bot');
  });

  it('5. a bot with an owner-only OAuth 2.0 client (its access token alone)', async () => {
    const result = await runNode('bot.mjs', {
      MW_API_URL: wiki.apiUrl,
      MW_ACCESS_TOKEN: await wiki.ownerOnlyAccessToken(consumer(6).key),
      USER_AGENT,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Admin saved revision \d+ of User:Admin\/sandbox \(bearer\)\.\n$/);
  });
});
