import 'server-only';
import { createHash, hkdfSync } from 'node:crypto';
import { sealData, unsealData } from 'iron-session';
import type { SessionConfig } from '../config';

// Sealing (iron-session: AES-256-CBC + HMAC-SHA256, "Fe26.2" seals) with keys derived from
// SESSION_SECRET, one per use. No secret of the list is used as a password itself: HKDF-SHA256 (RFC 5869) derives, for each secret, a
// password per purpose, and for the Redis values per key they are stored for:
// - a value sealed for one use opens in no other, even under the same SESSION_SECRET: a Redis
//   record is not a login cookie (of this instance or of a cookie-mode one sharing the secret), a
//   handshake cookie is not a flash, and so on;
// - a Redis session record is sealed with a password derived from the raw session id, and a
//   refresh successor with one derived from the raw refresh token. Neither is in Redis (only their
//   hashes are: redis/keys.ts), so a value copied under another key does not open there, and a
//   dump of Redis does not open even with a leaked SESSION_SECRET without the cookies.
// Rotation keeps working: each derived password sits under its secret's id (config/session.ts
// passwordIdFor), so a seal made under an older secret still opens while that secret is listed.

/** Browsers drop cookies over 4096 bytes (name + value + attributes); stay well clear. */
export const MAX_COOKIE_VALUE_LENGTH = 3800;

/**
 * A sealed Redis value (a login record, a refresh successor) is at most this long. A login record
 * with OAuth 2.0 tokens grows with the client's grants (o2-06): about 4 KB with 20 grants, so 16 KB
 * leaves room for every grant MediaWiki has; anything longer under our keys was written by someone
 * else, and is never read whole (redis-store.ts reads with STRLEN first).
 */
export const MAX_REDIS_VALUE_LENGTH = 16_384;

/** What a seal is for: each has its own keys, and a seal made for one is refused by every other. */
export type SealPurpose =
  /** The cookie store's login cookie: the whole login. */
  | 'login-cookie'
  /** The Redis store's login cookie: only the session id. */
  | 'session-id-cookie'
  /** A Redis session record (`s:`), bound to its raw session id. */
  | 'redis-record'
  /** A refresh token's successor in Redis (`r:next:`), bound to that raw refresh token. */
  | 'refresh-successor'
  /** The logins in progress (session/handshakes.ts). */
  | 'handshake-cookie'
  /**
   * A cookie of the app's own pages, named after it: the sandbox demo's flash is
   * 'app:sandbox-flash'. Not bound, at most a cookie long.
   */
  | `app:${string}`;

/** The purposes whose seals are bound to a value only the cookie (or the request) holds. */
const BOUND: ReadonlySet<SealPurpose> = new Set(['redis-record', 'refresh-successor']);

/** Stored in Redis rather than in a cookie: a longer bound (MAX_REDIS_VALUE_LENGTH). */
const IN_REDIS: ReadonlySet<SealPurpose> = BOUND;

/** HKDF salt: fixed, names this scheme (RFC 5869 §3.1: a salt need not be secret). */
const SALT = 'next-mwoauth seal keys v1';

/** iron-session needs passwords of at least 32 characters: 32 bytes in base64url are 43. */
const DERIVED_BYTES = 32;

export function maxSealLength(purpose: SealPurpose): number {
  return IN_REDIS.has(purpose) ? MAX_REDIS_VALUE_LENGTH : MAX_COOKIE_VALUE_LENGTH;
}

function derive(secret: string, purpose: SealPurpose, binding: string | null): string {
  // The binding is hashed first: HKDF's info is bounded (1024 bytes in Node), a refresh token is not.
  const bound = binding === null ? '' : createHash('sha256').update(binding).digest('hex');
  const info = `${purpose}\0${bound}`;
  return Buffer.from(hkdfSync('sha256', secret, SALT, info, DERIVED_BYTES)).toString('base64url');
}

/** Per configuration and unbound purpose, the derived password map (derived once). */
const unboundCache = new WeakMap<SessionConfig, Map<SealPurpose, Record<string, string>>>();

/**
 * The password map iron-session is given for `purpose` (and `binding`): every secret's id, each with
 * the password derived from that secret. A null-prototype object: no inherited property (such as
 * `constructor`, a password id a forged seal may name) can pass for a password.
 */
function passwordsFor(
  config: SessionConfig,
  purpose: SealPurpose,
  binding: string | null,
): Record<string, string> {
  if (BOUND.has(purpose) !== (binding !== null)) {
    throw new Error(`Seals for '${purpose}' ${binding === null ? 'need' : 'take no'} binding.`);
  }
  let cached = binding === null ? unboundCache.get(config) : undefined;
  const known = cached?.get(purpose);
  if (known !== undefined) return known;
  const passwords: Record<string, string> = Object.create(null);
  for (const [id, secret] of Object.entries(config.passwords))
    passwords[id] = derive(secret, purpose, binding);
  if (binding === null) {
    if (cached === undefined) {
      cached = new Map();
      unboundCache.set(config, cached);
    }
    cached.set(purpose, passwords);
  }
  return passwords;
}

/**
 * Unseals `seal` made for `purpose` (and `binding`), returning `null` for anything that is not a
 * valid seal of ours for exactly that use. iron-session 8 returns `{}` for the failures it expects
 * (bad HMAC, expired, unknown password id: null here too) but THROWS on others: a value such as `a*b*c*d*e*f*g*h`,
 * a password id like `constructor`, bad base64. Every one of those is "logged out".
 */
export async function unsealOrNull(
  seal: string,
  config: SessionConfig,
  purpose: SealPurpose,
  binding: string | null = null,
): Promise<unknown> {
  if (seal === '' || seal.length > maxSealLength(purpose)) return null;
  const password = passwordsFor(config, purpose, binding);
  let data: unknown;
  try {
    data = await unsealData<unknown>(seal, { password });
  } catch {
    return null;
  }
  // iron-session's `{}` for a seal it refused; nothing of ours seals an empty object.
  const refused =
    typeof data === 'object' && data !== null && !Array.isArray(data) && Object.keys(data).length === 0;
  return refused ? null : data;
}

/** Seals `data` for `purpose` (and `binding`) under the current secret, for `ttl` seconds. */
export async function seal(
  data: object,
  config: SessionConfig,
  ttl: number,
  purpose: SealPurpose,
  binding: string | null = null,
): Promise<string> {
  const current = passwordsFor(config, purpose, binding)[config.currentPasswordId];
  if (current === undefined) throw new Error('SessionConfig.currentPasswordId is not in passwords.');
  // Only the current secret's password is given, so it is the one used.
  return sealData(data, { password: { [config.currentPasswordId]: current }, ttl });
}

/** The expiration field of an iron seal (Fe26.2*id*salt*iv*data*EXPIRATION*salt*hmac~2), or null. */
export function sealExpiryMs(seal: string): number | null {
  const field = seal.split('*')[5];
  if (field === undefined || !/^[0-9]{1,15}$/.test(field)) return null;
  return Number(field);
}
