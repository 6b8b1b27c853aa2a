import 'server-only';
import type * as NodeRedis from '@redis/client';
import { forLog, LOG_MESSAGE_MAX } from '../core/log';

// node-redis (`@redis/client`, the core of the `redis` package without the JSON/Search/Bloom
// modules), not ioredis: both are published by Redis Inc. and allow Node 20, but Redis recommends
// node-redis for new projects (redis/ioredis#1878; connect-redis 9 dropped ioredis for the same
// reason). It has what redis/connection.ts needs: `disableOfflineQueue`, `commandsQueueMaxLength`,
// `socket.reconnectStrategy` and `socket.connectTimeout`. Its per-command `timeout` covers only a
// command not yet written, so the deadline of a call is ours (withDeadline).

export class DeadlineExceeded extends Error {}

// node-redis is loaded on first use, not when this module is: the cookie store never uses Redis, and
// Next instantiates lib/server once per bundle (proxy.ts, the pages, the route handlers), so an
// import here cost every process @redis/client's ~480 modules several times over (BENCHMARKS.md
// "Where the memory went"). next.config.mjs keeps it out of the bundles (serverExternalPackages),
// so this loads one copy per process, from node_modules, and only in Redis mode.
let nodeRedis: Promise<typeof NodeRedis> | null = null;
let loaded: typeof NodeRedis | null = null;

export function loadNodeRedis(): Promise<typeof NodeRedis> {
  nodeRedis ??= import('@redis/client').then((module) => (loaded = module));
  return nodeRedis;
}

export async function withDeadline<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** What an error of the client says about the server, in a few words without any value or secret. */
export function reason(error: unknown): string {
  if (error instanceof DeadlineExceeded) return 'did not answer in time';
  // The client's own errors come only from a client, so node-redis is loaded when one is seen.
  if (loaded !== null) {
    if (error instanceof loaded.ClientOfflineError || error instanceof loaded.ClientClosedError)
      return 'is not connected';
    if (error instanceof loaded.ConnectionTimeoutError) return 'did not accept the connection in time';
    if (error instanceof loaded.SocketClosedUnexpectedlyError) return 'closed the connection';
  }
  if (error instanceof Error) {
    const code = Reflect.get(error, 'code');
    if (typeof code === 'string' && /^[A-Z_]{2,30}$/.test(code)) return `connection failed (${code})`;
    // Redis error replies start with their code in capitals: "NOAUTH …", "WRONGPASS …", "OOM …".
    const replyCode = /^([A-Z]{2,20})\b/.exec(error.message)?.[1];
    if (replyCode !== undefined) return `answered ${replyCode}`;
    return `failed (${error.name})`;
  }
  return 'failed';
}

/**
 * A reply of Redis about the data under a key, not about Redis: a value of the wrong type
 * (`WRONGTYPE`), or a counter that is not a number. Only another writer puts such data under our
 * keys (Toolforge's Redis is shared, with no access control: SECURITY.md). It is corrupt data, not
 * an outage: the session store and the rate limiter delete such keys and carry on, and it is never
 * reported as "unavailable".
 */
export function isCorruptDataReply(error: unknown): boolean {
  return (
    loaded !== null &&
    error instanceof loaded.ErrorReply &&
    /^(WRONGTYPE\b|ERR value is not an integer|ERR value is not a valid float)/.test(error.message)
  );
}

/** The log line of corrupt data found under one of our keys (no key, no value). */
export function logCorruptData(where: string, what: string, detail: string): void {
  console.error(`[redis] ${where}: corrupt data (${forLog(what)}): ${forLog(detail, LOG_MESSAGE_MAX)}`);
}
