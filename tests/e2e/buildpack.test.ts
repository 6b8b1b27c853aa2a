// What Toolforge's build service does with this repository (docs/toolforge.md, "Build the image"),
// on a fresh copy of its files (`git ls-files`, as a clone has them: no node_modules, no .next, no
// lib/mwoauth/dist): `npm ci` with devDependencies, `npm run build`, then the Procfile's `web:` line
// alone, run by bash with PORT set and the configuration as `toolforge envvars` gives it, and
// nothing else of the repository's scripts. Heroku's Node.js buildpack itself is not run here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT } from '@/tests/support/e2e-app';

let tmp: string;
let clone: string;
let server: ChildProcess | null = null;
let log = '';
let origin: string;
const SESSION_SECRET = randomBytes(32).toString('base64');
const CONSUMER_SECRET = randomBytes(20).toString('hex');

/** Only what a build container has: no variable of this machine's shell or of the test runner. */
function buildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: tmp, NODE_ENV: 'production', ...extra };
}

function step(command: string, args: string[]): void {
  const result = spawnSync(command, args, {
    cwd: clone,
    env: buildEnv(),
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

function procfileWeb(): string {
  const web = readFileSync(join(clone, 'Procfile'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('web:'));
  if (web.length !== 1) throw new Error(`Procfile: expected one web: line, found ${web.length}`);
  return (web[0] ?? '').slice('web:'.length).trim();
}

/** GET /healthz until the server answers or exits; the server's own deadline is the hook's. */
async function healthz(): Promise<Response> {
  for (;;) {
    if (server?.exitCode !== null) throw new Error(`the web process exited:\n${log}`);
    try {
      return await fetch(`${origin}/healthz`);
    } catch {
      await sleep(250);
    }
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'buildpack-'));
  clone = join(tmp, 'app');
  const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0');
  for (const file of tracked) {
    if (file !== '' && existsSync(join(ROOT, file))) cpSync(join(ROOT, file), join(clone, file));
  }
  // --include=dev: the buildpack installs devDependencies for the build even with NODE_ENV=production.
  step('npm', ['ci', '--include=dev', '--no-audit', '--no-fund', '--prefer-offline']);
  step('npm', ['run', 'build']);
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = spawn('bash', ['-c', procfileWeb()], {
    cwd: clone,
    detached: true, // its own process group, stopped whole in afterAll
    stdio: ['ignore', 'pipe', 'pipe'],
    env: buildEnv({
      PORT: String(port),
      MW_INDEX_URL: 'https://meta.wikimedia.org/w/index.php',
      MW_CONSUMER_KEY: 'f00df00df00df00df00df00df00d0078',
      MW_CONSUMER_SECRET: CONSUMER_SECRET,
      SESSION_SECRET,
      USER_AGENT: 'next-mwoauth-buildpack-test/1.0 (tests/e2e/buildpack.test.ts; nobody@example.org)',
      APP_URL: 'https://my-tool.toolforge.test',
    }),
  });
  server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
}, 1_200_000);

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    process.kill(-server.pid, 'SIGTERM');
    await exited;
  }
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

describe('a fresh copy of the repository, built as the Toolforge build service builds it', () => {
  it('should have linked the mwoauth workspace package, and built no dist/ of it (next build compiles its source)', () => {
    const link = join(clone, 'node_modules', 'mwoauth');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(join(clone, 'lib', 'mwoauth')));
    expect(existsSync(join(clone, 'lib', 'mwoauth', 'dist'))).toBe(false);
  });

  it("should answer /healthz with 200 ok from the Procfile's web command on PORT", async () => {
    const response = await healthz();
    expect(response.status).toBe(200);
    await expect(response.text()).resolves.toBe('ok\n');
    expect(log).toMatch(/Ready in/);
  });

  it('should have written no secret to its log', () => {
    for (const secret of [SESSION_SECRET, CONSUMER_SECRET]) expect(log).not.toContain(secret);
  });
});
