import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevwikiConsumer } from '@/devwiki';
import { CookieJar } from '@/tests/support/app-harness';
import { cleanEnv, freePort, nextBuild, ROOT, startE2EServer, type E2EServer } from '@/tests/support/e2e-app';

// The demo lifts out, as a newcomer does it, following only README.md: a copy of the
// repository's tracked files deletes the sandbox demo with README's "Delete the demo" block, run
// verbatim, and adds README's own example page (app/my-edits/page.tsx) and route handler
// (app/api/my-edits/route.ts), taken from README's code blocks; then lint, typecheck, `next build`
// (the product build: no test fixture) and the in-process tests that exercise what is left (the
// messages, the profile page's calls, withUser, the session cookies) pass there. The built copy
// then runs against devwiki's Wikimedia mode with OAuth 2.0: logged in, the user's access token is
// invalidated early (as updating an authorization does on Wikimedia, Extension:OAuth 0bdc100a), and
// the JSON route and the page each still answer as the user, with one refresh. node_modules is
// hard-linked into the copy (`cp -al`, as bench/builds.ts does), not installed.

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** README's fenced code blocks, each with its language and text. */
function readmeBlocks(): Array<{ lang: string; text: string; at: number }> {
  return [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] ?? '',
    text: m[2] ?? '',
    at: m.index,
  }));
}

/** The first ```sh block of README's section `heading` (up to the next heading). */
function readmeShell(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README.md has no "${heading}" section`);
  const end = README.indexOf('\n#', start + heading.length + 2);
  const block = readmeBlocks().find((b) => b.lang === 'sh' && b.at > start && (end === -1 || b.at < end));
  if (block === undefined) throw new Error(`README.md's "${heading}" has no sh block`);
  return block.text;
}

/** The README code block that starts with the comment `// <path>`: that file's content. */
function readmeFile(path: string): string {
  const block = readmeBlocks().find((b) => b.text.startsWith(`// ${path}\n`));
  if (block === undefined) throw new Error(`README.md has no code block starting with "// ${path}"`);
  return block.text;
}

let tmp: string;
let copy: string;
const timings: string[] = [];

/** Runs `command` in the copy; throws with the end of its output when it fails. */
function run(label: string, command: string, args: readonly string[], timeoutMs = 300_000): string {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd: copy,
    encoding: 'utf8',
    timeout: timeoutMs,
    // Nothing of this run's own (VITEST_*, MW_*, NEXT_MWOAUTH_TEST_FIXTURES): as a shell would.
    env: cleanEnv({ NEXT_MWOAUTH_TEST_FIXTURES: '' }),
  });
  timings.push(`${label} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) {
    throw new Error(`${label} failed in ${copy} (exit ${result.status}):\n${output.slice(-4000)}`);
  }
  return output;
}

/** Every file under `dir` (relative to the copy), recursively. */
function filesUnder(dir: string): string[] {
  const full = join(copy, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(copy, path)).isDirectory() ? filesUnder(path) : [path];
  });
}

beforeAll(() => {
  const started = performance.now();
  tmp = mkdtempSync(join(tmpdir(), 'lift-out-'));
  copy = join(tmp, 'app');
  const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0');
  for (const file of tracked) {
    if (file === '' || !existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  // Hard links: no disk, no install. Nothing below writes into node_modules in place (the caches a
  // run might rewrite are removed from the copy first: an unlinked name leaves the original alone).
  const linked = spawnSync('cp', ['-al', join(ROOT, 'node_modules'), join(copy, 'node_modules')]);
  if (linked.status !== 0) throw new Error(`cp -al node_modules failed: ${String(linked.stderr)}`);
  rmSync(join(copy, 'node_modules', '.vite'), { recursive: true, force: true });
  rmSync(join(copy, 'node_modules', '.cache'), { recursive: true, force: true });
  timings.push(`copy ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

afterAll(() => {
  console.log(`lift-out: ${timings.join(', ')}`);
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

describe("deleting the demo as README says, then adding README's page and route handler", () => {
  it("should delete the demo with README's block, leaving no trace of it in the code", () => {
    const block = readmeShell('### Delete the demo');
    expect(block).toMatch(/^rm -rf /);
    expect(block.trim().split('\n').length).toBeLessThanOrEqual(3);
    run('delete block', 'bash', ['-euo', 'pipefail', '-c', block]);
    expect(existsSync(join(copy, 'app', 'sandbox'))).toBe(false);
    expect(existsSync(join(copy, 'tests', 'demo'))).toBe(false);
    const traces = [
      'app',
      'lib',
      'i18n',
      'tests',
      'bench',
      'proxy.ts',
      'next.config.mjs',
      'vitest.config.mts',
    ]
      .flatMap((entry) => (statSync(join(copy, entry)).isDirectory() ? filesUnder(entry) : [entry]))
      .filter((path) => path !== join('tests', 'e2e', 'lift-out.test.ts'))
      .filter((path) =>
        /nextmwoauth-sandbox-|app\/sandbox|sandbox\/_lib/.test(readFileSync(join(copy, path), 'utf8')),
      );
    expect(traces).toEqual([]);
  });

  it("should add README's own example page and route handler", () => {
    for (const path of ['app/my-edits/page.tsx', 'app/api/my-edits/route.ts']) {
      mkdirSync(dirname(join(copy, path)), { recursive: true });
      writeFileSync(join(copy, path), readmeFile(path));
    }
  });

  it('should pass lint and typecheck', () => {
    run('lint', 'npm', ['run', 'lint']);
    run('typecheck', 'npm', ['run', 'typecheck']);
  }, 600_000);

  it('should build (the product build: neither the demo nor the test fixture is routed)', async () => {
    const started = performance.now();
    await nextBuild(copy);
    timings.push(`next build ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const routes = join(copy, '.next', 'server', 'app');
    expect(existsSync(join(routes, 'my-edits', 'page.js'))).toBe(true);
    expect(existsSync(join(routes, 'api', 'my-edits', 'route.js'))).toBe(true);
    expect(existsSync(join(routes, 'sandbox'))).toBe(false);
    expect(existsSync(join(routes, 'action-fixture'))).toBe(false);
  }, 600_000);

  it('should pass the in-process tests of what is left: messages, the profile page, withUser, the session', () => {
    run('vitest', 'npx', [
      'vitest',
      'run',
      '--project',
      'app',
      'tests/app/i18n.test.ts',
      'tests/app/profile.test.ts',
      'tests/app/with-user.test.ts',
      'tests/app/session.test.ts',
    ]);
  }, 300_000);
});

describe("README's page and route handler across an OAuth 2.0 token the wiki refuses early (Wikimedia mode)", () => {
  let app: E2EServer;
  const jar = new CookieJar();

  beforeAll(async () => {
    const port = await freePort();
    const client: DevwikiConsumer = {
      id: 46,
      name: 'next-mwoauth lift-out (OAuth 2.0)',
      key: 'e2ee2ee2ee2ee2ee2ee2ee2ee2e00046',
      secret: 'e2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee200046',
      oauthVersion: '2.0',
      confidential: true,
      callbackUrl: `http://localhost:${port}/api/mwoauth/callback`,
      callbackIsPrefix: false,
      grants: ['basic'],
      ownerOnly: false,
    };
    app = await startE2EServer({ dir: copy, port, consumer: client, devwiki: { wikimedia: true } });
  });

  afterAll(async () => {
    await app?.close();
  });

  const refreshes = (): number =>
    app.devwiki.requests.filter((r) => r.endpoint === 'token' && r.grantType === 'refresh_token').length;

  /** GET `path` as the browser, following our own redirects (at most four). */
  async function browse(path: string): Promise<{ response: Response; visited: string[] }> {
    let url = new URL(path, app.origin);
    const visited = [url.pathname + url.search];
    for (let hop = 0; hop < 4; hop++) {
      const response = await jar.send(url);
      const location = response.headers.get('location');
      if (location === null || response.status < 300 || response.status > 399) return { response, visited };
      url = new URL(location, app.origin);
      visited.push(url.pathname + url.search);
    }
    throw new Error(`${path}: more than four redirects (${visited.join(' → ')})`);
  }

  /** Whether the wiki's edge counted its latest API request against a logged-in user, not an IP. */
  const lastCountedAsUser = (): boolean => app.devwiki.wikimedia?.counted.at(-1)?.kind === 'user';

  it('should log in as Alice and answer both as her', async () => {
    const start = await jar.send(new URL('/api/mwoauth/initiate?next=/my-edits', app.origin));
    const back = await app.devwiki.approve(start.headers.get('location') ?? '', 'Alice');
    const login = await jar.send(back);
    expect(login.headers.get('location')).toBe(`${app.origin}/my-edits`);

    const json = await browse('/api/my-edits');
    expect(json.response.status).toBe(200);
    expect(await json.response.json()).toMatchObject({ query: { usercontribs: [] } });
    expect(lastCountedAsUser()).toBe(true);
    const page = await browse('/my-edits');
    expect(page.response.status).toBe(200);
    expect(await page.response.text()).toContain('usercontribs');
  });

  it('should keep the JSON route working when the wiki refuses the access token early: one refresh', async () => {
    expect(app.devwiki.wikimedia?.invalidateAccessTokens('Alice', app.consumer.key)).toBeGreaterThan(0);
    const before = refreshes();
    const json = await browse('/api/my-edits');
    expect(json.visited).toEqual(['/api/my-edits']);
    expect(json.response.status).toBe(200);
    expect(await json.response.json()).toMatchObject({ query: { usercontribs: [] } });
    expect(lastCountedAsUser()).toBe(true);
    expect(refreshes() - before).toBe(1);
  });

  it('should keep the page working the same way: through the revocation check, one refresh, back', async () => {
    expect(app.devwiki.wikimedia?.invalidateAccessTokens('Alice', app.consumer.key)).toBeGreaterThan(0);
    const before = refreshes();
    const page = await browse('/my-edits');
    expect(page.visited).toEqual(['/my-edits', '/api/mwoauth/revoked?next=%2Fmy-edits', '/my-edits']);
    expect(page.response.status).toBe(200);
    expect(await page.response.text()).toContain('usercontribs');
    expect(lastCountedAsUser()).toBe(true);
    expect(refreshes() - before).toBe(1);
    // Still Alice, logged in.
    const who = await browse('/api/mwoauth/identify');
    expect(await who.response.json()).toMatchObject({ username: 'Alice' });
  });
});
