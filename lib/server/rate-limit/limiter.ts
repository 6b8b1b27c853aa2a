import 'server-only';
import type { RateLimitConfig } from '../config';
import { RateLimiter as MemoryWindows, type RateDecision } from './initiate';

// The seam for the initiate rate limit (REVIEW.md §2.3): one interface, two implementations with
// the same decisions (at most `max` per fixed window of `windowS` per key; Retry-After in seconds
// when over): today's in-memory windows (per process) and Redis (rate-limit/redis.ts, counted
// across every instance). Asynchronous because Redis is.

export type { RateDecision };

export interface RateLimiter {
  /** Counts one request of `key`; throws AppError 'store_unavailable' when Redis cannot answer in time. */
  take(key: string): Promise<RateDecision>;
}

/** lib/server/rate-limit/initiate.ts's in-memory fixed windows behind the interface (the cookie store's choice). */
export function memoryRateLimiter(
  limit: RateLimitConfig,
  windows: MemoryWindows = new MemoryWindows(),
): RateLimiter {
  return {
    take(key: string): Promise<RateDecision> {
      return Promise.resolve(windows.take(key, limit));
    },
  };
}
