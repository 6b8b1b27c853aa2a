import 'server-only';
import { randomBytes } from 'node:crypto';
import { AppError, isRefreshRefused, refreshRefused } from '../core/errors';
import type { SessionConfig } from '../config';
import type { Credentials } from '../login/credentials';
import { logCorruptData } from '../redis/node-redis';
import { type RedisConnection } from '../redis/connection';
import { credentialsRecord, toCredentials } from './login-record';
import { corruptDetail, readSealed, RELEASE_WITH_SUCCESSOR, type SealedRead } from './redis-scripts';
import { seal, unsealOrNull } from './seal';

// The Redis store's OAuth 2.0 refresh across instances (redis-store.ts refreshOnce): one refresh per
// refresh token at a time, everywhere. A lock in Redis (P r:lock:<hmac(refresh)>, SET NX PX); the
// others wait for the outcome stored with the release (P r:next:<hmac(refresh)>): the successor, or
// the wiki's refusal of the token. It is sealed with a key derived from the raw refresh token
// (seal.ts), so a value copied from another key opens nothing.

/** A refreshed token's successor (or refusal) is kept this long for late callers with the old one (store.ts). */
export const SUCCESSOR_TTL_MS = 60_000;
/** A refresh lock expires after this, so a crashed instance cannot block the session for long. */
export const REFRESH_LOCK_MS = 15_000;
/** How long a caller waits for another instance's refresh before giving up. */
export const REFRESH_WAIT_MS = 12_000;
/** Between two looks at another instance's refresh. */
const REFRESH_POLL_MS = 50;
/** Rounds of "take the lock or wait for its holder" before giving up (each bounded by the wait). */
const REFRESH_ROUNDS = 3;

export interface RedisRefreshOptions {
  readonly connection: RedisConnection;
  readonly secrets: SessionConfig;
  /** The store's key prefix (redis/keys.ts redisKeyPrefix). */
  readonly prefix: string;
  readonly lockMs: number;
  readonly waitMs: number;
}

/** What is sealed under r:next when the wiki refused the refresh token (never a Credentials record). */
const REFUSED_RECORD = { refused: true } as const;

function isRefusedRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Reflect.get(value, 'refused') === true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The successor found for `refreshToken`, or null when there is none; the wiki's refusal found
 * there is thrown again (AppError 'refresh_refused'). A value that is there but
 * does not open as this token's successor (copied from another token's key, tampered, of another
 * type) is deleted and the session ended (AppError 'session_ended'): a successor exists only once
 * the wiki has rotated this refresh token (o2-15), so it cannot be refreshed again, and the value
 * found is not ours to use.
 */
async function successorOf(
  options: RedisRefreshOptions,
  found: SealedRead,
  refreshToken: string,
  nextKey: string,
): Promise<Credentials | null> {
  const { connection, secrets } = options;
  if (found.kind === 'none') return null;
  const record =
    found.kind === 'ok' ? await unsealOrNull(found.value, secrets, 'refresh-successor', refreshToken) : null;
  if (isRefusedRecord(record)) {
    throw refreshRefused();
  }
  const opened = toCredentials(record);
  if (opened !== null) return opened;
  if (found.kind === 'corrupt') {
    logCorruptData(connection.where, 'refresh successor', corruptDetail(found));
  } else {
    console.error(
      '[mwoauth] a refresh successor in Redis does not open for its refresh token (copied from another key, or tampered): deleted, the session is ended',
    );
    await connection.call('refresh successor', (client) => client.del(nextKey));
  }
  throw new AppError(
    'session_ended',
    "This session's refreshed tokens in Redis are not usable: log in again.",
  );
}

/**
 * One refresh of `refreshToken` across every instance: the caller that takes the lock refreshes and
 * stores the successor (or the wiki's refusal) with the release; the others wait for it (at most
 * `waitMs`). Any other failure is not stored: the lock is released and the next caller tries again.
 */
export async function refreshAcrossInstances(
  options: RedisRefreshOptions,
  tokenHash: string,
  refreshToken: string,
  refresh: () => Promise<Credentials>,
): Promise<Credentials> {
  const { connection, secrets, prefix, lockMs, waitMs } = options;
  const lockKey = `${prefix}r:lock:${tokenHash}`;
  const nextKey = `${prefix}r:next:${tokenHash}`;
  for (let round = 0; round < REFRESH_ROUNDS; round++) {
    const owner = randomBytes(16).toString('hex');
    const [stored, taken] = await connection.call('refresh lock', async (client) => {
      const found = await readSealed(client, nextKey);
      if (found.kind !== 'none') return [found, false] as const;
      const set = await client.set(lockKey, owner, {
        expiration: { type: 'PX', value: lockMs },
        condition: 'NX',
      });
      return [found, set !== null] as const;
    });
    const earlier = await successorOf(options, stored, refreshToken, nextKey);
    if (earlier !== null) return earlier;

    if (taken) {
      const sealOutcome = (record: object): Promise<string> =>
        seal(record, secrets, Math.ceil(SUCCESSOR_TTL_MS / 1000) + 60, 'refresh-successor', refreshToken);
      let next: Credentials;
      try {
        next = await refresh();
      } catch (error) {
        // Refused: the refusal is stored for the others, as a successor would be. Did not answer:
        // let the next caller try. Either way the error is the caller's.
        const outcome = isRefreshRefused(error) ? await sealOutcome(REFUSED_RECORD) : '';
        await connection
          .call('refresh unlock', (client) =>
            client.eval(RELEASE_WITH_SUCCESSOR, {
              keys: [lockKey, nextKey],
              arguments: [owner, outcome, String(SUCCESSOR_TTL_MS)],
            }),
          )
          .catch(() => undefined);
        throw error;
      }
      const sealed = await sealOutcome(credentialsRecord(next));
      try {
        await connection.call('refresh result', (client) =>
          client.eval(RELEASE_WITH_SUCCESSOR, {
            keys: [lockKey, nextKey],
            arguments: [owner, sealed, String(SUCCESSOR_TTL_MS)],
          }),
        );
      } catch {
        // The new tokens are ours either way (the old refresh token is spent: fixture o2-15);
        // other callers find no successor and wait out their bound.
      }
      return next;
    }

    // Another caller (here or on another instance) is refreshing: wait for its result.
    const until = Date.now() + waitMs;
    let lockGone = false;
    while (!lockGone && Date.now() < until) {
      await sleep(REFRESH_POLL_MS);
      const [found, held] = await connection.call('refresh wait', async (client) => {
        const value = await readSealed(client, nextKey);
        return [value, (await client.exists(lockKey)) === 1] as const;
      });
      const successor = await successorOf(options, found, refreshToken, nextKey);
      if (successor !== null) return successor;
      lockGone = !held;
    }
    // Timed out: give up. Lock gone without a result: its holder failed; take it ourselves.
    if (!lockGone) break;
  }
  throw new AppError(
    'store_unavailable',
    `Another request is still refreshing this session's tokens (waited ${waitMs} ms at ${connection.where}).`,
  );
}
