// Section 4, footprint: what deploying the app costs in disk (the `output: 'standalone'` bundle), in
// memory (resident set of the server's process tree, idle and under load) and in start-up time
// (spawn to the first 200), each beside the framework floor's figure from the same run.
import { readdirSync, lstatSync, cpSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  APP_SOURCES,
  cleanEnv,
  ROOT,
  runNext,
  startE2EServer,
  type E2EServer,
} from '@/tests/support/e2e-app';
import type { BenchOptions, Row, Section } from './report';
import {
  copyProject,
  floorEntries,
  formatBytes,
  formatMs,
  logIn,
  median,
  ratio,
  startFloor,
  treeRss,
  type ProjectCopy,
} from './support';

/** Issue 6: the standalone output, with the static files it needs beside it, at most 20 MB (SI). */
const STANDALONE_BUDGET = 20_000_000;
/** The start-up figure asks for the first 200 this often (ms): its resolution. */
const POLL_MS = 10;
/** Requests in flight at once during the load. */
const CONCURRENCY = 8;

interface Plan {
  /** Starts of each server, for the median start-up time. */
  starts: number;
  /** Requests of the load. */
  requests: number;
}

const FULL: Plan = { starts: 3, requests: 600 };
const SMOKE: Plan = { starts: 1, requests: 40 };

/** Bytes of the regular files under `dir` (apparent sizes, as `du -sb` without directory entries). */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(path);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}

/**
 * sharp (and its @img binaries) are what `next/image` optimises with; the app does not use
 * next/image, yet Next's trace takes sharp into every standalone output when it is installed
 * (next depends on it optionally): some 20 MB. Excluded here, as a deployment without next/image
 * should; a tool that adds next/image must drop this exclusion.
 */
const SHARP = ['node_modules/sharp/**', 'node_modules/@img/**'];

/**
 * Builds the copy with `output: 'standalone'` (and sharp excluded) through a wrapper config that
 * spreads the project's own, then puts `.next/static` beside the server as a deployment must.
 */
async function buildStandalone(copy: ProjectCopy, configName: string): Promise<string> {
  const ext = configName.slice(configName.lastIndexOf('.'));
  renameSync(join(copy.dir, configName), join(copy.dir, `next.config.project${ext}`));
  writeFileSync(
    join(copy.dir, configName),
    [
      "// Written by bench/footprint.ts: the project's config, built as a standalone server.",
      `import project from './next.config.project${ext === '.ts' ? '' : ext}';`,
      'export default {',
      '  ...project,',
      "  output: 'standalone',",
      `  outputFileTracingExcludes: { '*': ${JSON.stringify(SHARP)} },`,
      '};',
      '',
    ].join('\n'),
  );
  await runNext(['build'], cleanEnv({ NODE_ENV: 'production' }), copy.dir);
  const standalone = join(copy.dir, '.next', 'standalone');
  cpSync(join(copy.dir, '.next', 'static'), join(standalone, '.next', 'static'), { recursive: true });
  if (existsSync(join(copy.dir, 'public')))
    cpSync(join(copy.dir, 'public'), join(standalone, 'public'), { recursive: true });
  return standalone;
}

interface Sizes {
  /** The traced server (.next/standalone without the static copy). */
  server: number;
  static: number;
  sharp: boolean;
}

function standaloneSizes(standalone: string): Sizes {
  const total = treeBytes(standalone);
  const stat = treeBytes(join(standalone, '.next', 'static'));
  const modules = join(standalone, 'node_modules');
  const sharp = existsSync(join(modules, 'sharp')) || existsSync(join(modules, '@img'));
  return { server: total - stat, static: stat, sharp };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Peak tree RSS while `work` runs, sampled every 25 ms. */
async function peakRss(pid: number, work: Promise<unknown>): Promise<number> {
  let peak = treeRss(pid) ?? 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, treeRss(pid) ?? 0);
      await sleep(25);
    }
  })();
  try {
    await work;
  } finally {
    done = true;
    await sampler;
  }
  return Math.max(peak, treeRss(pid) ?? 0);
}

/** `count` GETs spread over `urls` in turn, CONCURRENCY at a time; throws on anything but 200. */
async function load(urls: readonly string[], cookie: string, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const url = urls[next++ % urls.length] ?? '';
      const response = await fetch(url, {
        headers: cookie === '' ? {} : { cookie },
        redirect: 'manual',
        signal: AbortSignal.timeout(60_000),
      });
      await response.arrayBuffer();
      if (response.status !== 200)
        throw new Error(`${new URL(url).pathname} answered ${response.status} under load`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

interface Memory {
  idle: number;
  loaded: number;
}

interface Figures {
  /** Spawn to the first 200, each start. */
  readyMs: number[];
  memory: Memory;
}

/** Idle RSS (after each URL once and a second's rest), then the peak under the load. */
async function memory(
  pid: number,
  urls: readonly string[],
  cookie: string,
  requests: number,
): Promise<Memory> {
  await load(urls, cookie, urls.length);
  await sleep(1000);
  const idle = treeRss(pid);
  if (idle === null) throw new Error('no /proc: resident memory is not measured on this system');
  const loaded = await peakRss(pid, load(urls, cookie, requests));
  return { idle, loaded };
}

/** A started server, what to load it with, and how to end it. */
interface Started {
  pid: number;
  readyMs: number;
  /** The URLs of the load (fetched in turn) and the Cookie header sent with them. */
  load(): Promise<{ urls: string[]; cookie: string }>;
  close(): Promise<void>;
}

/** Starts a server `plan.starts` times (for the median start-up); memory measured on the last. */
async function measure(start: () => Promise<Started>, plan: Plan): Promise<Figures> {
  const readyMs: number[] = [];
  for (let i = 0; ; i++) {
    const server = await start();
    try {
      readyMs.push(server.readyMs);
      if (i + 1 < plan.starts) continue;
      const { urls, cookie } = await server.load();
      return { readyMs, memory: await memory(server.pid, urls, cookie, plan.requests) };
    } finally {
      await server.close();
    }
  }
}

/** The app: next start, or standalone in `standaloneDir`; its load logged in as Alice. */
function startApp(standaloneDir: string | undefined): () => Promise<Started> {
  return async () => {
    const app: E2EServer = await startE2EServer({
      pollMs: POLL_MS,
      ...(standaloneDir === undefined ? {} : { standaloneDir }),
    });
    return {
      pid: app.pid,
      readyMs: app.readyMs,
      load: async () => ({
        urls: ['/', '/profile', '/api/mwoauth/identify'].map((p) => new URL(p, app.origin).href),
        cookie: (await logIn(app, 'Alice')).jar.header(),
      }),
      close: () => app.close(),
    };
  };
}

/** The floor, served the same way. */
function startFloorFor(standaloneDir: string | undefined): () => Promise<Started> {
  return async () => {
    const floor = await startFloor(POLL_MS, standaloneDir);
    return {
      pid: floor.server.pid,
      readyMs: floor.server.readyMs,
      load: () =>
        Promise.resolve({
          urls: ['/', '/api/noop'].map((p) => new URL(p, floor.origin).href),
          cookie: '',
        }),
      close: () => floor.server.stop(),
    };
  };
}

function info(name: string, value: string): Row {
  return { name, value, budget: null, verdict: null };
}

export async function run(options: BenchOptions): Promise<Section> {
  const plan = options.smoke ? SMOKE : FULL;
  const rows: Row[] = [];
  const copies: ProjectCopy[] = [];
  try {
    const appCopy = copyProject(APP_SOURCES.map((p) => [join(ROOT, p), p] as const));
    copies.push(appCopy);
    const appStandalone = await buildStandalone(appCopy, 'next.config.ts');
    const floorCopy = copyProject(floorEntries());
    copies.push(floorCopy);
    const floorStandalone = await buildStandalone(floorCopy, 'next.config.mjs');

    const app = standaloneSizes(appStandalone);
    const floor = standaloneSizes(floorStandalone);
    const total = app.server + app.static;
    const floorTotal = floor.server + floor.static;
    rows.push({
      name: 'Standalone output: server + .next/static',
      value:
        `${formatBytes(total)} (${formatBytes(app.server)} + ${formatBytes(app.static)}; ` +
        `floor ${formatBytes(floorTotal)}, ours +${formatBytes(total - floorTotal)})`,
      budget: '≤ 20 MB (20 000 000 B)',
      verdict: total <= STANDALONE_BUDGET ? 'met' : 'missed',
    });
    rows.push(
      info('sharp in the standalone output', app.sharp || floor.sharp ? 'yes (not excluded!)' : 'no'),
    );

    // Each way of serving beside the floor served the same way.
    const pairs = [
      ['next start', await measure(startApp(undefined), plan), await measure(startFloorFor(undefined), plan)],
      [
        'standalone server.js',
        await measure(startApp(appStandalone), plan),
        await measure(startFloorFor(floorStandalone), plan),
      ],
    ] as const;
    for (const [how, ours, base] of pairs) {
      const ready = median(ours.readyMs);
      const floorReady = median(base.readyMs);
      rows.push(
        info(
          `Spawn to first 200 on /: ${how}`,
          `${formatMs(ready)} (floor ${formatMs(floorReady)}, ${ratio(ready, floorReady)})`,
        ),
      );
    }
    for (const [how, ours, base] of pairs) {
      rows.push(
        info(
          `RSS idle: ${how}`,
          `${formatBytes(ours.memory.idle)} (floor ${formatBytes(base.memory.idle)}, ${ratio(ours.memory.idle, base.memory.idle)})`,
        ),
        info(
          `RSS peak under load: ${how}`,
          `${formatBytes(ours.memory.loaded)} (floor ${formatBytes(base.memory.loaded)}, ${ratio(ours.memory.loaded, base.memory.loaded)})`,
        ),
      );
    }
    return {
      title: '4. Footprint',
      rows,
      notes: [
        "Standalone output: the app's sources copied to a temporary directory (node_modules hard-linked), built " +
          "with `output: 'standalone'` through a wrapper config that spreads next.config.ts, so the worktree's " +
          '.next and tsconfig.json stay untouched. sharp and @img/* are excluded from the trace ' +
          '(outputFileTracingExcludes): next/image is unused. The figure is the bytes of every regular file ' +
          '(apparent size) of .next/standalone plus .next/static, which must be copied beside server.js to serve; ' +
          'the app has no public/. The floor (bench/floor) is built the same way.',
        `Start-up: from spawning the server to the first 200 on /, asked every ${POLL_MS} ms; median of ` +
          `${plan.starts} start(s) each. The app's / is its logged-out landing page, against devwiki in this process.`,
        'RSS: VmRSS of the server process and every descendant, summed (/proc). Idle: after each URL once and 1 s ' +
          `of rest. Under load: the peak, sampled every 25 ms, of ${plan.requests} GETs, ${CONCURRENCY} at a time: ` +
          "the app's / and /profile logged in as Alice and GET /api/mwoauth/identify (both ask devwiki, which runs " +
          "in the bench's process and is not counted); the floor's / and /api/noop.",
      ],
    };
  } finally {
    for (const copy of copies) copy.remove();
  }
}
