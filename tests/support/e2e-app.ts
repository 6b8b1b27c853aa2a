// For tests/e2e, tests/security, tests/live and bench/: builds the app (`next build`, only when
// .next is missing or older than the sources, or never when E2E_SKIP_BUILD=1 and a build exists),
// starts `next start` on a free port of 127.0.0.1 against a wiki (startAppServer: any wiki, e.g. a
// real one for tests/live; startE2EServer: an in-process devwiki) — or any shell command, as a
// Procfile's line is run, with PORT set, or an `output: 'standalone'` build's server.js — and for
// the browser tests launches Debian's Chromium through playwright-core with a fresh profile
// (launchBrowser; startE2EApp = both). close() always ends every child process. bench/ uses the same
// pieces (nextBuild, startNext, startE2EServer) for the app, its standalone copy and the framework
// floor (bench/framework-floor.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDevwiki, type Devwiki, type DevwikiConsumer, type DevwikiOptions } from '@/devwiki';
import { watchConsole } from './console-gate';

export const ROOT = join(__dirname, '..', '..');
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

/**
 * The next that `dir` itself resolves (Node's lookup from `dir` upwards): the project's for the
 * project and bench/floor, a temporary copy's own for a copy, whose build must not trace files of
 * the original and whose server must not load a second copy of next.
 */
function nextBin(dir: string): string {
  return createRequire(join(dir, 'package.json')).resolve('next/dist/bin/next');
}

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

/** The wiki an app server talks to: what MW_INDEX_URL, MW_API_URL, MW_ISSUER and the consumer say. */
export interface AppWiki {
  indexUrl: string;
  /** api.php; null or absent: beside index.php (the app's default). */
  apiUrl?: string | null;
  /** The wiki's canonical server when it is not the origin of indexUrl (MW_ISSUER). */
  issuer?: string | null;
  /** A callback-is-prefix consumer registered on port 1 (any port of localhost matches, fixture 24b). */
  consumer: { key: string; secret: string };
}

/** How startNext starts and waits for the server. */
export interface StartNextOptions {
  /**
   * Start the server with this command through `bash -c`, with PORT set to the port (how a
   * buildpack runs a Procfile line), instead of `next start -H 127.0.0.1 -p <port>` in the directory.
   */
  shellCommand?: string;
  /**
   * The directory is an `output: 'standalone'` build (.next/standalone with .next/static copied in):
   * run its `node server.js` with PORT and HOSTNAME, as a deployment does, instead of `next start`.
   */
  standalone?: boolean;
  /**
   * Options for node itself, before the script (`next start` or `server.js`; not with shellCommand):
   * the V8 flags the Procfile starts the server with (bench/builds.ts procfileNodeFlags).
   */
  nodeFlags?: readonly string[];
  /** The path polled until it answers 200 before the server counts as started; default `/`. */
  readyPath?: string;
  /** How often that path is asked, in ms (the resolution of readyMs); default 200. */
  pollMs?: number;
}

function startNextOptions(options: StartNextOptions): StartNextOptions {
  const { shellCommand, standalone, nodeFlags, readyPath, pollMs } = options;
  return { shellCommand, standalone, nodeFlags, readyPath, pollMs };
}

export interface AppServerOptions extends StartNextOptions {
  /** The built app to serve; default the project, built first if needed (ensureBuilt). */
  dir?: string;
  wiki: AppWiki;
  userAgent: string;
  /**
   * More environment for `next start`, over the defaults (a value of '' means "unset": the app's
   * own default).
   */
  env?: Record<string, string>;
  /** The port to serve on; default: a free one. */
  port?: number;
}

/** `next start` on http://localhost:<port>, configured for one wiki. */
export interface AppServer {
  /** http://localhost:<port>: what the browser uses, and APP_URL. */
  origin: string;
  /** The SESSION_SECRET of this run (random), to unseal cookies in tests. */
  sessionSecret: string;
  /** The pid of the server (the root of its process tree), for the bench's CPU and memory figures. */
  pid: number;
  /** Milliseconds from spawning the server to the first 200 on its readyPath. */
  readyMs: number;
  /** The app server's stdout and stderr so far (for failure messages and leak scans). */
  serverLog(): string;
  /** The app server's stderr alone so far. */
  serverStderr(): string;
  close(): Promise<void>;
}

export interface E2EServerOptions extends StartNextOptions {
  /** The built app to serve; default the project, built first if needed (ensureBuilt). */
  dir?: string;
  /**
   * More environment for `next start`, over the defaults below (a value of '' means "unset": the
   * app's own default). By default the initiate limit is off: every test here is one client.
   */
  env?: Record<string, string>;
  /** The port to serve on; default: a free one. */
  port?: number;
  /**
   * The consumer registered on devwiki and used by the app; default E2E_CONSUMER. An OAuth 2.0
   * client (`oauthVersion: '2.0'`) sets MW_OAUTH_VERSION=2.0, and a public one (`confidential:
   * false`) leaves MW_CONSUMER_SECRET empty.
   */
  consumer?: DevwikiConsumer;
  /** More consumers registered on devwiki beside `consumer` (another app's, to switch to). */
  otherConsumers?: DevwikiConsumer[];
  /**
   * devwiki's options besides its consumers, e.g. `{ latencyMs: 100 }` for a distant wiki, or
   * `{ otherWikis: [{}] }` for a farm (MW_WIKIS is then set to the other wikis' api.php).
   */
  devwiki?: Omit<DevwikiOptions, 'consumers'>;
}

/** `next start` against an in-process devwiki, without a browser. */
export interface E2EServer extends AppServer {
  devwiki: Devwiki;
  /** The consumer the app uses (E2E_CONSUMER unless another was given). */
  consumer: DevwikiConsumer;
}

/** A headless Chromium with a fresh profile. */
export interface E2EBrowser {
  context: BrowserContext;
  /** Saves a full-page PNG under test-results/screenshots/<name>.png (name: fixed text, never a secret). */
  screenshot(page: Page, name: string): Promise<string>;
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

/** A TCP port that was free on 127.0.0.1 a moment ago. */
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

/**
 * The environment without anything that could point the app elsewhere (a developer's shell), nor the
 * live tests' credentials (LIVE_*: the app is given only what `extra` says).
 */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...extra };
  for (const key of Object.keys(env)) {
    if (
      (!(key in extra) &&
        /^(MW_|LIVE_|SESSION_SECRET$|USER_AGENT$|APP_URL$|INITIATE_RATE_LIMIT$|TRUST_PROXY$|VERCEL$|PORT$|VITEST|NEXT_PHASE)/.test(
          key,
        )) ||
      env[key] === ''
    )
      delete env[key];
  }
  return env;
}

/**
 * `next build` of the app in `dir` with the next `dir` resolves; rejects with the end of its output
 * when it fails. It needs no configuration (the app reads its own at request time). With
 * `fixtures`, the test build: app/action-fixture is routed too (next.config.mjs pageExtensions).
 */
export function nextBuild(dir: string, options: { fixtures?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin(dir), 'build'], {
      cwd: dir,
      env: cleanEnv({
        NODE_ENV: 'production',
        NEXT_MWOAUTH_TEST_FIXTURES: options.fixtures === true ? '1' : '',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`next build in ${dir} failed (exit ${code}):\n${output.slice(-4000)}`));
    });
  });
}

/** Everything `next build` of the app reads, relative to ROOT (`public` may be absent). */
export const APP_SOURCES: readonly string[] = [
  'app',
  'lib',
  // The messages (lib/server/i18n/messages.ts reads i18n/*.json at run time; its key type is en.json's).
  'i18n',
  'public',
  'proxy.ts',
  'instrumentation.ts',
  'next.config.mjs',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
];

/** The newest modification time (ms) of anything `next build` of the app reads. */
function newestSourceMtime(): number {
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
  for (const entry of APP_SOURCES) visit(join(ROOT, entry));
  return newest;
}

/** Whether the build in `dir` routes the test fixtures (a test build: nextBuild's `fixtures`). */
export function hasTestFixtures(dir: string): boolean {
  return existsSync(join(dir, '.next', 'server', 'app', 'action-fixture', 'page.js'));
}

/**
 * Builds the app unless an up-to-date test build exists: one `next build` (with the test fixtures,
 * app/action-fixture) serves every e2e and security file of a run (they run one file at a time:
 * fileParallelism is off for both projects). A build without them (`npm run build`) is rebuilt.
 */
export async function ensureBuilt(): Promise<void> {
  const buildId = join(ROOT, '.next', 'BUILD_ID');
  if (existsSync(buildId) && hasTestFixtures(ROOT)) {
    if (process.env.E2E_SKIP_BUILD === '1') return;
    if (statSync(buildId).mtimeMs > newestSourceMtime()) return;
  }
  await nextBuild(ROOT, { fixtures: true });
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

/** A running server (`next start`, a Procfile command or a standalone server.js). */
export interface NextServer {
  /** The pid of the process spawned, leader of its own process group (which holds any worker). */
  pid: number;
  /** Milliseconds from spawning it to the first 200 on readyPath. */
  readyMs: number;
  /** Its stdout and stderr so far. */
  log(): string;
  stderr(): string;
  /** Ends its whole process group (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts the built app in `dir` on 127.0.0.1:`port` (`next start`, or as `options` say), in a process
 * group of its own; resolves once readyPath answers 200 (bounded: 60 s), or stops it and throws with
 * its output.
 */
export async function startNext(
  dir: string,
  port: number,
  env: NodeJS.ProcessEnv,
  options: StartNextOptions = {},
): Promise<NextServer> {
  if (options.shellCommand !== undefined && options.nodeFlags !== undefined) {
    throw new Error('startNext: nodeFlags go on the shell command itself, not beside it');
  }
  const nodeFlags = options.nodeFlags ?? [];
  const [name, command, args, serverEnv] =
    options.shellCommand !== undefined
      ? [options.shellCommand, 'bash', ['-c', options.shellCommand], { ...env, PORT: String(port) }]
      : options.standalone === true
        ? [
            'node server.js',
            process.execPath,
            [...nodeFlags, 'server.js'],
            { ...env, PORT: String(port), HOSTNAME: '127.0.0.1' },
          ]
        : [
            'next start',
            process.execPath,
            [...nodeFlags, nextBin(dir), 'start', '-H', '127.0.0.1', '-p', String(port)],
            env,
          ];
  const spawnedAt = performance.now();
  const child = spawn(command, args, {
    cwd: dir,
    env: serverEnv,
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
  try {
    if (child.pid === undefined) throw new Error(`${name} did not start`);
    // Bounded wait for the server to answer.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${log}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}${options.readyPath ?? '/'}`, {
          signal: AbortSignal.timeout(2000),
        });
        await response.body?.cancel();
        if (response.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s:\n${log}`);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
    }
    return {
      pid: child.pid,
      readyMs: performance.now() - spawnedAt,
      log: () => log,
      stderr: () => stderr,
      stop: () => stop(child),
    };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** Runs `fn` with a list of cleanups that all run, newest first, when `close` is called or `fn` throws. */
async function withCleanups<T>(
  fn: (cleanups: Array<() => Promise<void> | void>, close: () => Promise<void>) => Promise<T>,
): Promise<T> {
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
    return await fn(cleanups, close);
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Starts the app (production) against `options.wiki`: `next start` of the project, built first if
 * needed, unless `options.dir` names another build.
 */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  return withCleanups(async (cleanups, close) => {
    if (options.dir === undefined) await ensureBuilt();

    const port = options.port ?? (await freePort());
    const origin = `http://localhost:${port}`;
    const sessionSecret = randomBytes(32).toString('base64');
    const { wiki } = options;
    const apiUrl = wiki.apiUrl ?? null;
    const issuer = wiki.issuer ?? null;
    const extra: Record<string, string> = {
      NODE_ENV: 'production',
      MW_INDEX_URL: wiki.indexUrl,
      ...(apiUrl === null ? {} : { MW_API_URL: apiUrl }),
      ...(issuer === null ? {} : { MW_ISSUER: issuer }),
      MW_CONSUMER_KEY: wiki.consumer.key,
      MW_CONSUMER_SECRET: wiki.consumer.secret,
      MW_CALLBACK: `${origin}/api/mwoauth/callback`,
      SESSION_SECRET: sessionSecret,
      USER_AGENT: options.userAgent,
      APP_URL: origin,
      ...options.env,
    };
    const next = await startNext(options.dir ?? ROOT, port, cleanEnv(extra), startNextOptions(options));
    cleanups.push(next.stop);

    return {
      origin,
      sessionSecret,
      pid: next.pid,
      readyMs: next.readyMs,
      serverLog: next.log,
      serverStderr: next.stderr,
      close,
    };
  });
}

/** Builds if needed, starts devwiki and `next start` against it. */
export async function startE2EServer(options: E2EServerOptions = {}): Promise<E2EServer> {
  return withCleanups(async (cleanups, close) => {
    const consumer = options.consumer ?? E2E_CONSUMER;
    const devwiki = await startDevwiki({
      ...options.devwiki,
      consumers: [consumer, ...(options.otherConsumers ?? [])],
    });
    cleanups.push(() => devwiki.close());
    const oauth2 = consumer.oauthVersion === '2.0';
    const server = await startAppServer({
      wiki: {
        indexUrl: devwiki.indexUrl,
        consumer: {
          key: consumer.key,
          secret: oauth2 && consumer.confidential === false ? '' : consumer.secret,
        },
      },
      userAgent: 'next-mwoauth-e2e/1.0 (tests/e2e; nobody@example.org)',
      env: {
        INITIATE_RATE_LIMIT: 'off',
        ...(oauth2 ? { MW_OAUTH_VERSION: '2.0' } : {}),
        // A farm (devwiki's otherWikis): the app may call each of its other wikis, as `npm run dev` sets.
        ...(devwiki.otherWikis.length === 0
          ? {}
          : { MW_WIKIS: devwiki.otherWikis.map((w) => w.apiUrl).join(',') }),
        ...options.env,
      },
      port: options.port,
      dir: options.dir,
      ...startNextOptions(options),
    });
    cleanups.push(() => server.close());
    return { ...server, devwiki, consumer, close };
  });
}

/** Debian's Chromium (or CHROMIUM_PATH), headless, with a fresh profile that close() deletes. */
export async function launchBrowser(): Promise<E2EBrowser> {
  const executablePath = chromiumPath();
  return withCleanups(async (cleanups, close) => {
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
    // Every page's console errors, page errors and hydration warnings fail the test (console-gate.ts).
    watchConsole(context);

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    return {
      context,
      async screenshot(page, name) {
        const path = join(SCREENSHOT_DIR, `${name}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      close,
    };
  });
}

export async function startE2EApp(options: E2EServerOptions = {}): Promise<E2EApp> {
  // Checked first: without a browser there is no point building and starting the app.
  chromiumPath();
  return withCleanups(async (cleanups, close) => {
    const server = await startE2EServer(options);
    cleanups.push(() => server.close());
    const browser = await launchBrowser();
    cleanups.push(() => browser.close());
    return { ...server, context: browser.context, screenshot: browser.screenshot, close };
  });
}

/** Runs `next start` with none of the app's variables set; resolves when it exits (bounded: 30 s). */
export async function startWithoutConfiguration(): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [nextBin(ROOT), 'start', '-H', '127.0.0.1', '-p', String(port)], {
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
