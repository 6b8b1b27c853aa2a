// The two axes of the app (MW_OAUTH_VERSION and SESSION_STORE) as one list of four cells, for
// `describe.each(MATRIX)` in tests/app and tests/security: one definition of a test runs in every
// cell, instead of a copy per protocol or per store. tests/app uses configureCell (the environment
// lib/server reads, as tests/support/app-harness.ts's configureFor sets it); tests/security passes
// storeEnv to startFor (tests/security/support.ts). A Redis cell needs a real redis-server
// (tests/support/redis-server.ts), one per file, started in beforeAll and stopped in afterAll.
import type { DevwikiConsumer } from '@/devwiki';
import { configureFor, testConsumer, testOAuth2Client } from '@/tests/support/app-harness';
import type { TestRedis } from '@/tests/support/redis-server';

export type Protocol = '1.0a' | '2.0';
export type Store = 'cookie' | 'redis';

export interface Cell {
  readonly protocol: Protocol;
  readonly store: Store;
}

export const PROTOCOLS: readonly Protocol[] = ['1.0a', '2.0'];
export const STORES: readonly Store[] = ['cookie', 'redis'];

/** Every protocol with every store: describe.each(MATRIX)('… (OAuth $protocol, $store store)', …). */
export const MATRIX: readonly Cell[] = PROTOCOLS.flatMap((protocol) =>
  STORES.map((store) => ({ protocol, store })),
);

/** The cells of one protocol (a test about OAuth 2.0's refresh runs with both stores). */
export function cellsOf(protocol: Protocol): readonly Cell[] {
  return MATRIX.filter((cell) => cell.protocol === protocol);
}

/** The environment that selects `store`: nothing for the cookie store (the default). */
export function storeEnv(store: Store, redis: TestRedis | null): Record<string, string> {
  if (store === 'cookie') return {};
  if (redis === null) throw new Error('a Redis cell needs a redis-server: startRedis() in beforeAll');
  return { SESSION_STORE: 'redis', REDIS_URL: redis.url };
}

/** The consumer tests/app registers for each protocol (app-harness's testConsumer, testOAuth2Client). */
export const APP_CONSUMERS: Readonly<Record<Protocol, DevwikiConsumer>> = {
  '1.0a': testConsumer(),
  '2.0': testOAuth2Client(),
};

/**
 * Points lib/server at devwiki in `cell`: its protocol's consumer (APP_CONSUMERS unless `consumer`
 * is given) and its store (Redis at `redis`). `extra` as for configureFor. Returns the consumer.
 */
export function configureCell(
  devwiki: { indexUrl: string },
  cell: Cell,
  redis: TestRedis | null,
  extra: Record<string, string> = {},
  consumer: DevwikiConsumer = APP_CONSUMERS[cell.protocol],
): DevwikiConsumer {
  if ((consumer.oauthVersion ?? '1.0a') !== cell.protocol) {
    throw new Error(
      `consumer ${consumer.id} speaks OAuth ${consumer.oauthVersion ?? '1.0a'}, not ${cell.protocol}`,
    );
  }
  configureFor(devwiki, consumer, { ...storeEnv(cell.store, redis), ...extra });
  return consumer;
}
