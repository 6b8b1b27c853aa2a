import 'server-only';

// The seam for the initiate rate limit: one interface, two implementations with the same decisions
// (at most `max` per fixed window of `windowS` per key; Retry-After in seconds when over): in-memory
// windows per process (rate-limit/memory.ts) and Redis (rate-limit/redis.ts, counted across every
// instance). Asynchronous because Redis is.

export interface RateDecision {
  readonly allowed: boolean;
  /** Seconds until the client's window resets (for Retry-After); 0 when allowed. */
  readonly retryAfterS: number;
}

export interface RateLimiter {
  /** Counts one request of `key`; throws AppError 'store_unavailable' when Redis cannot answer in time. */
  take(key: string): Promise<RateDecision>;
}
