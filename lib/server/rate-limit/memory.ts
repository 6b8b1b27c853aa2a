import 'server-only';
import type { RateLimitConfig } from '../config';
import type { RateDecision, RateLimiter } from './limiter';

// The cookie store's initiate limiter: a fixed window per client, in this process's memory. Simple,
// no dependency, and enough to stop a loop. It is per process (each replica counts on its own) and
// forgets on restart; SECURITY.md says so. With SESSION_STORE=redis the same windows are counted in
// Redis instead, across every instance (rate-limit/redis.ts).

/** Clients remembered at once; beyond this the oldest windows are dropped (memory stays bounded). */
export const MAX_TRACKED_CLIENTS = 10_000;

interface Window {
  count: number;
  resetAt: number;
}

/** Fixed windows per key. `now` is injectable for tests. */
export class MemoryWindows {
  readonly #windows = new Map<string, Window>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Counts one request of `key` against `limit`. */
  take(key: string, limit: RateLimitConfig): RateDecision {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      this.#windows.delete(key);
      this.#makeRoom(now);
      window = { count: 0, resetAt: now + limit.windowS * 1000 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= limit.max) return { allowed: true, retryAfterS: 0 };
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
  }

  /** How many clients are remembered (for tests). */
  get size(): number {
    return this.#windows.size;
  }

  #makeRoom(now: number): void {
    if (this.#windows.size < MAX_TRACKED_CLIENTS) return;
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
    // Still full: drop the oldest windows (a Map iterates in insertion order).
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < MAX_TRACKED_CLIENTS) break;
      this.#windows.delete(key);
    }
  }
}

/** The in-memory windows behind the RateLimiter interface (the cookie store's choice). */
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
