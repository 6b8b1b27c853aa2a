// A pod-sized soak: `next start` of the built app inside a 512 MiB memory limit, as a
// Toolforge webservice with `--mem 512Mi` runs, under 16 clients that log in, open logged-in pages
// and look up who they are, for N minutes; once with the cookie store and once with Redis (a real
// redis-server on loopback). It reports OOM kills, failed allocations against the limit, 5xx
// answers, and the resident memory over time with its slope over the second half.
//
//   npm run bench:soak                    # 10 minutes per mode (about 21 minutes in all)
//   npm run bench:soak -- --minutes 2     # shorter
//   npm run bench:soak -- --smoke         # 20 seconds per mode: that everything works
//   npm run bench:soak -- --only redis    # one mode
//
// The limit is a cgroup v1 memory controller group (Linux, root): the script makes
// /sys/fs/cgroup/memory/next-mwoauth-soak-<pid>, writes 512 MiB to memory.limit_in_bytes (and to
// memory.memsw.limit_in_bytes where swap accounting exists, so the server cannot swap instead),
// starts the server through `bash -c 'echo $$ > …/cgroup.procs && exec node … next start'` so the
// server and anything it forks are in the group from their first instruction, and after the server
// has stopped removes the group with rmdir (also on errors and Ctrl-C). Not a test: it asserts
// nothing timed; it exits non-zero only when the server died, was OOM-killed or answered 5xx.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { logIn } from './login';
import { treeCpuMs, treeRss } from './proc';
import { procfileNodeFlags } from './builds';

const LIMIT_BYTES = 512 * 1024 * 1024;
const CLIENTS = 16;
const CGROUP_ROOT = '/sys/fs/cgroup/memory';
/** One action in this many is a whole new login (initiate, Allow on devwiki, callback). */
const LOGIN_EVERY = 10;

type Mode = 'cookie' | 'redis';

interface Sample {
  /** Seconds since the load began. */
  t: number;
  rss: number;
  /** The cgroup's memory.usage_in_bytes (page cache included). */
  usage: number;
}

interface Outcome {
  mode: Mode;
  requests: number;
  logins: number;
  status5xx: number;
  otherFailures: number;
  firstFailure: string | null;
  samples: Sample[];
  oomKills: number;
  failcnt: number;
  maxUsage: number;
  cpuMsPerRequest: number;
  alive: boolean;
}

/** The cgroup: made, limited, and removed by close() once its processes are gone. */
class MemoryGroup {
  readonly dir = join(CGROUP_ROOT, `next-mwoauth-soak-${process.pid}`);

  constructor() {
    if (!existsSync(join(CGROUP_ROOT, 'memory.limit_in_bytes'))) {
      throw new Error(
        `No cgroup v1 memory controller at ${CGROUP_ROOT}: the soak needs Linux with it mounted, run as root.`,
      );
    }
    mkdirSync(this.dir);
    writeFileSync(join(this.dir, 'memory.limit_in_bytes'), String(LIMIT_BYTES));
    const memsw = join(this.dir, 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) writeFileSync(memsw, String(LIMIT_BYTES));
  }

  read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }

  /** `oom_kill N` of memory.oom_control (kernels since 4.13), or 0. */
  oomKills(): number {
    const line = /^oom_kill (\d+)$/m.exec(this.read('memory.oom_control'));
    return line === null ? 0 : Number(line[1]);
  }

  /** The shell line that enters the group, then becomes `next start`. */
  command(nodeFlags: readonly string[]): string {
    const next = join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
    const flags = nodeFlags.map((flag) => `${flag} `).join('');
    return `echo $$ > ${this.dir}/cgroup.procs && exec ${process.execPath} ${flags}${next} start -H 127.0.0.1 -p "$PORT"`;
  }

  /** Removes the group; its processes must have ended (retried briefly while they exit). */
  async close(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    console.error(`could not remove ${this.dir}: remove it with rmdir once its processes have ended`);
  }
}

/** Least-squares slope of `ys` over `xs`. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    den += ((xs[i] ?? 0) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const MB = 1e6;

async function soak(mode: Mode, minutes: number): Promise<Outcome> {
  const group = new MemoryGroup();
  let redis: TestRedis | null = null;
  let app: E2EServer | null = null;
  try {
    if (mode === 'redis') redis = await startRedis();
    app = await startE2EServer({
      // As the Procfile starts it: with its node flags.
      shellCommand: group.command(procfileNodeFlags()),
      env: redis === null ? {} : { SESSION_STORE: 'redis', REDIS_URL: redis.url },
    });
    const server = app;
    const origin = server.origin.replace('localhost', '127.0.0.1');
    const outcome: Outcome = {
      mode,
      requests: 0,
      logins: 0,
      status5xx: 0,
      otherFailures: 0,
      firstFailure: null,
      samples: [],
      oomKills: 0,
      failcnt: 0,
      maxUsage: 0,
      cpuMsPerRequest: 0,
      alive: true,
    };
    const fail = (what: string): void => {
      outcome.firstFailure ??= what;
    };
    const started = performance.now();
    const endAt = started + minutes * 60_000;
    const cpuAtStart = treeCpuMs(server.pid);

    const sampler = (async () => {
      while (performance.now() < endAt) {
        outcome.samples.push({
          t: (performance.now() - started) / 1000,
          rss: treeRss(server.pid),
          usage: Number(group.read('memory.usage_in_bytes')),
        });
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();

    const get = async (path: string, cookie: string): Promise<void> => {
      try {
        const response = await fetch(`${origin}${path}`, { headers: { cookie }, redirect: 'manual' });
        await response.arrayBuffer();
        outcome.requests++;
        if (response.status >= 500) {
          outcome.status5xx++;
          fail(`${path} answered ${response.status}`);
        }
      } catch (error) {
        outcome.otherFailures++;
        fail(`${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };

    const client = async (n: number): Promise<void> => {
      let cookie = '';
      for (let i = n; performance.now() < endAt; i++) {
        if (cookie === '' || i % LOGIN_EVERY === 0) {
          try {
            // initiate and callback are requests of the app; Allow is devwiki's (in this process).
            cookie = (await logIn(origin, server.devwiki, n % 2 === 0 ? 'Alice' : 'Bob')).cookie;
            outcome.requests += 2;
            outcome.logins++;
          } catch (error) {
            outcome.otherFailures++;
            fail(`login: ${error instanceof Error ? error.message : String(error)}`);
            await new Promise((r) => setTimeout(r, 200));
          }
          continue;
        }
        const paths = ['/', '/profile', '/api/mwoauth/identify'];
        await get(paths[i % paths.length] ?? '/', cookie);
      }
    };

    await Promise.all([sampler, ...Array.from({ length: CLIENTS }, (_, n) => client(n))]);
    outcome.cpuMsPerRequest = (treeCpuMs(server.pid) - cpuAtStart) / Math.max(1, outcome.requests);
    outcome.oomKills = group.oomKills();
    outcome.failcnt = Number(group.read('memory.failcnt'));
    outcome.maxUsage = Number(group.read('memory.max_usage_in_bytes'));
    outcome.alive =
      (await fetch(`${origin}/healthz`)
        .then((r) => r.status)
        .catch(() => 0)) === 200;
    return outcome;
  } finally {
    await app?.close();
    await redis?.stop();
    await group.close();
  }
}

function report(o: Outcome, minutes: number): string[] {
  const half = o.samples.filter((s) => s.t >= (minutes * 60) / 2);
  const rssSlope = slope(
    half.map((s) => s.t / 60),
    half.map((s) => s.rss / MB),
  );
  const rss = o.samples.map((s) => s.rss / MB);
  const last = half.map((s) => s.rss / MB);
  return [
    `| ${o.mode} | ${o.requests} (${o.logins} logins) | ${o.status5xx} | ${o.otherFailures} | ` +
      `${o.oomKills} | ${o.failcnt} | ${(o.maxUsage / MB).toFixed(0)} MB | ` +
      `${Math.max(...rss).toFixed(0)} MB | ${Math.min(...last).toFixed(0)}–${Math.max(...last).toFixed(0)} MB | ` +
      `${rssSlope >= 0 ? '+' : ''}${rssSlope.toFixed(2)} MB/min | ${o.cpuMsPerRequest.toFixed(2)} ms | ${o.alive ? 'yes' : 'NO'} |`,
    ...(o.firstFailure === null ? [] : [`  first failure (${o.mode}): ${o.firstFailure}`]),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      smoke: { type: 'boolean' },
      only: { type: 'string' },
    },
  });
  const minutes = values.smoke === true ? 1 / 3 : Number(values.minutes ?? 10);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number, e.g. --minutes 10');
  const modes: Mode[] =
    values.only === undefined
      ? ['cookie', 'redis']
      : values.only.split(',').map((m) => {
          if (m !== 'cookie' && m !== 'redis')
            throw new Error(`--only takes cookie, redis or both, not ${m}`);
          return m;
        });
  const outcomes: Outcome[] = [];
  for (const mode of modes) {
    console.error(`soak: ${mode} store, ${CLIENTS} clients, ${minutes.toFixed(2)} min, 512 MiB limit`);
    outcomes.push(await soak(mode, minutes));
  }
  console.log(
    [
      `Soak: next start in a 512 MiB cgroup, ${CLIENTS} clients, ${minutes.toFixed(2)} min per mode; ` +
        `node flags (the Procfile's): ${procfileNodeFlags().join(' ') || '(none)'}; NODE_OPTIONS=${process.env.NODE_OPTIONS || '(none)'}; load average at end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      '',
      '| store | requests | 5xx | other failures | OOM kills | failcnt | cgroup max usage | RSS max | RSS, second half | RSS slope, second half | CPU per request | alive at end |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...outcomes.flatMap((o) => report(o, minutes)),
    ].join('\n'),
  );
  const broken = outcomes.some((o) => !o.alive || o.oomKills > 0 || o.status5xx > 0);
  process.exit(broken ? 1 : 0);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
