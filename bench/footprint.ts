// Section 4, footprint: what deploying the app costs in disk (the `output: 'standalone'` bundle), in
// memory (resident set of the server's process tree, idle and under load) and in start-up time
// (spawn to the first 200), each beside the framework floor's figure from the same run.
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { appStandaloneBuild, floorStandaloneBuild, procfileNodeFlags, startFloor } from './builds';
import { formatBytes, formatMs, median, ratio } from './format';
import { LoadGenerator, type LoadRequest } from './load';
import { loginCookie } from './login';
import { treeCpuMs, treeRss } from './proc';
import type { BenchOptions, Row, Section } from './report';

/** The standalone output, with the static files it needs beside it, at most 20 MB (SI). */
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

const FULL: Plan = { starts: 7, requests: 600 };
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
  let peak = treeRss(pid);
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, treeRss(pid));
      await sleep(25);
    }
  })();
  try {
    await work;
  } finally {
    done = true;
    await sampler;
  }
  return Math.max(peak, treeRss(pid));
}

/**
 * `count` GETs spread over `paths` in turn, CONCURRENCY in flight, from the load generator's process
 * (as in section 1); throws on anything but 200.
 */
async function load(
  generator: LoadGenerator,
  origin: string,
  paths: readonly string[],
  cookie: string,
  count: number,
): Promise<void> {
  const headers: Record<string, string> = cookie === '' ? {} : { cookie };
  const requests: LoadRequest[] = Array.from({ length: count }, (_, i) => ({
    path: paths[i % paths.length] ?? '/',
    headers,
  }));
  const { timings } = await generator.run(origin, requests, CONCURRENCY);
  const wrong = timings.find((t) => t.status !== 200);
  if (wrong !== undefined) throw new Error(`a GET answered ${wrong.status} under load, not 200`);
}

interface Memory {
  /** After each URL once and a second's rest. */
  idle: number;
  /** The peak under the load. */
  loaded: number;
  /** After the load and a second's rest. */
  idleAfter: number;
  /** The server tree's CPU (ms) over the load, per request. */
  cpuMsPerRequest: number;
}

interface Figures {
  /** Spawn to the first 200, each start. */
  readyMs: number[];
  memory: Memory;
}

/** Idle RSS (after each path once and a second's rest), then the peak under the load. */
async function memory(generator: LoadGenerator, server: Started, requests: number): Promise<Memory> {
  const { paths, cookie } = await server.load();
  await load(generator, server.origin, paths, cookie, paths.length);
  await sleep(1000);
  const idle = treeRss(server.pid);
  const cpuBefore = treeCpuMs(server.pid);
  const loaded = await peakRss(server.pid, load(generator, server.origin, paths, cookie, requests));
  const cpuMsPerRequest = (treeCpuMs(server.pid) - cpuBefore) / requests;
  await sleep(1000);
  return { idle, loaded, idleAfter: treeRss(server.pid), cpuMsPerRequest };
}

/** A started server, what to load it with, and how to end it. */
interface Started {
  /** http://127.0.0.1:<port> */
  origin: string;
  pid: number;
  readyMs: number;
  /** The paths of the load (asked in turn) and the Cookie header sent with them. */
  load(): Promise<{ paths: string[]; cookie: string }>;
  close(): Promise<void>;
}

/**
 * Starts `ours` and `floor` in turn, `plan.starts` times each (alternated: a drift of the host's
 * speed, which moves a start by hundreds of milliseconds, falls on both), for the median start-up;
 * memory is measured on the last start of each, one server at a time.
 */
async function measurePair(
  generator: LoadGenerator,
  ours: () => Promise<Started>,
  floor: () => Promise<Started>,
  plan: Plan,
): Promise<[Figures, Figures]> {
  const figures: [Figures, Figures] = [
    { readyMs: [], memory: { idle: 0, loaded: 0, idleAfter: 0, cpuMsPerRequest: 0 } },
    { readyMs: [], memory: { idle: 0, loaded: 0, idleAfter: 0, cpuMsPerRequest: 0 } },
  ];
  for (let i = 0; i < plan.starts; i++) {
    for (const [k, start] of [ours, floor].entries()) {
      const server = await start();
      try {
        figures[k]?.readyMs.push(server.readyMs);
        if (i + 1 === plan.starts) {
          const memoryOf = await memory(generator, server, plan.requests);
          const figure = figures[k];
          if (figure !== undefined) figure.memory = memoryOf;
        }
      } finally {
        await server.close();
      }
    }
  }
  return figures;
}

/** Starts a server once and measures its memory (the app under the floor's load). */
async function measureOnce(
  generator: LoadGenerator,
  start: () => Promise<Started>,
  plan: Plan,
): Promise<Figures> {
  const server = await start();
  try {
    return { readyMs: [server.readyMs], memory: await memory(generator, server, plan.requests) };
  } finally {
    await server.close();
  }
}

/**
 * The app: next start, or its standalone build in `dir`, with the Procfile's node flags. Its load:
 * its own (`/` and `/profile` logged in as Alice, identify), or with `floorsLoad` the floor's kind of
 * request (`/` logged out, and /healthz, a route handler that asks nothing of the wiki).
 */
function startApp(dir: string | null, floorsLoad = false): () => Promise<Started> {
  return async () => {
    const app: E2EServer = await startE2EServer({
      pollMs: POLL_MS,
      ...(dir === null ? {} : { dir, standalone: true }),
      nodeFlags: procfileNodeFlags(),
    });
    const origin = app.origin.replace('localhost', '127.0.0.1');
    return {
      origin,
      pid: app.pid,
      readyMs: app.readyMs,
      load: async () =>
        floorsLoad
          ? { paths: ['/', '/healthz'], cookie: '' }
          : {
              paths: ['/', '/profile', '/api/mwoauth/identify'],
              cookie: await loginCookie(origin, app.devwiki),
            },
      close: () => app.close(),
    };
  };
}

/** The floor, served the same way. */
function startFloorAs(standalone: boolean): () => Promise<Started> {
  return async () => {
    const floor = await startFloor({ standalone, pollMs: POLL_MS });
    return {
      origin: floor.origin,
      pid: floor.server.pid,
      readyMs: floor.server.readyMs,
      load: () => Promise.resolve({ paths: ['/', '/api/noop'], cookie: '' }),
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
  const generator = LoadGenerator.start();
  try {
    const appStandalone = await appStandaloneBuild();
    const floorStandalone = await floorStandaloneBuild();

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
      ['next start', ...(await measurePair(generator, startApp(null), startFloorAs(false), plan))],
      [
        'standalone server.js',
        ...(await measurePair(generator, startApp(appStandalone), startFloorAs(true), plan)),
      ],
    ] as const;
    const floorsLoad = await measureOnce(generator, startApp(null, true), plan);
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
        info(
          `RSS idle after that load: ${how}`,
          `${formatBytes(ours.memory.idleAfter)} (floor ${formatBytes(base.memory.idleAfter)}, ${ratio(ours.memory.idleAfter, base.memory.idleAfter)})`,
        ),
        info(
          `CPU per request of that load: ${how}`,
          `${formatMs(ours.memory.cpuMsPerRequest)} (floor ${formatMs(base.memory.cpuMsPerRequest)}, ${ratio(ours.memory.cpuMsPerRequest, base.memory.cpuMsPerRequest)})`,
        ),
      );
    }
    const [, , floorStart] = pairs[0];
    rows.push(
      info(
        "RSS idle, the floor's load: next start",
        `${formatBytes(floorsLoad.memory.idle)} (floor ${formatBytes(floorStart.memory.idle)}, ${ratio(floorsLoad.memory.idle, floorStart.memory.idle)})`,
      ),
      info(
        "RSS peak under the floor's load: next start",
        `${formatBytes(floorsLoad.memory.loaded)} (floor ${formatBytes(floorStart.memory.loaded)}, ${ratio(floorsLoad.memory.loaded, floorStart.memory.loaded)})`,
      ),
      info(
        "RSS idle after the floor's load: next start",
        `${formatBytes(floorsLoad.memory.idleAfter)} (floor ${formatBytes(floorStart.memory.idleAfter)}, ${ratio(floorsLoad.memory.idleAfter, floorStart.memory.idleAfter)})`,
      ),
      info(
        "CPU per request of the floor's load: next start",
        `${formatMs(floorsLoad.memory.cpuMsPerRequest)} (floor ${formatMs(floorStart.memory.cpuMsPerRequest)}, ${ratio(floorsLoad.memory.cpuMsPerRequest, floorStart.memory.cpuMsPerRequest)})`,
      ),
    );
    const nodeFlags = procfileNodeFlags();
    return {
      title: '4. Footprint',
      rows,
      notes: [
        "Standalone output: the app's sources copied to a temporary directory (node_modules hard-linked), built " +
          "with `output: 'standalone'` through a wrapper config that spreads next.config.mjs, so the worktree's " +
          '.next and tsconfig.json stay untouched. sharp and @img/* are excluded from the trace ' +
          "(outputFileTracingExcludes): next/image is unused; so are the project's own exclusions (next.config.mjs: " +
          "next's capsize-font-metrics.json, which only next/font reads, at build time; the floor's config excludes it too). " +
          'The figure is the bytes of every regular file ' +
          '(apparent size) of .next/standalone plus .next/static, which must be copied beside server.js to serve; ' +
          'the app has no public/. The floor (bench/floor) is built the same way, in a copy of its own; its `next start` ' +
          'rows serve the same floor build as sections 1 and 3.',
        `Start-up: from spawning the server to the first 200 on /, asked every ${POLL_MS} ms; median of ` +
          `${plan.starts} start(s) each, the app's and the floor's in turn; memory from the last of each. The app's / is its logged-out landing page, against devwiki in this process.`,
        'RSS: VmRSS of the server process and every descendant, summed (/proc). Idle: after each URL once and 1 s ' +
          'of rest; idle after that load: 1 s after its last answer. ' +
          `Under load: the peak, sampled every 25 ms, of ${plan.requests} GETs, ${CONCURRENCY} in flight ` +
          'from the load-generator process (as in section 1): ' +
          "the app's / and /profile logged in as Alice and GET /api/mwoauth/identify (both ask devwiki, which runs " +
          "in the bench's process and is not counted); the floor's / and /api/noop. CPU per request: the " +
          "server tree's utime + stime (/proc) over that load, divided by its requests (the app's requests do " +
          "more than the floor's: a login cookie to unseal, a wiki to ask). The floor's load: the app served " +
          "the floor's kind of requests, its / logged out and /healthz (a route handler asking nothing of the " +
          "wiki), by a server of its own, the same way as the floor's. The app runs with the node flags of the " +
          `Procfile (${nodeFlags.length === 0 ? 'none' : nodeFlags.join(' ')}), as deployed; the floor with Node's defaults.`,
      ],
    };
  } finally {
    generator.close();
  }
}
