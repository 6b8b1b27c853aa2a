import 'server-only';
import { sealData, unsealData } from 'iron-session';
import type { SessionConfig } from '../config';

// Sealing with SESSION_SECRET (iron-session: AES-256-CBC + HMAC-SHA256, "Fe26.2" seals), shared by
// every cookie and by the Redis store's values.

/** Browsers drop cookies over 4096 bytes (name + value + attributes); stay well clear. */
export const MAX_COOKIE_VALUE_LENGTH = 3800;

/**
 * Unseals `seal`, returning `null` for anything that is not a valid seal of ours. iron-session 8
 * returns `{}` for the failures it expects (bad HMAC, expired, unknown password id) but THROWS on
 * others: a value such as `a*b*c*d*e*f*g*h`, a password id like `constructor` (looked up on a plain
 * object, it finds Object.prototype.constructor), bad base64. Every one of those is "logged out".
 */
export async function unsealOrNull(seal: string, config: SessionConfig): Promise<unknown> {
  if (seal === '' || seal.length > MAX_COOKIE_VALUE_LENGTH) return null;
  // A null-prototype copy: no inherited property can pass for a password.
  const passwords: Record<string, string> = Object.assign(Object.create(null), config.passwords);
  try {
    return await unsealData<unknown>(seal, { password: passwords });
  } catch {
    return null;
  }
}

export async function seal(data: object, config: SessionConfig, ttl: number): Promise<string> {
  const current = config.passwords[config.currentPasswordId];
  if (current === undefined) throw new Error('SessionConfig.currentPasswordId is not in passwords.');
  // Only the current secret is given, so it is the one used (iron-session seals with the highest id).
  return sealData(data, { password: { [config.currentPasswordId]: current }, ttl });
}

/** The expiration field of an iron seal (Fe26.2*id*salt*iv*data*EXPIRATION*salt*hmac~2), or null. */
export function sealExpiryMs(seal: string): number | null {
  const field = seal.split('*')[5];
  if (field === undefined || !/^[0-9]{1,15}$/.test(field)) return null;
  return Number(field);
}
