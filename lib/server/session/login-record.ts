import 'server-only';
import { field, isTime, nonEmptyString } from '../core/narrow';
import { makeToken } from 'mwoauth';
import type { Credentials } from '../login/credentials';
import type { LoginSession } from './store';
import { toWikiCookies, wikiCookiesRecord } from '../wiki/cookies';

// A login as it is sealed (in the cookie, or as a Redis value) and read back. What comes back is
// `unknown` until narrowed here, field by field (CONTRIBUTING.md): a seal of another kind (handshake,
// flash) or of an older shape is "no login", never a half-read one.

/** Narrows sealed credentials; the 1.0a token prints its secret as [redacted] (CONTRIBUTING.md). */
export function toCredentials(value: unknown): Credentials | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const protocol = field(value, 'protocol');
  if (protocol === '1.0a') {
    const token = field(value, 'accessToken');
    if (typeof token !== 'object' || token === null) return null;
    const key = field(token, 'key');
    const secret = field(token, 'secret');
    if (!nonEmptyString(key) || !nonEmptyString(secret)) return null;
    return { protocol, accessToken: makeToken(key, secret) };
  }
  if (protocol === '2.0') {
    const accessToken = field(value, 'accessToken');
    const refreshToken = field(value, 'refreshToken');
    const expiresAt = field(value, 'expiresAt');
    if (!nonEmptyString(accessToken)) return null;
    if (refreshToken !== null && !nonEmptyString(refreshToken)) return null;
    if (expiresAt !== null && !isTime(expiresAt)) return null;
    return { protocol, accessToken, refreshToken, expiresAt };
  }
  return null;
}

/** Narrows an unsealed value to a LoginSession, or null. */
export function toLoginSession(value: unknown): LoginSession | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const sub = field(value, 'sub');
  const username = field(value, 'username');
  const credentials = toCredentials(field(value, 'credentials'));
  const loggedInAt = field(value, 'loggedInAt');
  if (!nonEmptyString(sub) || !nonEmptyString(username) || credentials === null || !isTime(loggedInAt)) {
    return null;
  }
  // The wiki's cookies: absent in records sealed before them, and dropped if unreadable.
  const wikiCookies = toWikiCookies(field(value, 'wikiCookies') ?? null);
  return { sub, username, credentials, loggedInAt, ...(wikiCookies === null ? {} : { wikiCookies }) };
}

/** The plain object sealed for credentials (only these fields: nothing a caller added rides along). */
export function credentialsRecord(c: Credentials): object {
  return c.protocol === '1.0a'
    ? { protocol: c.protocol, accessToken: { key: c.accessToken.key, secret: c.accessToken.secret } }
    : {
        protocol: c.protocol,
        accessToken: c.accessToken,
        refreshToken: c.refreshToken,
        expiresAt: c.expiresAt,
      };
}

/** The plain object sealed for `login`. */
export function loginRecord(login: LoginSession): object {
  const credentials = credentialsRecord(login.credentials);
  const record = { sub: login.sub, username: login.username, credentials, loggedInAt: login.loggedInAt };
  const cookies = login.wikiCookies ?? null;
  return cookies === null ? record : { ...record, wikiCookies: wikiCookiesRecord(cookies) };
}
