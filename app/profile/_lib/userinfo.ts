import 'server-only';
import type { ApiResponse } from 'mwoauth';

// action=query&meta=userinfo, as the user (fixture 08). The answer is `unknown` until narrowed.

/** What /profile asks for: `rights` here are the user's rights limited to this app's grants. */
export const USERINFO_PROPS = [
  'groups',
  'rights',
  'editcount',
  'email',
  'registrationdate',
  'blockinfo',
  // The user's preferences: `language` chooses the app's language, `gender` GENDER in messages.
  // (No fixture records it: what is read is narrowed, and absent means null/unknown.)
  'options',
] as const;

export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
  /** The rights this app may use on the user's behalf (user rights ∩ grants; fixture 08). */
  readonly rights: readonly string[];
  readonly editcount: number | null;
  /** ISO 8601, or null for accounts from before MediaWiki recorded registrations. */
  readonly registrationdate: string | null;
  /** Only with the privateinfo grant (fixture 08 vs 31). */
  readonly email: string | null;
  readonly emailAuthenticated: string | null;
  /** Present when the user is blocked (uiprop=blockinfo). */
  readonly block: {
    readonly by: string | null;
    readonly reason: string | null;
    readonly expiry: string | null;
  } | null;
  /** The `language` option of the user's preferences (a MediaWiki language code), or null. */
  readonly language: string | null;
  /** The `gender` option: what GENDER in messages is given. */
  readonly gender: 'male' | 'female' | 'unknown';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Narrows an API answer to UserInfo; null when it holds no userinfo with a name. */
export function parseUserInfo(answer: ApiResponse): UserInfo | null {
  const query = answer.query;
  if (!isRecord(query) || !isRecord(query.userinfo)) return null;
  const info = query.userinfo;
  const name = stringOrNull(info.name);
  if (name === null) return null;
  const blocked = 'blockid' in info || 'blockedby' in info;
  const options = isRecord(info.options) ? info.options : {};
  const gender = options.gender === 'male' || options.gender === 'female' ? options.gender : 'unknown';
  return {
    name,
    groups: strings(info.groups),
    rights: strings(info.rights),
    editcount: typeof info.editcount === 'number' ? info.editcount : null,
    registrationdate: stringOrNull(info.registrationdate),
    email: stringOrNull(info.email),
    emailAuthenticated: stringOrNull(info.emailauthenticated),
    block: blocked
      ? {
          by: stringOrNull(info.blockedby),
          reason: stringOrNull(info.blockreason),
          expiry: stringOrNull(info.blockexpiry),
        }
      : null,
    language: stringOrNull(options.language),
    gender,
  };
}
