import 'server-only';
import { createHash } from 'node:crypto';
import { isRefreshRefused, refreshRefused } from '../core/errors';
import type { Credentials } from '../login/credentials';

// The cookie store's refreshes, in this process (cookie-store.ts): one refresh per refresh token at a
// time, its outcome (the successor, or the wiki's refusal) handed to late callers, and the refresh
// tokens of ended sessions remembered, so a refresh that raced a logout does not log the browser back in.

/** How long a refresh token's successor (or refusal) is handed to late callers holding the used token. */
export const REFRESH_SUCCESSOR_TTL_MS = 60_000;

/**
 * A Map shared by every bundle of this process under `key` (proxy.ts, the pages and the route
 * handlers are separate bundles, each with its own module instances): it lives on globalThis.
 */
export function globalMap<V>(key: symbol): Map<string, V> {
  const existing: unknown = Reflect.get(globalThis, key);
  if (existing instanceof Map) return existing;
  const created = new Map<string, V>();
  Object.defineProperty(globalThis, key, { value: created, enumerable: false });
  return created;
}

const REFRESHES_KEY = Symbol.for('next-mwoauth.cookie-store-refreshes');
const SUCCESSORS_KEY = Symbol.for('next-mwoauth.cookie-store-refresh-successors');
/** Successors remembered at once; beyond this the oldest are dropped (memory stays bounded). */
const MAX_SUCCESSORS = 10_000;

interface Successor {
  /** null: the wiki refused the refresh token (AppError 'refresh_refused'). */
  readonly credentials: Credentials | null;
  readonly untilMs: number;
}

/** The maps are keyed by a digest of the refresh token, so they never hold a usable token as a key. */
function refreshKey(refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('base64url');
}

/**
 * One refresh per refresh token at a time in this process (route handlers, actions and proxy.ts
 * are separate bundles: the maps live on globalThis). The successor is remembered for
 * REFRESH_SUCCESSOR_TTL_MS, so a request that read its cookie before the refresh finished (a
 * parallel tab) gets it instead of spending a token the wiki has already rotated (o2-15); so is the
 * wiki's refusal (AppError 'refresh_refused' from `refresh`), which such a request gets in turn.
 * Any other failure (the wiki down, a timeout) is not remembered: the next caller tries again.
 */
export async function refreshOnce(
  refreshToken: string,
  refresh: () => Promise<Credentials>,
): Promise<Credentials> {
  const key = refreshKey(refreshToken);
  const successors = globalMap<Successor>(SUCCESSORS_KEY);
  const known = successors.get(key);
  if (known !== undefined) {
    if (Date.now() < known.untilMs) {
      if (known.credentials === null) throw refreshRefused();
      return known.credentials;
    }
    successors.delete(key);
  }
  const running = globalMap<Promise<Credentials>>(REFRESHES_KEY);
  const pending = running.get(key);
  if (pending !== undefined) return pending;
  const started = (async (): Promise<Credentials> => {
    const remember = (credentials: Credentials | null): void => {
      const now = Date.now();
      for (const [k, s] of successors) if (s.untilMs <= now) successors.delete(k);
      for (const k of successors.keys()) {
        if (successors.size < MAX_SUCCESSORS) break;
        successors.delete(k);
      }
      successors.set(key, { credentials, untilMs: now + REFRESH_SUCCESSOR_TTL_MS });
    };
    try {
      const credentials = await refresh();
      remember(credentials);
      return credentials;
    } catch (error) {
      if (isRefreshRefused(error)) remember(null);
      throw error;
    } finally {
      running.delete(key);
    }
  })();
  running.set(key, started);
  return started;
}

const ENDED_KEY = Symbol.for('next-mwoauth.cookie-store-ended-refresh-tokens');

/**
 * How long a logged-out session's refresh tokens are remembered as ended: longer than a refresh
 * can take and than the successor grace (REFRESH_SUCCESSOR_TTL_MS), after which the old refresh
 * token is dead on the wiki anyway (rotated, o2-15).
 */
export const ENDED_TTL_MS = 2 * REFRESH_SUCCESSOR_TTL_MS;

/**
 * Remembers that the session holding `refreshToken` was ended (logout), and its successor's token
 * when a refresh just rotated it. A request that read the cookie before the logout and refreshes
 * after it must not write the session again: its answer would log the browser back in (a racing
 * page, a prefetch, a second tab). In this process only; a reply already on its way when the
 * logout arrives cannot be recalled (SECURITY.md, "What is not defended").
 */
export function markEnded(refreshToken: string): void {
  const ended = globalMap<number>(ENDED_KEY);
  const now = Date.now();
  for (const [k, until] of ended) if (until <= now) ended.delete(k);
  for (const k of ended.keys()) {
    if (ended.size < MAX_SUCCESSORS) break;
    ended.delete(k);
  }
  const key = refreshKey(refreshToken);
  ended.set(key, now + ENDED_TTL_MS);
  const successor = globalMap<Successor>(SUCCESSORS_KEY).get(key)?.credentials;
  if (successor?.protocol === '2.0' && successor.refreshToken !== null) {
    ended.set(refreshKey(successor.refreshToken), now + ENDED_TTL_MS);
  }
}

export function isEnded(refreshToken: string | null): boolean {
  if (refreshToken === null) return false;
  const until = globalMap<number>(ENDED_KEY).get(refreshKey(refreshToken));
  return until !== undefined && Date.now() < until;
}
