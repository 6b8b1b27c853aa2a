import 'server-only';
import type { RedisClient } from '../redis/connection';
import { MAX_REDIS_VALUE_LENGTH } from './seal';

// The Lua scripts of the Redis session store (redis-store.ts) and its cross-instance refresh
// (redis-refresh.ts), and the bounded read both use: nothing read from a shared Redis is trusted.

// Reads a sealed value with a bound: a missing key is nil; a string of at most ARGV[1] bytes is
// {'ok', value}; anything else (a list, a hash, a huge string) is deleted and {'corrupt', type}.
export const READ_SEALED = `
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return false end
if kind == 'string' and redis.call('STRLEN', KEYS[1]) <= tonumber(ARGV[1]) then
  return {'ok', redis.call('GET', KEYS[1])}
end
redis.call('DEL', KEYS[1])
return {'corrupt', kind}`;

// A new session: its record and its index entry written together, in one script (atomic: nothing
// written half, no record without its index entry). An index key that is not a set was written by
// someone else: it is deleted first (returns 1), so it cannot lock its user out of logging in.
export const CREATE_SESSION = `
local kind = redis.call('TYPE', KEYS[2])['ok']
local repaired = 0
if kind ~= 'set' and kind ~= 'none' then
  redis.call('DEL', KEYS[2])
  repaired = 1
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return repaired`;

// Ends a session: deletes its record (KEYS[1]) and removes it from its user's index keys
// (KEYS[2..]); an index key that is not a set is deleted (returns how many).
export const END_SESSION = `
redis.call('DEL', KEYS[1])
local repaired = 0
for i = 2, #KEYS do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  if kind == 'set' then
    redis.call('SREM', KEYS[i], ARGV[1])
  elseif kind ~= 'none' then
    redis.call('DEL', KEYS[i])
    repaired = repaired + 1
  end
end
return repaired`;

// Releases the lock only if it is still ours (it may have expired and been taken by another), and
// stores the successor in the same script: a waiter never sees the lock gone without the result.
export const RELEASE_WITH_SUCCESSOR = `
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** What READ_SEALED found under a key. */
export type SealedRead =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly value: string }
  | { readonly kind: 'corrupt'; readonly type: string };

export async function readSealed(client: RedisClient, key: string): Promise<SealedRead> {
  const reply: unknown = await client.eval(READ_SEALED, {
    keys: [key],
    arguments: [String(MAX_REDIS_VALUE_LENGTH)],
  });
  if (reply === null) return { kind: 'none' };
  if (Array.isArray(reply) && reply[0] === 'ok' && typeof reply[1] === 'string') {
    return { kind: 'ok', value: reply[1] };
  }
  const type: unknown = Array.isArray(reply) ? reply[1] : null;
  return { kind: 'corrupt', type: typeof type === 'string' ? type : 'unknown' };
}

/** The log's words for a corrupt value (its type, or that it is too long; never the value). */
export function corruptDetail(read: { readonly type: string }): string {
  return read.type === 'string'
    ? `a string over ${MAX_REDIS_VALUE_LENGTH} bytes; deleted`
    : `a ${read.type}, not a string; deleted`;
}
