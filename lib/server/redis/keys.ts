import 'server-only';
import { createHash, createHmac } from 'node:crypto';
import type { SessionConfig } from '../config';

// Key names on a Redis server that other tools can read (Toolforge's is shared by every tool and
// has no access control: SECURITY.md). Nothing in a key may tell another tool anything:
// - the prefix is REDIS_KEY_PREFIX or derived from SESSION_SECRET, so no other tool can guess it;
// - a session id is stored only as its SHA-256 (as lucia does): a dump of the keys yields no id a
//   cookie could carry. Ids are 256 random bits, so an unkeyed hash is enough;
// - a user id (`sub`: a small integer), a refresh token or a client address is stored only as an
//   HMAC under SESSION_SECRET: an unkeyed hash of `sub` or of an IPv4 address is reversed by
//   trying every value, and would tell other tools who uses ours.
// Values are sealed (session/seal.ts) wherever they hold anything of the user's.

/** Bits of HMAC in a derived prefix: unguessable, and short enough to keep keys small. */
const PREFIX_HEX_LENGTH = 24;

function currentSecret(session: SessionConfig): string {
  const secret = session.passwords[session.currentPasswordId];
  if (secret === undefined) throw new Error('SessionConfig.currentPasswordId is not in passwords.');
  return secret;
}

/**
 * The prefix of every key of ours: REDIS_KEY_PREFIX when set, else `mwoauth:<96 bits of
 * HMAC(current SESSION_SECRET)>:`. A derived prefix changes when the current secret does, which
 * ends every Redis session: set REDIS_KEY_PREFIX before rotating SESSION_SECRET in Redis mode.
 */
export function redisKeyPrefix(session: SessionConfig, configured: string | null): string {
  if (configured !== null) return configured;
  const digest = createHmac('sha256', currentSecret(session))
    .update('next-mwoauth redis key prefix')
    .digest('hex');
  return `mwoauth:${digest.slice(0, PREFIX_HEX_LENGTH)}:`;
}

/** SHA-256 of a random session id (hex): what Redis keys and the per-user index hold. */
export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** HMAC-SHA256 (base64url) of `value` for `purpose` under `secret`: for guessable values. */
export function keyedHash(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}\0${value}`).digest('base64url');
}

/** keyedHash under the current secret (new keys are always written under it). */
export function currentKeyedHash(session: SessionConfig, purpose: string, value: string): string {
  return keyedHash(currentSecret(session), purpose, value);
}

/** keyedHash under every secret of SESSION_SECRET, current first (for reads that must survive a rotation). */
export function allKeyedHashes(session: SessionConfig, purpose: string, value: string): string[] {
  const secrets = [currentSecret(session)];
  for (const [id, secret] of Object.entries(session.passwords)) {
    if (id !== session.currentPasswordId) secrets.push(secret);
  }
  return secrets.map((secret) => keyedHash(secret, purpose, value));
}
