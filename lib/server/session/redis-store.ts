import 'server-only';
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors';
import type { SessionConfig } from '../config';
import type { Credentials, NewLogin } from '../login/credentials';
import type { RedisConnection } from '../redis/connection';
import { allKeyedHashes, currentKeyedHash, redisKeyPrefix, sessionIdHash } from '../redis/keys';
import { LOGIN_COOKIE, LOGIN_TTL_S } from './cookie-store';
import type { CookieReader, CookieWriter } from './cookies';
import { credentialsRecord, loginRecord, toCredentials, toLoginSession } from './login-record';
import { seal, unsealOrNull } from './seal';
import type { LoginSession, OpenSession, SessionStore } from './store';
import type { WikiCookies } from '../wiki-cookies';

// The Redis session store (issue 12; REVIEW.md §2.2–2.3). The login cookie holds only a sealed
// random id; the login itself lives in Redis, sealed with SESSION_SECRET, for LOGIN_TTL_S. So a
// logout is final (the record is deleted: a copy of the cookie opens nothing), "log out
// everywhere" can find a user's sessions, and every instance sees the same login.
//
// Keys (P = redisKeyPrefix; see redis/keys.ts for why each part is hashed):
//   P s:<sha256(id)>              the sealed login record, EX = the login's remaining lifetime
//   P u:<hmac(sub)>               set of sha256(id) of that user's sessions (for endAll)
//   P r:lock:<hmac(refresh)>      who is refreshing that refresh token now (SET NX PX)
//   P r:next:<hmac(refresh)>      the sealed credentials that replaced it, for SUCCESSOR_TTL_MS
// Handshakes and the sandbox flash stay in their cookies (store.ts).
//
// No process cache of records: one kept here would outlive a logout made on another instance
// (REVIEW.md §2.2), so every open() is one GET.

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
        const value = await seal(loginRecord(next), secrets, remainingS);
        // XX: a session ended meanwhile (logout on another instance) is not brought back.
        const written = await connection.call('save session', (client) =>
          client.set(recordKey(sessionIdHash(sid)), value, {
            expiration: { type: 'EX', value: remainingS },
            condition: 'XX',
          }),
        );
        if (written === null) to.set(LOGIN_COOKIE, '', 0);
        return next;
      },
      async end(to: CookieWriter): Promise<void> {
        // The cookie first: it goes with the response even if Redis cannot answer now.
        to.set(LOGIN_COOKIE, '', 0);
        if (sid === null) return;
        const idHash = sessionIdHash(sid);
        await connection.call('end session', async (client) => {
          const multi = client.multi().del(recordKey(idHash));
          if (login !== null) {
            for (const subHash of allKeyedHashes(secrets, 'sub', login.sub))
              multi.sRem(indexKey(subHash), idHash);
          }
          await multi.exec();
        });
      },
    };
  }

  /** The successor stored for a refresh-token hash, or null. */
  async function successorOf(value: string | null): Promise<Credentials | null> {
    return value === null ? null : toCredentials(await unsealOrNull(value, secrets));
  }

  async function refreshAcrossInstances(
    tokenHash: string,
    refresh: () => Promise<Credentials>,
  ): Promise<Credentials> {
    const lockKey = `${prefix}r:lock:${tokenHash}`;
    const nextKey = `${prefix}r:next:${tokenHash}`;
    for (let round = 0; round < REFRESH_ROUNDS; round++) {
      const owner = randomBytes(16).toString('hex');
      const [stored, taken] = await connection.call('refresh lock', async (client) => {
        const found = await client.get(nextKey);
        if (found !== null) return [found, false] as const;
        const set = await client.set(lockKey, owner, {
          expiration: { type: 'PX', value: lockMs },
          condition: 'NX',
        });
        return [null, set !== null] as const;
      });
      const earlier = await successorOf(stored);
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
        const sealed = await seal(credentialsRecord(next), secrets, Math.ceil(SUCCESSOR_TTL_MS / 1000) + 60);
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
          const reply = await client.multi().get(nextKey).exists(lockKey).exec();
          const value = reply[0];
          return [typeof value === 'string' ? value : null, String(reply[1]) === '1'] as const;
        });
        const successor = await successorOf(found);
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
    kind: 'redis',

    async open(from: CookieReader): Promise<OpenSession> {
      const raw = from.get(LOGIN_COOKIE)?.value;
      if (raw === undefined || raw === '') return openSession(null, null, false);
      const sid = toSessionId(await unsealOrNull(raw, secrets));
      if (sid === null) return openSession(null, null, true);
      const value = await connection.call('read session', (client) =>
        client.get(recordKey(sessionIdHash(sid))),
      );
      const login = value === null ? null : toLoginSession(await unsealOrNull(value, secrets));
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
      const value = await seal(loginRecord(record), secrets, LOGIN_TTL_S);
      const index = indexKey(currentKeyedHash(secrets, 'sub', login.sub));
      // One transaction: the record and its index entry are stored together or not at all, and
      // before the cookie is set (REVIEW.md §2.2: nothing written half).
      await connection.call('store session', (client) =>
        client
          .multi()
          .set(recordKey(idHash), value, { expiration: { type: 'EX', value: LOGIN_TTL_S } })
          .sAdd(index, idHash)
          .expire(index, LOGIN_TTL_S)
          .exec(),
      );
      const cookie = await seal({ sid }, secrets, LOGIN_TTL_S);
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
          const members = await client.sMembers(index);
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

    async refreshOnce(refreshToken: string, refresh: () => Promise<Credentials>): Promise<Credentials> {
      const tokenHash = currentKeyedHash(secrets, 'refresh', refreshToken);
      const running = inFlight.get(tokenHash);
      if (running !== undefined) return running;
      const started = refreshAcrossInstances(tokenHash, refresh).finally(() => inFlight.delete(tokenHash));
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
