// The Node side of the redis section (bench/redis.ts runs it with the react-server condition, as
// bench/micro-node.ts is run): µs per session read of each store, on the same login — the cookie
// store's unseal (a cache miss: every read a real unseal) beside the Redis store's open() (unseal the
// id, one GET over loopback, unseal the record) — and the login cookie's bytes in both modes.
// Reads REDIS_URL and the plan from the environment; answers one JSON line on stdout.
import { passwordIdFor, type SessionConfig } from '@/lib/server/config';
import type { NewLogin } from '@/lib/server/login/credentials';
import { createRedisConnection } from '@/lib/server/redis/connection';
import { cookieStore, LOGIN_CACHE_SIZE } from '@/lib/server/session/cookie-store';
import { createRedisStore } from '@/lib/server/session/redis-store';
import { LOGIN_COOKIE, type SessionStore } from '@/lib/server/session/store';
import { measure, type MicroPlan, type OpFigure } from './micro-protocol';

export interface RedisNodeResult {
  readonly cookieRead: OpFigure;
  readonly redisRead: OpFigure;
  /** `name=value` of the login cookie as each store sets it. */
  readonly cookieBytes: number;
  readonly redisBytes: number;
}

async function main(): Promise<void> {
  const url = process.env.REDIS_URL ?? '';
  const plan: MicroPlan = JSON.parse(process.env.BENCH_PLAN ?? '{}');
  const secret = 'bench-redis-secret-0123456789abcdef';
  const session: SessionConfig = {
    passwords: { [passwordIdFor(secret)]: secret },
    currentPasswordId: passwordIdFor(secret),
  };
  const login: NewLogin = {
    sub: '12345',
    username: 'Bench User',
    credentials: {
      protocol: '1.0a',
      accessToken: { key: 'b'.repeat(32), secret: 'c'.repeat(40) },
    },
  };
  const connection = createRedisConnection(url);
  const stores: Record<'cookie' | 'redis', SessionStore> = {
    cookie: cookieStore(session),
    redis: createRedisStore({ connection, session, keyPrefix: null }),
  };
  const seals: Record<'cookie' | 'redis', string[]> = { cookie: [], redis: [] };
  for (const kind of ['cookie', 'redis'] as const) {
    const store = stores[kind];
    const loggedOut = await store.open({ get: () => undefined });
    // Twice the cookie store's cache of distinct seals, read in turn: every read is a miss.
    for (let i = 0; i < 2 * LOGIN_CACHE_SIZE; i++) {
      const writer = {
        set(name: string, value: string): void {
          if (name === LOGIN_COOKIE && value !== '') seals[kind].push(value);
        },
      };
      await store.create(loggedOut, writer, login);
    }
  }
  const reader = (kind: 'cookie' | 'redis'): { get: () => { value: string } } => {
    let turn = 0;
    return { get: () => ({ value: seals[kind][turn++ % seals[kind].length] ?? '' }) };
  };
  for (const kind of ['cookie', 'redis'] as const) {
    if ((await stores[kind].open(reader(kind))).login === null)
      throw new Error(`${kind}: the seal does not open`);
  }
  const cookieReader = reader('cookie');
  const redisReader = reader('redis');
  const result: RedisNodeResult = {
    cookieRead: await measure(plan, () => stores.cookie.open(cookieReader)),
    redisRead: await measure(plan, () => stores.redis.open(redisReader)),
    cookieBytes: 'mwoauth_session='.length + (seals.cookie[0] ?? '').length,
    redisBytes: 'mwoauth_session='.length + (seals.redis[0] ?? '').length,
  };
  await connection.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
