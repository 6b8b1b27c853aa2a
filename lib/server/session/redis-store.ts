import 'server-only';
import { randomBytes } from 'node:crypto';
import { AppError } from '../core/errors';
import type { SessionConfig } from '../config';
import type { Credentials, NewLogin } from '../login/credentials';
import {
  isCorruptDataReply,
  logCorruptData,
  type RedisClient,
  type RedisConnection,
} from '../redis/connection';
import { allKeyedHashes, currentKeyedHash, redisKeyPrefix, sessionIdHash } from '../redis/keys';
import type { CookieReader, CookieWriter } from './cookies';
import { credentialsRecord, loginRecord, toCredentials, toLoginSession } from './login-record';
import { MAX_REDIS_VALUE_LENGTH, seal, unsealOrNull } from './seal';
import { LOGIN_COOKIE, LOGIN_TTL_S, type LoginSession, type OpenSession, type SessionStore } from './store';
import type { WikiCookies } from '../wiki/cookies';

// The Redis session store (issue 12; REVIEW.md §2.2–2.3). The login cookie holds only a sealed
// random id; the login itself lives in Redis, sealed, for LOGIN_TTL_S. So a logout is final (the
// record is deleted: a copy of the cookie opens nothing), "log out everywhere" can find a user's
// sessions, and every instance sees the same login.
//
// Keys (P = redisKeyPrefix; see redis/keys.ts for why each part is hashed):
//   P s:<sha256(id)>              the sealed login record, EX = the login's remaining lifetime
//   P u:<hmac(sub)>               set of sha256(id) of that user's sessions (for endAll)
//   P r:lock:<hmac(refresh)>      who is refreshing that refresh token now (SET NX PX)
//   P r:next:<hmac(refresh)>      the sealed credentials that replaced it, for SUCCESSOR_TTL_MS
// Handshakes and the sandbox flash stay in their cookies (store.ts).
//
// Other tools can write to a shared Redis (SECURITY.md), so nothing read from it is trusted:
// - a value opens only under the key it was written for (issue 17): a record is sealed with a key
//   derived from the raw session id, a successor with one derived from the raw refresh token
//   (seal.ts), and neither is in Redis. A record copied under another session's key does not open
//   there: that session is ended (logged out), with no call to the wiki;
// - a value of the wrong type or over MAX_REDIS_VALUE_LENGTH is corrupt data, not an outage: it is
//   read with TYPE and STRLEN first (never whole), deleted, logged as corrupt, and the session it
//   stood for counts as logged out. A wrong-typed index key is deleted when a login writes to it.
//
// No process cache of records: one kept here would outlive a logout made on another instance
// (REVIEW.md §2.2), so every open() is one Redis call (READ_SEALED).

/** Random bytes of a session id: 256 bits (issue 12 asks for at least 128). */
const SESSION_ID_BYTES = 32;
/** base64url of SESSION_ID_BYTES bytes. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** A refreshed token's successor is kept this long for late callers with the old one (store.ts). */
export const SUCCESSOR_TTL_MS = 60_000;
/** A refresh lock expires after this, so a crashed instance cannot block the session for long. */
export const REFRESH_LOCK_MS = 15_000;
/** How long a caller waits for another instance's refresh before giving up. */
export const REFRESH_WAIT_MS = 12_000;
/** Between two looks at another instance's refresh. */
const REFRESH_POLL_MS = 50;
/** Rounds of "take the lock or wait for its holder" before giving up (each bounded by the wait). */
const REFRESH_ROUNDS = 3;

// Reads a sealed value with a bound: a missing key is nil; a string of at most ARGV[1] bytes is
// {'ok', value}; anything else (a list, a hash, a huge string) is deleted and {'corrupt', type}.
const READ_SEALED = `
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
const CREATE_SESSION = `
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
const END_SESSION = `
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
const RELEASE_WITH_SUCCESSOR = `
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisStoreOptions {
  readonly connection: RedisConnection;
  readonly session: SessionConfig;
  /** REDIS_KEY_PREFIX, or null: derived from SESSION_SECRET. */
  readonly keyPrefix: string | null;
  /** Tests shorten these; defaults REFRESH_LOCK_MS and REFRESH_WAIT_MS. */
  readonly refreshLockMs?: number;
  readonly refreshWaitMs?: number;
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What READ_SEALED found under a key. */
type SealedRead =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly value: string }
  | { readonly kind: 'corrupt'; readonly type: string };

async function readSealed(client: RedisClient, key: string): Promise<SealedRead> {
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
function corruptDetail(read: { readonly type: string }): string {
  return read.type === 'string'
    ? `a string over ${MAX_REDIS_VALUE_LENGTH} bytes; deleted`
    : `a ${read.type}, not a string; deleted`;
}

/** The id a login cookie of this store carries, narrowed from its unsealed value; else null. */
function toSessionId(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if (!Object.prototype.hasOwnProperty.call(value, 'sid')) return null;
  const sid: unknown = Reflect.get(value, 'sid');
  return typeof sid === 'string' && SESSION_ID.test(sid) ? sid : null;
}

export function createRedisStore(options: RedisStoreOptions): SessionStore {
  const { connection, session: secrets } = options;
  const lockMs = options.refreshLockMs ?? REFRESH_LOCK_MS;
  const waitMs = options.refreshWaitMs ?? REFRESH_WAIT_MS;
  const prefix = redisKeyPrefix(secrets, options.keyPrefix);
  const recordKey = (idHash: string): string => `${prefix}s:${idHash}`;
  const indexKey = (subHash: string): string => `${prefix}u:${subHash}`;
  /** Refreshes of this process in flight, by refresh-token hash: callers here share one. */
  const inFlight = new Map<string, Promise<Credentials>>();

  function openSession(sid: string | null, login: LoginSession | null, stale: boolean): OpenSession {
    /** What this request saved last: a later save starts from it (a refresh, then the wiki's cookies). */
    let latest = login;
    return {
      login,
      stale,
      async save(
        to: CookieWriter,
        credentials: Credentials,
        wikiCookies?: WikiCookies | null,
      ): Promise<LoginSession> {
        if (sid === null || login === null || latest === null)
          throw new Error('save() needs a logged-in session.');
        const { wikiCookies: previous = null, ...rest } = latest;
        const cookies = wikiCookies === undefined ? previous : wikiCookies;
        const next: LoginSession = {
          ...rest,
          credentials,
          ...(cookies === null ? {} : { wikiCookies: cookies }),
        };
        latest = next;
        const remainingS = login.loggedInAt + LOGIN_TTL_S - nowS();
        if (remainingS <= 0) {
          await this.end(to);
          return next;
        }
        const value = await sealRecord(sid, next, remainingS);
        // XX: a session ended meanwhile (logout on another instance) is not brought back.
        const written = await connection.call('save session', (client) =>
          client.set(recordKey(sessionIdHash(sid)), value, {
            expiration: { type: 'EX', value: remainingS },
            condition: 'XX',
          }),
        );
        if (written === null) {
          // Logged out since this request opened it: cleared, never written again (store.ts).
          to.set(LOGIN_COOKIE, '', 0);
          throw new AppError('session_ended', 'This session was logged out while its tokens were refreshed.');
        }
        return next;
      },
      async end(to: CookieWriter): Promise<void> {
        // The cookie first: it goes with the response even if Redis cannot answer now.
        to.set(LOGIN_COOKIE, '', 0);
        if (sid === null) return;
        const idHash = sessionIdHash(sid);
        const indexes = login === null ? [] : allKeyedHashes(secrets, 'sub', login.sub).map(indexKey);
        const repaired = await connection.call('end session', (client) =>
          client.eval(END_SESSION, { keys: [recordKey(idHash), ...indexes], arguments: [idHash] }),
        );
        if (typeof repaired === 'number' && repaired > 0) {
          logCorruptData(connection.where, 'end session', 'a user index key was not a set; deleted');
        }
      },
    };
  }

  /** A login record sealed for the session `sid` only (seal.ts: the key is derived from the raw id). */
  async function sealRecord(sid: string, login: LoginSession, ttlS: number): Promise<string> {
    const value = await seal(loginRecord(login), secrets, ttlS, 'redis-record', sid);
    if (value.length > MAX_REDIS_VALUE_LENGTH) {
      // open() would read it as corrupt (and delete it): say so now rather than log the user out.
      const problem = `The login (${value.length} characters sealed) is longer than a Redis session record may be (${MAX_REDIS_VALUE_LENGTH}): register the client with fewer grants.`;
      throw new AppError('session_too_large', problem, { problems: [problem] });
    }
    return value;
  }

  /**
   * The successor found for `refreshToken`, or null when there is none. A value that is there but
   * does not open as this token's successor (copied from another token's key, tampered, of another
   * type) is deleted and the session ended (AppError 'session_ended'): a successor exists only once
   * the wiki has rotated this refresh token (o2-15), so it cannot be refreshed again, and the value
   * found is not ours to use.
   */
  async function successorOf(
    found: SealedRead,
    refreshToken: string,
    nextKey: string,
  ): Promise<Credentials | null> {
    if (found.kind === 'none') return null;
    const opened =
      found.kind === 'ok'
        ? toCredentials(await unsealOrNull(found.value, secrets, 'refresh-successor', refreshToken))
        : null;
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

  async function refreshAcrossInstances(
    tokenHash: string,
    refreshToken: string,
    refresh: () => Promise<Credentials>,
  ): Promise<Credentials> {
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
      const earlier = await successorOf(stored, refreshToken, nextKey);
      if (earlier !== null) return earlier;

      if (taken) {
        let next: Credentials;
        try {
          next = await refresh();
        } catch (error) {
          // The wiki refused (or did not answer): let the next caller try; the error is the caller's.
          await connection
            .call('refresh unlock', (client) =>
              client.eval(RELEASE_WITH_SUCCESSOR, { keys: [lockKey, nextKey], arguments: [owner, '', '0'] }),
            )
            .catch(() => undefined);
          throw error;
        }
        const sealed = await seal(
          credentialsRecord(next),
          secrets,
          Math.ceil(SUCCESSOR_TTL_MS / 1000) + 60,
          'refresh-successor',
          refreshToken,
        );
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
        const successor = await successorOf(found, refreshToken, nextKey);
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

  return {
    canEndAll: true,

    async open(from: CookieReader): Promise<OpenSession> {
      const raw = from.get(LOGIN_COOKIE)?.value;
      if (raw === undefined || raw === '') return openSession(null, null, false);
      const sid = toSessionId(await unsealOrNull(raw, secrets, 'session-id-cookie'));
      if (sid === null) return openSession(null, null, true);
      const found = await connection.call('read session', (client) =>
        readSealed(client, recordKey(sessionIdHash(sid))),
      );
      if (found.kind === 'none') return openSession(sid, null, true);
      if (found.kind === 'corrupt') {
        logCorruptData(connection.where, 'read session', corruptDetail(found));
        return openSession(sid, null, true);
      }
      const login = toLoginSession(await unsealOrNull(found.value, secrets, 'redis-record', sid));
      if (login === null) {
        // Another session's record copied here (issue 17), a tampered one, or one sealed under a
        // secret no longer in SESSION_SECRET: logged out; the caller's end() deletes it.
        console.error(
          '[mwoauth] a session record in Redis does not open for its session (copied from another key, tampered, or sealed under a secret no longer listed): the session is ended',
        );
      }
      return openSession(sid, login, login === null);
    },

    async create(previous: OpenSession, to: CookieWriter, login: NewLogin): Promise<LoginSession> {
      if (previous.login !== null || previous.stale) await previous.end(to);
      const sid = randomBytes(SESSION_ID_BYTES).toString('base64url');
      const idHash = sessionIdHash(sid);
      const record: LoginSession = {
        sub: login.sub,
        username: login.username,
        credentials: login.credentials,
        loggedInAt: nowS(),
        ...(login.wikiCookies == null ? {} : { wikiCookies: login.wikiCookies }),
      };
      const value = await sealRecord(sid, record, LOGIN_TTL_S);
      const index = indexKey(currentKeyedHash(secrets, 'sub', login.sub));
      // One script: the record and its index entry are stored together or not at all, and before
      // the cookie is set (REVIEW.md §2.2: nothing written half); a wrong-typed index is replaced.
      const repaired = await connection.call('store session', (client) =>
        client.eval(CREATE_SESSION, {
          keys: [recordKey(idHash), index],
          arguments: [value, idHash, String(LOGIN_TTL_S)],
        }),
      );
      if (repaired === 1) {
        logCorruptData(connection.where, 'store session', 'the user index key was not a set; deleted');
      }
      const cookie = await seal({ sid }, secrets, LOGIN_TTL_S, 'session-id-cookie');
      // As the cookie store: the cookie expires a minute before its seal and the record do.
      to.set(LOGIN_COOKIE, cookie, LOGIN_TTL_S - 60);
      return record;
    },

    async endAll(sub: string): Promise<number> {
      return connection.call('end all sessions', async (client) => {
        let ended = 0;
        // Under every secret of SESSION_SECRET: sessions indexed before a rotation are found too.
        for (const subHash of allKeyedHashes(secrets, 'sub', sub)) {
          const index = indexKey(subHash);
          let members: string[];
          try {
            members = await client.sMembers(index);
          } catch (error) {
            if (!isCorruptDataReply(error)) throw error;
            // Not a set: someone else's data under our key; it indexes nothing of ours.
            logCorruptData(connection.where, 'end all sessions', 'a user index key was not a set; deleted');
            await client.del(index);
            continue;
          }
          if (members.length === 0) continue;
          // Only the members seen are removed: a login made meanwhile keeps its index entry.
          const reply = await client
            .multi()
            .del(members.map((idHash) => recordKey(idHash)))
            .sRem(index, members)
            .exec();
          const deleted = reply[0];
          if (typeof deleted === 'number') ended += deleted;
        }
        return ended;
      });
    },

    forget(to: CookieWriter): void {
      to.set(LOGIN_COOKIE, '', 0);
    },

    async refreshOnce(refreshToken: string, refresh: () => Promise<Credentials>): Promise<Credentials> {
      const tokenHash = currentKeyedHash(secrets, 'refresh', refreshToken);
      const running = inFlight.get(tokenHash);
      if (running !== undefined) return running;
      const started = refreshAcrossInstances(tokenHash, refreshToken, refresh).finally(() =>
        inFlight.delete(tokenHash),
      );
      inFlight.set(tokenHash, started);
      return started;
    },

    async check(): Promise<string | null> {
      try {
        await connection.call('health check', (client) => client.ping());
        return null;
      } catch (error) {
        return error instanceof AppError
          ? error.message
          : `Redis at ${connection.where} failed (health check).`;
      }
    },
  };
}
