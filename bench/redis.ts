// Section 6, redis: what SESSION_STORE=redis costs and buys, beside the cookie store.
// - a session read: the Redis store's open() (unseal the id, one GET on loopback, unseal the
//   record) beside the cookie store's unseal, µs per read (bench/redis-node.ts, one process);
// - the login cookie's bytes in both modes, as the app's callback sets it;
// - throughput of a logged-in page (GET /, which reads the session) with the cookie store on one
//   instance, and with Redis on one and on two `next start` instances sharing one Redis.
// Two instances on a machine of 2 shared cores cannot double anything: the row shows the shared
// session working under load, not scaling. The figures are noisy on a shared machine.
import { randomBytes } from 'node:crypto';
import { startDevwiki } from '@/devwiki';
import { E2E_CONSUMER, startAppServer, type AppServer } from '@/tests/support/e2e-app';
import { startRedis } from '@/tests/support/redis-server';
import { formatBytes } from './format';
import { logIn } from './login';
import type { MicroPlan, OpFigure } from './micro-protocol';
import type { RedisNodeResult } from './redis-node';
import { runNodeScript } from './child';
import type { BenchOptions, Row, Section } from './report';

const FULL: MicroPlan = { warmupMs: 300, minBatchMs: 40, batches: 15 };
const SMOKE: MicroPlan = { warmupMs: 20, minBatchMs: 2, batches: 3 };
const CONCURRENCY = 8;

function runNode(url: string, plan: MicroPlan): Promise<RedisNodeResult> {
  return runNodeScript('redis-node.ts', { REDIS_URL: url, BENCH_PLAN: JSON.stringify(plan) });
}

/** Requests per second of GET / with `cookie`, spread over `origins`, CONCURRENCY at a time, for `ms`. */
async function throughput(
  origins: readonly string[],
  cookie: string,
  ms: number,
): Promise<{ rps: number; failed: number }> {
  let done = 0;
  let failed = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  const worker = async (n: number): Promise<void> => {
    for (let i = 0; performance.now() < until && i < 1_000_000; i++) {
      const origin = origins[(i + n) % origins.length] ?? '';
      const response = await fetch(`${origin}/`, {
        headers: { cookie },
        signal: AbortSignal.timeout(10_000),
      });
      const body = await response.text();
      if (response.status === 200 && body.includes('Alice')) done += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));
  return { rps: (done * 1000) / (performance.now() - started), failed };
}

function us(figure: OpFigure): string {
  return `${figure.usPerOp.toFixed(figure.usPerOp < 100 ? 1 : 0)} µs/read (batches ${figure.min.toFixed(0)}–${figure.max.toFixed(0)})`;
}

export async function run(options: BenchOptions): Promise<Section> {
  const redis = await startRedis();
  const servers: AppServer[] = [];
  const devwiki = await startDevwiki({ consumers: [E2E_CONSUMER] });
  try {
    const micro = await runNode(redis.url, options.smoke ? SMOKE : FULL);
    const secret = randomBytes(32).toString('base64');
    const wiki = { indexUrl: devwiki.indexUrl, consumer: E2E_CONSUMER };
    const userAgent = 'next-mwoauth-bench/1.0 (bench/redis.ts; nobody@example.org)';
    const start = (env: Record<string, string>): Promise<AppServer> =>
      startAppServer({
        wiki,
        userAgent,
        env: { INITIATE_RATE_LIMIT: 'off', SESSION_SECRET: secret, ...env },
      });
    const redisEnv = { SESSION_STORE: 'redis', REDIS_URL: redis.url };
    const cookieServer = await start({});
    servers.push(cookieServer);
    const [a, b] = await Promise.all([start(redisEnv), start(redisEnv)]);
    if (a === undefined || b === undefined) throw new Error('the Redis instances did not start');
    servers.push(a, b);
    const cookieLogin = await logIn(cookieServer.origin, devwiki);
    const redisLogin = await logIn(a.origin, devwiki);
    const ms = options.smoke ? 1000 : 10_000;
    const oneCookie = await throughput([cookieServer.origin], cookieLogin.cookie, ms);
    const oneRedis = await throughput([a.origin], redisLogin.cookie, ms);
    const twoRedis = await throughput([a.origin, b.origin], redisLogin.cookie, ms);
    const failed = oneCookie.failed + oneRedis.failed + twoRedis.failed;
    if (failed > 0) throw new Error(`${failed} logged-in page requests did not answer 200 with the user`);
    const stored = (c: { name: string; value: string }): number => c.name.length + 1 + c.value.length;
    const rps = (r: { rps: number }): string => `${r.rps.toFixed(0)} req/s`;
    const rows: Row[] = [
      {
        name: 'session read: cookie store (unseal, cache miss)',
        value: us(micro.cookieRead),
        budget: null,
        verdict: null,
      },
      {
        name: 'session read: Redis store (unseal id + GET + unseal)',
        value: us(micro.redisRead),
        budget: null,
        verdict: null,
      },
      {
        name: 'login cookie (name=value): cookie store, via the app',
        value: formatBytes(stored(cookieLogin.login)),
        budget: null,
        verdict: null,
      },
      {
        name: 'login cookie (name=value): Redis store, via the app',
        value: formatBytes(stored(redisLogin.login)),
        budget: null,
        verdict: null,
      },
      {
        name: `GET / logged in, ${CONCURRENCY} at a time: cookie store, 1 instance`,
        value: rps(oneCookie),
        budget: null,
        verdict: null,
      },
      {
        name: `GET / logged in, ${CONCURRENCY} at a time: Redis, 1 instance`,
        value: rps(oneRedis),
        budget: null,
        verdict: null,
      },
      {
        name: `GET / logged in, ${CONCURRENCY} at a time: Redis, 2 instances`,
        value: rps(twoRedis),
        budget: null,
        verdict: null,
      },
    ];
    return {
      title: 'redis',
      rows,
      notes: [
        `Session reads measured in one process (bench/redis-node.ts) against a local redis-server on loopback; the store-level cookie sizes were ${micro.cookieBytes} B (cookie) and ${micro.redisBytes} B (Redis).`,
        `Throughput: ${ms / 1000} s per row from the bench process itself, sharing the machine's cores with every server; two instances on 2 shared cores show the shared session under load, not scaling. Noisy on a shared machine.`,
      ],
    };
  } finally {
    for (const server of servers) await server.close();
    await devwiki.close();
    await redis.stop();
  }
}
