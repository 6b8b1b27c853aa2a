import 'server-only';
import { field, isTime, nonEmptyString } from '../core/narrow';
import { makeToken, type OAuthToken } from 'mwoauth';
import type { SessionConfig } from '../config';
import type { Handshake } from '../login/credentials';
import type { LoginStart } from '../login/flow';
import { safeNext } from '../http/safe-next';
import type { CookieReader, CookieWriter } from './cookies';
import { MAX_COOKIE_VALUE_LENGTH, seal, unsealOrNull } from './seal';

// Logins in progress, in their own sealed cookie in both stores: keyed by
// what the wiki's redirect back names (the request token's key, or 2.0's `state`), so two tabs can
// log in at once, each with its `next`; 10 minutes, as the wiki keeps a request token 600 s
// (_facts.json "request_token_lifetime_s"); each entry is taken once (single use).

export const HANDSHAKE_COOKIE = 'mwoauth_handshake';
/** Request tokens live 600 s on the wiki (_facts.json), so a handshake cannot outlive that. */
export const HANDSHAKE_TTL_S = 600;
/** Logins in progress kept at once (tabs); the oldest is dropped beyond this. */
export const MAX_PENDING_HANDSHAKES = 5;

/** One login in progress. */
export interface PendingLogin {
  /** What the wiki's redirect back names: the request token's key (1.0a) or `state` (2.0). */
  readonly key: string;
  readonly handshake: Handshake;
  /** A same-origin path (checked by safeNext before it is stored and again when used). */
  readonly next: string;
  /** Seconds since the epoch. */
  readonly startedAt: number;
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

function toToken(value: unknown): OAuthToken | null {
  if (typeof value !== 'object' || value === null) return null;
  const key = field(value, 'key');
  const secret = field(value, 'secret');
  return nonEmptyString(key) && nonEmptyString(secret) ? makeToken(key, secret) : null;
}

function toHandshake(value: unknown): Handshake | null {
  if (typeof value !== 'object' || value === null) return null;
  const protocol = field(value, 'protocol');
  if (protocol === '1.0a') {
    const requestToken = toToken(field(value, 'requestToken'));
    return requestToken === null ? null : { protocol, requestToken };
  }
  if (protocol === '2.0') {
    const state = field(value, 'state');
    const codeVerifier = field(value, 'codeVerifier');
    return nonEmptyString(state) && nonEmptyString(codeVerifier) ? { protocol, state, codeVerifier } : null;
  }
  return null;
}

/** The key a handshake is looked up by must be the one its protocol names. */
function keyOf(handshake: Handshake): string {
  return handshake.protocol === '1.0a' ? handshake.requestToken.key : handshake.state;
}

/**
 * One entry, narrowed. (The shape sealed before the two seams is not read: it was sealed under
 * SESSION_SECRET itself, and only keys derived per purpose open seals now: seal.ts.)
 */
function toPendingLogin(value: unknown): PendingLogin | null {
  if (typeof value !== 'object' || value === null) return null;
  const handshake = toHandshake(field(value, 'handshake'));
  const next = field(value, 'next');
  const startedAt = field(value, 'startedAt');
  if (handshake === null || typeof next !== 'string' || !isTime(startedAt)) return null;
  const key = keyOf(handshake);
  if (field(value, 'key') !== key) return null;
  return { key, handshake, next: safeNext(next), startedAt };
}

/** The plain object sealed for one entry (only these fields; the token's secret as a plain field). */
function record(p: PendingLogin): object {
  const h = p.handshake;
  const handshake =
    h.protocol === '1.0a'
      ? { protocol: h.protocol, requestToken: { key: h.requestToken.key, secret: h.requestToken.secret } }
      : { protocol: h.protocol, state: h.state, codeVerifier: h.codeVerifier };
  return { key: p.key, handshake, next: p.next, startedAt: p.startedAt };
}

/** A new login in progress for what the flow's start() returned, to be appended with writePendingLogins. */
export function newPendingLogin(start: Pick<LoginStart, 'key' | 'handshake'>, next: string): PendingLogin {
  return { key: start.key, handshake: start.handshake, next: safeNext(next), startedAt: nowS() };
}

/**
 * Reads the logins in progress, dropping expired and ill-shaped entries. Never throws; `stale` is
 * true when the cookie was sent but is unusable or held nothing still valid.
 */
export async function readPendingLogins(
  from: CookieReader,
  secrets: SessionConfig,
): Promise<{ readonly pending: readonly PendingLogin[]; readonly stale: boolean }> {
  const raw = from.get(HANDSHAKE_COOKIE)?.value;
  if (raw === undefined || raw === '') return { pending: [], stale: false };
  const data = await unsealOrNull(raw, secrets, 'handshake-cookie');
  const list = typeof data === 'object' && data !== null ? field(data, 'pending') : undefined;
  if (!Array.isArray(list)) return { pending: [], stale: true };
  const oldest = nowS() - HANDSHAKE_TTL_S;
  const pending: PendingLogin[] = [];
  for (const item of list.slice(0, MAX_PENDING_HANDSHAKES)) {
    const login = toPendingLogin(item);
    if (login !== null && login.startedAt > oldest) pending.push(login);
  }
  return { pending, stale: pending.length === 0 };
}

/**
 * Writes the logins in progress (oldest first), keeping the newest MAX_PENDING_HANDSHAKES and no
 * more than fits a cookie; an empty list deletes the cookie.
 */
export async function writePendingLogins(
  to: CookieWriter,
  pending: readonly PendingLogin[],
  secrets: SessionConfig,
): Promise<void> {
  let kept = pending.slice(-MAX_PENDING_HANDSHAKES);
  while (kept.length > 0) {
    const value = await seal({ pending: kept.map(record) }, secrets, HANDSHAKE_TTL_S, 'handshake-cookie');
    if (value.length <= MAX_COOKIE_VALUE_LENGTH || kept.length === 1) {
      to.set(HANDSHAKE_COOKIE, value, HANDSHAKE_TTL_S);
      return;
    }
    kept = kept.slice(1);
  }
  to.set(HANDSHAKE_COOKIE, '', 0);
}
