import 'server-only';
import { forLog, LOG_MESSAGE_MAX } from '../core/log';
import type * as NodeRedis from '@redis/client';
import {
  DeadlineExceeded,
  isCorruptDataReply,
  loadNodeRedis,
  logCorruptData,
  reason,
  withDeadline,
} from './node-redis';
import type { RedisClientType } from '@redis/client';
import { AppError } from '../core/errors';

// One Redis connection per process, every call bounded in time (a deadline of REDIS_DEADLINE_MS,
// connecting included). While the socket is down a command is refused at once (no offline queue),
// the commands awaiting a reply are bounded (REDIS_MAX_PENDING), and a dropped socket reconnects
// with a backoff, so the app recovers without a restart. The client bounds none of a call whose
// connection is up but silent, so the deadline is ours (redis/node-redis.ts withDeadline): a
// connection that misses it is destroyed and replaced on the next call, so a hung server never gets
// a second request on the same socket, and one that comes back is reached by a fresh connection.

/** How long one Redis call may take, connecting included ("about 1 s"). */
export const REDIS_DEADLINE_MS = 1000;
/** Commands waiting on one connection at most; beyond this a call fails at once (memory stays bounded). */
export const REDIS_MAX_PENDING = 1000;
/** Reconnection delays: 50 ms doubling up to this, plus up to 10 % jitter (instances do not stampede). */
export const REDIS_MAX_BACKOFF_MS = 1000;

/** The client type the app uses: RESP2, which every Redis server (and Toolforge's) speaks. */
export type RedisClient = RedisClientType<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  2
>;

export interface RedisConnection {
  /** `host:port` of the server (never the user or password of REDIS_URL), for messages and /healthz. */
  readonly where: string;
  /**
   * Runs `task` on a connected client within REDIS_DEADLINE_MS. Throws AppError
   * 'store_unavailable' (naming `what` and the server, no secret) when Redis is unreachable, slow,
   * or answers with an error.
   */
  call<T>(what: string, task: (client: RedisClient) => Promise<T>): Promise<T>;
  /** Closes the connection (tests, shutdown); a later call opens a new one. */
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  /** Per call, connecting included; default REDIS_DEADLINE_MS. */
  readonly deadlineMs?: number;
}

/** `host:port` of a redis:// or rediss:// URL (the password never leaves this function). */
export function redisWhere(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}`;
  } catch {
    return 'the configured server';
  }
}

interface Opened {
  readonly client: RedisClient;
  /** Settles when the first connection is ready (or fails for good). */
  readonly ready: Promise<void>;
  /** Ready at least once: later drops are the client's to reconnect. */
  connected: boolean;
  /** Why the last connection attempt failed, while it keeps failing; else null. */
  failing: string | null;
  /** Rejects at the first failed attempt before the first connection: a call need not wait it out. */
  readonly refused: Promise<never>;
}

class Refused extends Error {}

function backoffMs(retries: number): number {
  const base = Math.min(50 * 2 ** Math.min(retries, 10), REDIS_MAX_BACKOFF_MS);
  return Math.round(base + Math.random() * base * 0.1);
}

/** A connection of its own (tests use two to stand for two app instances); the app uses redisConnection. */
export function createRedisConnection(url: string, options: RedisConnectionOptions = {}): RedisConnection {
  const deadlineMs = options.deadlineMs ?? REDIS_DEADLINE_MS;
  const where = redisWhere(url);
  let current: Opened | null = null;
  let lastState: 'up' | 'down' | null = null;

  function report(state: 'up' | 'down', detail: string): void {
    if (state === lastState) return;
    lastState = state;
    // One line per change of state, never the URL (it may hold a password).
    if (state === 'down') console.error(`[redis] ${where} unavailable: ${forLog(detail, LOG_MESSAGE_MAX)}`);
    else if (detail !== 'first') console.error(`[redis] ${where} available again`);
  }

  function open(redis: typeof NodeRedis): Opened {
    if (current !== null) return current;
    const client: RedisClient = redis.createClient({
      url,
      RESP: 2,
      disableOfflineQueue: true,
      commandsQueueMaxLength: REDIS_MAX_PENDING,
      socket: { connectTimeout: deadlineMs, reconnectStrategy: backoffMs },
    });
    let refuse: (error: Refused) => void = () => undefined;
    const refused = new Promise<never>((_, reject) => (refuse = reject));
    refused.catch(() => undefined);
    const opened: Opened = {
      client,
      ready: client.connect().then(() => undefined),
      connected: false,
      failing: null,
      refused,
    };
    // Without an 'error' listener an EventEmitter error would end the process.
    client.on('error', (error: unknown) => {
      opened.failing = reason(error);
      report('down', opened.failing);
      if (!opened.connected) refuse(new Refused());
    });
    client.on('ready', () => {
      opened.failing = null;
      report('up', opened.connected || lastState !== null ? 'again' : 'first');
      opened.connected = true;
    });
    // A first connection that fails for good is dropped, so the next call starts afresh (and the
    // rejection is observed here: an attempt nobody awaits any more is not an unhandled one).
    opened.ready.catch(() => discard(opened));
    current = opened;
    return opened;
  }

  function discard(opened: Opened): void {
    if (current?.client !== opened.client) return;
    current = null;
    try {
      opened.client.destroy();
    } catch {
      // already closed
    }
  }

  function unavailable(what: string, why: string): AppError {
    return new AppError('store_unavailable', `Redis at ${where} ${why} (${what}).`);
  }

  return {
    where,
    async call<T>(what: string, task: (client: RedisClient) => Promise<T>): Promise<T> {
      const opened = open(await loadNodeRedis());
      // Refused (nothing listens, a wrong password…): the client retries in the background with
      // backoff; meanwhile a call fails at once instead of spending its whole deadline.
      if (!opened.connected && opened.failing !== null)
        throw unavailable(what, `is unreachable: ${opened.failing}`);
      try {
        const work = opened.ready.then(() => task(opened.client));
        return await withDeadline(deadlineMs, opened.connected ? work : Promise.race([work, opened.refused]));
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (isCorruptDataReply(error)) {
          // The server answered: the connection is fine, so its state is not changed (and not
          // logged as down). Callers that can repair the key do so before this point.
          logCorruptData(where, what, reason(error));
          throw new AppError('store_unavailable', `Redis at ${where} holds data of another kind (${what}).`);
        }
        if (error instanceof DeadlineExceeded && opened.failing === null) {
          // Silent, not refused: this connection is not reused (see the top of this file).
          discard(opened);
          report('down', reason(error));
          throw unavailable(what, reason(error));
        }
        const why = opened.failing ?? reason(error);
        report('down', why);
        throw unavailable(what, opened.connected ? why : `is unreachable: ${why}`);
      }
    },
    async close(): Promise<void> {
      const opened = current;
      current = null;
      if (opened === null) return;
      try {
        await withDeadline(deadlineMs, opened.client.close());
      } catch {
        opened.client.destroy();
      }
    },
  };
}

// Next bundles proxy.ts and the pages separately, so module state is not shared between them: the
// connections live on globalThis under a registered symbol (as the cookie store's login cache does).
const CONNECTIONS_KEY = Symbol.for('next-mwoauth.redis-connections');

function connections(): Map<string, RedisConnection> {
  const existing: unknown = Reflect.get(globalThis, CONNECTIONS_KEY);
  if (existing instanceof Map) return existing;
  const created = new Map<string, RedisConnection>();
  Object.defineProperty(globalThis, CONNECTIONS_KEY, { value: created, enumerable: false });
  return created;
}

/** The process's one connection to `url`, created on first use (nothing connects at import or build). */
export function redisConnection(url: string): RedisConnection {
  const all = connections();
  const existing = all.get(url);
  if (existing !== undefined) return existing;
  const created = createRedisConnection(url);
  all.set(url, created);
  // The first request that needs Redis will not wait for node-redis to load from disk.
  void loadNodeRedis();
  return created;
}
