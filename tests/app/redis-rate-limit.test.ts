import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/server/core/errors';
import { memoryRateLimiter } from '@/lib/server/rate-limit/memory';
import { createRedisRateLimiter } from '@/lib/server/rate-limit/redis';
import { createRedisConnection, type RedisConnection } from '@/lib/server/redis/connection';
import { startRedis, type TestRedis } from '@/tests/support/redis-server';
import { sessionConfig } from '@/tests/support/session-config';

// The initiate limit in Redis: one window per client across instances, the same
// decisions as the in-memory limiter. Two connections stand for two app instances.

const config = sessionConfig('k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1');
const LIMIT = { max: 3, windowS: 60 };

let redis: TestRedis;
let a: RedisConnection;
let b: RedisConnection;

beforeAll(async () => {
  redis = await startRedis();
  a = createRedisConnection(redis.url);
  b = createRedisConnection(redis.url);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

describe('Redis rate limiter', () => {
  it('should count one client across two instances and refuse the one over the limit with Retry-After', async () => {
    const onA = createRedisRateLimiter({ connection: a, limit: LIMIT, session: config, keyPrefix: null });
    const onB = createRedisRateLimiter({ connection: b, limit: LIMIT, session: config, keyPrefix: null });
    const decisions = [
      await onA.take('192.0.2.10'),
      await onB.take('192.0.2.10'),
      await onA.take('192.0.2.10'),
      await onB.take('192.0.2.10'),
    ];
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]?.retryAfterS).toBeGreaterThanOrEqual(1);
    expect(decisions[3]?.retryAfterS).toBeLessThanOrEqual(LIMIT.windowS);
    // Another client has its own window.
    expect((await onB.take('192.0.2.11')).allowed).toBe(true);
  });

  it('should give the same decisions as the in-memory limiter for one instance', async () => {
    const redisLimiter = createRedisRateLimiter({
      connection: a,
      limit: LIMIT,
      session: config,
      keyPrefix: null,
      name: 'compare',
    });
    const memory = memoryRateLimiter(LIMIT);
    for (let i = 0; i < 5; i++) {
      const fromRedis = await redisLimiter.take('2001:db8::/64');
      const fromMemory = await memory.take('2001:db8::/64');
      expect(fromRedis.allowed).toBe(fromMemory.allowed);
      expect(Math.abs(fromRedis.retryAfterS - fromMemory.retryAfterS)).toBeLessThanOrEqual(1);
    }
  });

  it('should keep no client address readable in Redis, and expire the window', async () => {
    const limiter = createRedisRateLimiter({
      connection: a,
      limit: LIMIT,
      session: config,
      keyPrefix: null,
      name: 'dump',
    });
    await limiter.take('198.51.100.77');
    const dump = await redis.dump();
    const keys = dump.filter((k) => k.key.includes('rl:dump'));
    expect(keys.length).toBe(1);
    expect(keys[0]?.key.includes('198.51.100.77')).toBe(false);
    expect(keys[0]?.ttlMs).toBeGreaterThan(0);
    expect(keys[0]?.ttlMs).toBeLessThanOrEqual(LIMIT.windowS * 1000);
  });

  it('should throw store_unavailable within the deadline when Redis hangs', async () => {
    const limiter = createRedisRateLimiter({
      connection: b,
      limit: LIMIT,
      session: config,
      keyPrefix: null,
      name: 'hung',
    });
    redis.pause();
    const started = performance.now();
    let code = 'resolved';
    try {
      await limiter.take('203.0.113.5');
    } catch (error) {
      code = error instanceof AppError ? error.code : String(error);
    } finally {
      redis.resume();
    }
    expect(code).toBe('store_unavailable');
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
