import 'server-only';
import type * as Flexible from 'rate-limiter-flexible';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RateLimitConfig, SessionConfig } from '../config';
import { isCorruptDataReply, logCorruptData } from '../redis/node-redis';
import { type RedisClient, type RedisConnection } from '../redis/connection';
import { currentKeyedHash, redisKeyPrefix } from '../redis/keys';
import type { RateDecision, RateLimiter } from './limiter';

// The initiate limit counted in Redis, so every instance shares one window per client.
// rate-limiter-flexible (ISC, no dependencies, maintained since 2018, node-redis 4+ supported with
// `useRedisPackage`) does it with one Lua script per request: `SET key 0 EX window NX` then INCRBY
// and PTTL, atomically, which is the same fixed window as lib/server/rate-limit/initiate.ts keeps in memory.
// What we add: the call runs inside RedisConnection's deadline (the library has none of its own),
// and the key is an HMAC of the client's address under SESSION_SECRET, as a shared Redis must not
// show other tools who visits us (redis/keys.ts). A counter someone else overwrote with text or a
// value of another type (Toolforge's Redis is shared: SECURITY.md) is corrupt data, not an outage:
// it is deleted and the request counted afresh, so it cannot stop a client from logging in.

// Loaded on first use, as node-redis is (redis/connection.ts): the cookie store never needs it.
let flexible: Promise<typeof Flexible> | null = null;

function loadFlexible(): Promise<typeof Flexible> {
  flexible ??= import('rate-limiter-flexible');
  return flexible;
}

export interface RedisRateLimiterOptions {
  readonly connection: RedisConnection;
  readonly limit: RateLimitConfig;
  readonly session: SessionConfig;
  /** REDIS_KEY_PREFIX, or null: derived from SESSION_SECRET. */
  readonly keyPrefix: string | null;
  /** Which limit this is, so two limits of one app do not share counters; default 'initiate'. */
  readonly name?: string;
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { connection, limit, session } = options;
  const keyPrefix = `${redisKeyPrefix(session, options.keyPrefix)}rl:${options.name ?? 'initiate'}`;
  // The library keeps the client it is given; the connection may replace its client after a hang
  // (redis/connection.ts), so there is one limiter per client.
  const limiters = new WeakMap<RedisClient, RateLimiterRedis>();

  function limiterFor(library: typeof Flexible, client: RedisClient): RateLimiterRedis {
    let limiter = limiters.get(client);
    if (limiter === undefined) {
      limiter = new library.RateLimiterRedis({
        storeClient: client,
        useRedisPackage: true,
        points: limit.max,
        duration: limit.windowS,
        keyPrefix,
      });
      limiters.set(client, limiter);
    }
    return limiter;
  }

  return {
    async take(key: string): Promise<RateDecision> {
      const hashed = currentKeyedHash(session, 'rate-limit', key);
      const library = await loadFlexible();
      return connection.call('rate limit', async (client): Promise<RateDecision> => {
        const limiter = limiterFor(library, client);
        for (let attempt = 0; ; attempt++) {
          try {
            await limiter.consume(hashed);
            return { allowed: true, retryAfterS: 0 };
          } catch (error) {
            // Over the limit, the library rejects with the window's state, not with an Error.
            if (error instanceof library.RateLimiterRes) {
              return { allowed: false, retryAfterS: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
            }
            if (attempt > 0 || !isCorruptDataReply(error)) throw error;
            logCorruptData(connection.where, 'rate limit', 'a counter that is not a number; deleted');
            await limiter.delete(hashed);
          }
        }
      });
    },
  };
}
