import 'server-only';
import { randomBytes } from 'node:crypto';
import { AppError } from '../core/errors';
import type { SessionConfig } from '../config';
import type { Credentials, NewLogin } from '../login/credentials';
import { isCorruptDataReply, logCorruptData } from '../redis/node-redis';
import { type RedisConnection } from '../redis/connection';
import { allKeyedHashes, currentKeyedHash, redisKeyPrefix, sessionIdHash } from '../redis/keys';
import type { CookieReader, CookieWriter } from './cookies';
import { loginRecord, toLoginSession } from './login-record';
import { REFRESH_LOCK_MS, REFRESH_WAIT_MS, refreshAcrossInstances } from './redis-refresh';
import { CREATE_SESSION, corruptDetail, END_SESSION, readSealed } from './redis-scripts';
import { MAX_REDIS_VALUE_LENGTH, seal, unsealOrNull } from './seal';
import { LOGIN_COOKIE, LOGIN_TTL_S, type LoginSession, type OpenSession, type SessionStore } from './store';
import type { WikiCookies } from '../wiki/cookies';

// The Redis session store. The login cookie holds only a sealed
// random id; the login itself lives in Redis, sealed, for LOGIN_TTL_S. So a logout is final (the
// record is deleted: a copy of the cookie opens nothing), "log out everywhere" can find a user's
// sessions, and every instance sees the same login.
//
// Keys (P = redisKeyPrefix; see redis/keys.ts for why each part is hashed):
//   P s:<sha256(id)>              the sealed login record, EX = the login's remaining lifetime
//   P u:<hmac(sub)>               set of sha256(id) of that user's sessions (for endAll)
//   P r:lock:<hmac(refresh)>      who is refreshing that refresh token now (SET NX PX)
//   P r:next:<hmac(refresh)>      the sealed credentials that replaced it (or the wiki's refusal), for SUCCESSOR_TTL_MS
// Handshakes and the sandbox flash stay in their cookies (store.ts).
//
// Other tools can write to a shared Redis (SECURITY.md), so nothing read from it is trusted:
// - a value opens only under the key it was written for: a record is sealed with a key
//   derived from the raw session id, a successor with one derived from the raw refresh token
//   (seal.ts), and neither is in Redis. A record copied under another session's key does not open
//   there: that session is ended (logged out), with no call to the wiki;
// - a value of the wrong type or over MAX_REDIS_VALUE_LENGTH is corrupt data, not an outage: it is
//   read with TYPE and STRLEN first (never whole), deleted, logged as corrupt, and the session it
//   stood for counts as logged out. A wrong-typed index key is deleted when a login writes to it.
//
// No process cache of records: one kept here would outlive a logout made on another instance,
// so every open() is one Redis call (READ_SEALED).

/** Random bytes of a session id: 256 bits (at least 128 are needed). */
const SESSION_ID_BYTES = 32;
/** base64url of SESSION_ID_BYTES bytes. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

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
        // Another session's record copied here, a tampered one, or one sealed under a
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
      // the cookie is set (nothing written half); a wrong-typed index is replaced.
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
      const started = refreshAcrossInstances(
        { connection, secrets, prefix, lockMs, waitMs },
        tokenHash,
        refreshToken,
        refresh,
      ).finally(() => inFlight.delete(tokenHash));
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
