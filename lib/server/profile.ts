import 'server-only';
import { unstable_rethrow } from 'next/navigation';
import type { UserProfile } from 'mwoauth';
import { parseUserInfo, USERINFO_PROPS, type UserInfo } from './userinfo';
import { isSessionEnded } from './errors';
import type { WikiUser } from './wiki-user';

export type ProfileResult =
  | { readonly kind: 'ok'; readonly identity: UserProfile; readonly info: UserInfo | null }
  /** The access token no longer works: the session must end. */
  | { readonly kind: 'revoked' }
  /** A suppressed user: the wiki shares no name (Extension:OAuth sends only sub and blocked). */
  | { readonly kind: 'suppressed' }
  | { readonly kind: 'error'; readonly error: unknown };

/**
 * What /profile shows: a fresh identify (verified) and the userinfo query (what the grants let
 * this app do), asked of the wiki at the same time, not one after the other. A user from
 * requireUser() redirects when the wiki ended the session (the redirect is passed on, not caught).
 */
export async function loadProfile(user: WikiUser): Promise<ProfileResult> {
  try {
    const [identity, answer] = await Promise.all([
      user.identify(),
      user.withWiki((api) => api.get({ action: 'query', meta: 'userinfo', uiprop: [...USERINFO_PROPS] })),
    ]);
    if (identity.suppressed) return { kind: 'suppressed' };
    return { kind: 'ok', identity, info: parseUserInfo(answer) };
  } catch (error) {
    unstable_rethrow(error);
    return isSessionEnded(error) ? { kind: 'revoked' } : { kind: 'error', error };
  }
}
