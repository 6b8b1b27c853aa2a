import 'server-only';
import { field } from '@/lib/server/core/narrow';
import type { SessionConfig } from '@/lib/server/config';
import type { CookieReader, CookieWriter } from '@/lib/server/session/cookies';
import { seal, unsealOrNull } from '@/lib/server/session/seal';

// The sandbox demo's flash cookie, a cookie in both session stores: for 60 s after an edit, which
// user saved which revision, so the sandbox page says "Saved" only to the one who saved it (not to
// anyone given ?saved=123). Delete it with the demo.

export const FLASH_COOKIE = 'mwoauth_flash';
/** The sandbox's "Saved" lasts a minute: long enough for the redirect after the edit, no more. */
export const FLASH_TTL_S = 60;

/** What the sandbox flash cookie says: the user `sub` has just saved revision `revid` on `wiki` (its host). */
export interface SandboxFlash {
  readonly sub: string;
  readonly revid: number;
  readonly wiki: string;
}

/** Seals the sandbox's outcome for FLASH_TTL_S (the server action sets it before its redirect). */
export async function writeSandboxFlash(
  to: CookieWriter,
  flash: SandboxFlash,
  secrets: SessionConfig,
): Promise<void> {
  const value = await seal(
    { sub: flash.sub, revid: flash.revid, wiki: flash.wiki },
    secrets,
    FLASH_TTL_S,
    'app:sandbox-flash',
  );
  to.set(FLASH_COOKIE, value, FLASH_TTL_S);
}

/** The sandbox flash, or null when there is none, it expired, or it does not unseal. Never throws. */
export async function readSandboxFlash(
  from: CookieReader,
  secrets: SessionConfig,
): Promise<SandboxFlash | null> {
  const raw = from.get(FLASH_COOKIE)?.value;
  if (raw === undefined || raw === '') return null;
  const data = await unsealOrNull(raw, secrets, 'app:sandbox-flash');
  if (typeof data !== 'object' || data === null) return null;
  const sub = field(data, 'sub');
  const revid = field(data, 'revid');
  const wiki = field(data, 'wiki');
  if (
    typeof wiki !== 'string' ||
    typeof sub !== 'string' ||
    sub === '' ||
    typeof revid !== 'number' ||
    !Number.isSafeInteger(revid) ||
    revid < 1
  ) {
    return null;
  }
  return { sub, revid, wiki };
}
