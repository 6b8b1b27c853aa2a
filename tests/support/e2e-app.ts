// For tests/e2e and tests/security: builds the app (`next build`, only when .next is missing or
// older than the sources, or never when E2E_SKIP_BUILD=1 and a build exists), starts devwiki
// in-process and `next start` on free ports of 127.0.0.1 (startE2EServer), and for the browser tests
// launches Debian's Chromium through playwright-core with a fresh profile (startE2EApp). close()
// always ends every child process. bench/ reuses the same pieces (build, ports, environment, the
// server process and its wait for the first 200).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';

export const ROOT = join(__dirname, '..', '..');
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');
export const NEXT_BIN = join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');

/** The app's consumer on devwiki: callback-is-prefix on port 1, so any port of localhost matches. */
export const E2E_CONSUMER: DevwikiConsumer = {
  id: 42,
  name: 'next-mwoauth e2e',
  key: 'e2ee2ee2ee2ee2ee2ee2ee2ee2e00042',
  secret: 'e2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee200042',
  callbackUrl: 'http://localhost:1/api/mwoauth/callback',
  callbackIsPrefix: true,
  grants: ['basic', 'editpage', 'createeditmovepage'],
  ownerOnly: false,
};

export interface E2EServerOptions {
  /**
   * More environment for `next start`, over the defaults below (a value of '' means "unset": the
   * app's own default). By default the initiate limit is off: every test here is one client.
   */
  env?: Record<string, string>;
  /**
   * Run the `output: 'standalone'` build in this directory (`node server.js`, with PORT and
   * HOSTNAME) instead of building and running `next start` (bench/footprint.ts).
   */
  standaloneDir?: string;
  /** How often to ask for the first 200 while the server starts, in ms (default 200). */
  pollMs?: number;
}

/** `next start` against an in-process devwiki, without a browser. */
export interface E2EServer {
  /** http://localhost:<port>: what the browser uses, and APP_URL. */
  origin: string;
  devwiki: Devwiki;
  /** The consumer the app uses (E2E_CONSUMER). */
  consumer: DevwikiConsumer;
  /** The SESSION_SECRET of this run (random), to unseal cookies in tests. */
  sessionSecret: string;
  /** The app server's stdout and stderr so far (for failure messages and leak scans). */
  serverLog(): string;
  /** The app server's stderr alone so far. */
  serverStderr(): string;
  /** The server's pid, leader of its own process group (which holds any worker it forks). */
  pid: number;
  /** Milliseconds from spawning the server to its first 200 on `/`. */
  readyMs: number;
  close(): Promise<void>;
}

export interface E2EApp extends E2EServer {
  context: BrowserContext;
  /** Saves a full-page PNG under test-results/screenshots/. */
  screenshot(page: Page, name: string): Promise<string>;
}

function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium was not found at ${path}. The browser tests need it: install it with \`apt-get install -y chromium\` (Debian), or set CHROMIUM_PATH to a Chromium binary.`,
    );
  }
  return path;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no TCP port'));
        else resolve(address.port);
      });
    });
  });
}

/** The environment without anything that could point the app elsewhere (a developer's shell). */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...extra };
  for (const key of Object.keys(env)) {
    if (
      (!(key in extra) &&
        /^(MW_|SESSION_SECRET$|USER_AGENT$|APP_URL$|INITIATE_RATE_LIMIT$|TRUST_PROXY$|VITEST|NEXT_PHASE)/.test(
          key,
        )) ||
      env[key] === ''
    )
      delete env[key];
  }
  return env;
}

/**
 * Runs `next …args` in `cwd` (default the project root) with the next of `cwd`'s own node_modules
 * (a copy of the project must not trace files of the original); rejects with the end of its output
 * when it fails.
 */
export function runNext(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(cwd, 'node_modules', 'next', 'dist', 'bin', 'next'), ...args],
      {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`next ${args.join(' ')} failed (exit ${code}):\n${output.slice(-4000)}`));
    });
  });
}

/** The newest modification time (ms) of any file under `entries` (paths relative to the root). */
function newestMtime(entries: readonly string[]): number {
  let newest = 0;
  const visit = (path: string): void => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const entry of entries) visit(join(ROOT, entry));
  return newest;
}

/** Everything `next build` reads of the project (paths relative to the root; `public` may be absent). */
export const APP_SOURCES: readonly string[] = [
  'app',
  'lib',
  'public',
  'proxy.ts',
  'instrumentation.ts',
  'next.config.ts',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
];

/**
 * Builds the app unless an up-to-date build exists: one `next build` serves every e2e and security
 * file of a run (they run one file at a time: fileParallelism is off for both projects).
 */
export async function ensureBuilt(): Promise<void> {
  const buildId = join(ROOT, '.next', 'BUILD_ID');
  if (existsSync(buildId)) {
    if (process.env.E2E_SKIP_BUILD === '1') return;
    if (statSync(buildId).mtimeMs > newestMtime(APP_SOURCES)) return;
  }
  // `next build` needs no configuration (it is read at request time).
  await runNext(['build'], cleanEnv({ NODE_ENV: 'production' }));
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The whole process group: next start may fork workers.
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}

/** A Node server (`next start`, or a standalone build's server.js) in its own process group. */
export interface ServerProcess {
  /** The group leader's pid. */
  pid: number;
  /** Milliseconds from spawn to the first 200 on `/`. */
  readyMs: number;
  /** Its stdout and stderr so far. */
  log(): string;
  /** Its stderr alone so far. */
  stderr(): string;
  /** Ends the whole group (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export interface ServerCommand {
  /** Arguments to node, e.g. [NEXT_BIN, 'start', …] or ['server.js']. */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Spawns `node …args` and waits (60 s at most) for its first 200 on http://127.0.0.1:<port>/, asking
 * every `pollMs`; on failure the process is ended before this throws.
 */
export async function startServerProcess(
  command: ServerCommand,
  port: number,
  pollMs = 200,
): Promise<ServerProcess> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, command.args, {
    cwd: command.cwd,
    env: command.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
    stderr += d.toString();
  });
  const name = `node ${command.args.join(' ')}`;
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.pid === undefined) {
        throw new Error(`${name} exited (${child.exitCode}):\n${log}`);
      }
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        if (response.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s:\n${log}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } catch (error) {
    await stop(child);
    throw error;
  }
  return {
    pid: child.pid,
    readyMs: performance.now() - spawnedAt,
    log: () => log,
    stderr: () => stderr,
    stop: () => stop(child),
  };
}

/** Builds if needed, starts devwiki and `next start` against it. */
export async function startE2EServer(options: E2EServerOptions = {}): Promise<E2EServer> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('e2e cleanup failed:', error);
      }
    }
    cleanups.length = 0;
  };

  try {
    if (options.standaloneDir === undefined) await ensureBuilt();

    const devwiki = await startDevwiki({ consumers: [E2E_CONSUMER] });
    cleanups.push(() => devwiki.close());

    const port = await freePort();
    const origin = `http://localhost:${port}`;
    const sessionSecret = randomBytes(32).toString('base64');
    const extra: Record<string, string> = {
      NODE_ENV: 'production',
      MW_INDEX_URL: devwiki.indexUrl,
      MW_CONSUMER_KEY: E2E_CONSUMER.key,
      MW_CONSUMER_SECRET: E2E_CONSUMER.secret,
      MW_CALLBACK: `${origin}/api/mwoauth/callback`,
      SESSION_SECRET: sessionSecret,
      USER_AGENT: 'next-mwoauth-e2e/1.0 (tests/e2e; nobody@example.org)',
      APP_URL: origin,
      INITIATE_RATE_LIMIT: 'off',
      ...options.env,
    };
    const server = await startServerProcess(
      options.standaloneDir === undefined
        ? {
            args: [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)],
            cwd: ROOT,
            env: cleanEnv(extra),
          }
        : {
            args: ['server.js'],
            cwd: options.standaloneDir,
            env: cleanEnv({ ...extra, PORT: String(port), HOSTNAME: '127.0.0.1' }),
          },
      port,
      options.pollMs,
    );
    cleanups.push(() => server.stop());

    return {
      origin,
      devwiki,
      consumer: E2E_CONSUMER,
      sessionSecret,
      serverLog: server.log,
      serverStderr: server.stderr,
      pid: server.pid,
      readyMs: server.readyMs,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function startE2EApp(options: E2EServerOptions = {}): Promise<E2EApp> {
  const executablePath = chromiumPath();
  const server = await startE2EServer(options);
  const cleanups: Array<() => Promise<void> | void> = [() => server.close()];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('e2e cleanup failed:', error);
      }
    }
  };

  try {
    const profileDir = mkdtempSync(join(tmpdir(), 'next-mwoauth-e2e-'));
    cleanups.push(() => rmSync(profileDir, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
      viewport: { width: 1000, height: 800 },
    });
    cleanups.push(() => context.close());

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    return {
      ...server,
      context,
      async screenshot(page, name) {
        const path = join(SCREENSHOT_DIR, `${name}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Runs `next start` with none of the app's variables set; resolves when it exits (bounded: 30 s). */
export async function startWithoutConfiguration(): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: ROOT,
    env: cleanEnv({ NODE_ENV: 'production' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => void stop(child), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}
