// Section 1: what our handlers cost, side by side with their floors, in one run.
// - the app (`next start`): initiate, callback, identify and /profile;
// - the framework floor (bench/floor, `next start`): a route handler and a per-request page that do
//   nothing, built with the same next and react;
// - the physical floor (bench/physical-floor.ts, raw node:http): the same crypto and wiki calls with
//   the same libraries, and nothing else; its /noop (node:http alone) is subtracted, so that
//   "crypto floor" is what the work itself costs above an HTTP server.
// Budget: CPU per request ≤ 1.15 × (framework floor + crypto floor).
// CPU is the server's process tree's (utime + stime from /proc) over the measured window divided by
// the requests; the load comes from another process (bench/load-worker.ts); devwiki runs in this
// process, so the wiki's own cost is in no figure.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Devwiki } from '@/devwiki';
import { cleanEnv, freePort, startE2EServer, stop, type E2EServer } from '@/tests/support/e2e-app';
import { startFloor } from './builds';
import { LoadGenerator, type LoadRequest } from './load';
import { loginCookie, preparedCallbacks } from './login';
import { treeCpuMs } from './proc';
import { formatMs, ratioVerdict } from './format';
import type { BenchOptions, Row, Section } from './report';

export const BUDGET_FACTOR = 1.15;

interface Server {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
}

interface Target {
  key: string;
  server: Server;
  /** `count` requests to send (callbacks: prepared logins, each used once). */
  requests(count: number): Promise<LoadRequest[]>;
  status: number;
}

interface Measured {
  cpuMs: number;
  wallMs: number;
  count: number;
}

/** The physical floor as a process of its own; resolves once it listens. */
async function startPhysicalFloor(devwiki: Devwiki): Promise<{ server: Server; close(): Promise<void> }> {
  const port = await freePort();
  const consumer = devwiki.consumers[0];
  if (consumer === undefined) throw new Error('devwiki has no consumer');
  const child: ChildProcess = fork(join(__dirname, 'physical-floor.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: cleanEnv({
      NODE_ENV: 'production',
      PORT: String(port),
      ORIGIN: `http://localhost:${port}`,
      WIKI_INDEX_URL: devwiki.indexUrl,
      WIKI_API_URL: devwiki.apiUrl,
      CONSUMER_KEY: consumer.key,
      CONSUMER_SECRET: consumer.secret,
      SESSION_SECRET: randomBytes(32).toString('base64'),
    }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the physical floor did not listen within 30 s')),
      30_000,
    );
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the physical floor exited (${code})`));
    });
  });
  if (child.pid === undefined) throw new Error('the physical floor has no pid');
  return { server: { url: `http://127.0.0.1:${port}`, pid: child.pid }, close: () => stop(child) };
}

function same(path: string, headers: Record<string, string> = {}): (count: number) => Promise<LoadRequest[]> {
  return async (count) => Array.from({ length: count }, () => ({ path, headers }));
}

async function measure(
  load: LoadGenerator,
  target: Target,
  count: number,
  concurrency: number,
): Promise<Measured> {
  const requests = await target.requests(count);
  const before = treeCpuMs(target.server.pid);
  const result = await load.run(target.server.url, requests, concurrency);
  const cpuMs = treeCpuMs(target.server.pid) - before;
  const wrong = result.timings.filter((t) => t.status !== target.status);
  if (wrong.length > 0) {
    throw new Error(
      `${target.key}: ${wrong.length} of ${count} answers were not ${target.status} (first: ${wrong[0]?.status})`,
    );
  }
  return { cpuMs, wallMs: result.wallMs, count };
}

export async function run(options: BenchOptions): Promise<Section> {
  const perRound = options.smoke ? 12 : 200;
  const rounds = options.smoke ? 1 : 3;
  const warmup = options.smoke ? 4 : 40;
  const concurrency = 4;

  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    const app: E2EServer = await startE2EServer();
    cleanups.push(() => app.close());
    // The same floor build as section 3's (bench/builds.ts: once per run).
    const floor = await startFloor();
    cleanups.push(() => floor.server.stop());
    const physical = await startPhysicalFloor(app.devwiki);
    cleanups.push(() => physical.close());
    const load = LoadGenerator.start();
    cleanups.push(() => load.close());

    const appServer: Server = { url: app.origin.replace('localhost', '127.0.0.1'), pid: app.pid };
    const floorServer: Server = { url: floor.origin, pid: floor.server.pid };
    const appLogin = await loginCookie(appServer.url, app.devwiki);
    const physicalLogin = await loginCookie(physical.server.url, app.devwiki);

    const endpoints = (server: Server, login: string, prefix: string): Target[] => [
      {
        key: `${prefix}initiate`,
        server,
        requests: same('/api/mwoauth/initiate?next=/profile'),
        status: 303,
      },
      {
        key: `${prefix}callback`,
        server,
        requests: (count) => preparedCallbacks(server.url, app.devwiki, count),
        status: 303,
      },
      {
        key: `${prefix}identify`,
        server,
        requests: same('/api/mwoauth/identify', { cookie: login }),
        status: 200,
      },
      { key: `${prefix}profile`, server, requests: same('/profile', { cookie: login }), status: 200 },
    ];
    const targets: Target[] = [
      ...endpoints(appServer, appLogin, 'app:'),
      { key: 'app:home', server: appServer, requests: same('/', { cookie: appLogin }), status: 200 },
      { key: 'framework:handler', server: floorServer, requests: same('/api/noop'), status: 200 },
      { key: 'framework:page', server: floorServer, requests: same('/'), status: 200 },
      { key: 'physical:noop', server: physical.server, requests: same('/noop'), status: 200 },
      ...endpoints(physical.server, physicalLogin, 'physical:'),
    ];

    for (const target of targets) await measure(load, target, warmup, concurrency);
    // Rounds interleave the targets, so a slow spell of the machine falls on all of them alike.
    const totals = new Map<string, Measured>();
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const m = await measure(load, target, perRound, concurrency);
        const sum = totals.get(target.key) ?? { cpuMs: 0, wallMs: 0, count: 0 };
        totals.set(target.key, {
          cpuMs: sum.cpuMs + m.cpuMs,
          wallMs: sum.wallMs + m.wallMs,
          count: sum.count + m.count,
        });
      }
    }
    return report(totals, { perRound, rounds, warmup, concurrency });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('bench cleanup failed:', error);
      }
    }
  }
}

const ENDPOINTS = [
  { key: 'initiate', label: 'initiate (GET /api/mwoauth/initiate)', framework: 'framework:handler' },
  { key: 'callback', label: 'callback (GET /api/mwoauth/callback)', framework: 'framework:handler' },
  { key: 'identify', label: 'identify (GET /api/mwoauth/identify)', framework: 'framework:handler' },
  { key: 'profile', label: '/profile (page)', framework: 'framework:page' },
] as const;

function report(
  totals: ReadonlyMap<string, Measured>,
  plan: { perRound: number; rounds: number; warmup: number; concurrency: number },
): Section {
  const get = (key: string): Measured => {
    const m = totals.get(key);
    if (m === undefined || m.count === 0) throw new Error(`no figures for ${key}`);
    return m;
  };
  const cpu = (key: string): number => get(key).cpuMs / get(key).count;
  const rps = (key: string): string => `${Math.round((get(key).count * 1000) / get(key).wallMs)} req/s`;
  const figure = (key: string): string => `${formatMs(cpu(key))} CPU, ${rps(key)}`;
  const http = cpu('physical:noop');

  const rows: Row[] = [
    {
      name: 'framework floor: route handler doing nothing',
      value: figure('framework:handler'),
      budget: null,
      verdict: null,
    },
    {
      name: 'framework floor: per-request page doing nothing',
      value: figure('framework:page'),
      budget: null,
      verdict: null,
    },
    {
      name: 'node:http doing nothing (taken off the physical floor)',
      value: figure('physical:noop'),
      budget: null,
      verdict: null,
    },
  ];
  for (const e of ENDPOINTS) {
    const crypto = Math.max(0, cpu(`physical:${e.key}`) - http);
    rows.push({
      name: `physical floor: ${e.key}`,
      value: `${figure(`physical:${e.key}`)}; crypto floor ${formatMs(crypto)}`,
      budget: null,
      verdict: null,
    });
  }
  for (const e of ENDPOINTS) {
    const framework = cpu(e.framework);
    const crypto = Math.max(0, cpu(`physical:${e.key}`) - http);
    const budget = BUDGET_FACTOR * (framework + crypto);
    const { verdict, ratio } = ratioVerdict(cpu(`app:${e.key}`), budget);
    rows.push({
      name: `${e.label}: CPU per request`,
      value: figure(`app:${e.key}`),
      budget: `≤ ${BUDGET_FACTOR} × (${formatMs(framework)} framework + ${formatMs(crypto)} crypto) = ${formatMs(budget)}; ${ratio}`,
      verdict,
    });
  }
  rows.push({
    name: 'home page / logged in (proxy + layout + page; no wiki call): CPU per request',
    value: `${figure('app:home')}; ${(cpu('app:home') / cpu('framework:page')).toFixed(2)}× the framework floor page`,
    budget: null,
    verdict: null,
  });
  return {
    title: '1. Handler cost against its floors',
    rows,
    notes: [
      `Each figure: ${plan.rounds} round(s) of ${plan.perRound} requests per row, rounds interleaving the rows, after ${plan.warmup} warm-up requests each; ${plan.concurrency} requests in flight, keep-alive, over loopback, from a separate load-generator process. CPU per request = the server's process tree's utime + stime (/proc) over the measured requests, divided by their number; req/s = requests / wall time (devwiki answers in the bench process, so req/s also waits on it).`,
      'Framework floor: bench/floor, built with the same next and react, once per run in a temporary copy of its own (bench/builds.ts; sections 3 and 4 serve the same build): a route handler returning "ok" (for the three route handlers) and a page that awaits cookies() and renders one paragraph in a one-element layout (for /profile), both through next start.',
      'Physical floor: bench/physical-floor.ts, a raw node:http server doing per endpoint only the crypto and wiki calls the protocol forces, with the same libraries (iron-session, oauth-1.0a with node:crypto HMAC-SHA1 as lib/mwoauth signs, global fetch, jose HS256 verify with the key imported once): initiate = sign + POST initiate + seal the handshake; callback = unseal the handshake + sign + POST token + sign + POST identify + verify + seal the login; identify = unseal + sign + POST identify + verify + JSON; /profile = unseal + identify and a signed userinfo GET in parallel + verify + a small HTML page. Crypto floor = its CPU per request minus that of its /noop (node:http alone), which the framework floor already contains.',
      'Callbacks are single use: each measured callback is a login started and authorized (devwiki presses Allow) beforehand, outside the measured window. /profile and identify send the login cookie of one user, as one browser does.',
    ],
  };
}
