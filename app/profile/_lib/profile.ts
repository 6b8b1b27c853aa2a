import 'server-only';
import { unstable_rethrow } from 'next/navigation';
import { MWOAuthError, type UserProfile } from 'mwoauth';
import type { WikiTarget } from '@/lib/server/wiki/farm';
import { parseUserInfo, USERINFO_PROPS, type UserInfo } from './userinfo';
import { isSessionEnded } from '@/lib/server/core/errors';
import type { WikiUser } from '@/lib/server/wiki-user';

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

/** What one other wiki of the farm (MW_WIKIS) says of the user, for /profile. */
export type WikiAccount =
  | {
      readonly kind: 'ok';
      readonly wiki: WikiTarget;
      readonly name: string;
      readonly editcount: number | null;
      readonly groups: readonly string[];
    }
  /** That wiki refused or failed (farm.ts: not registered for it, no local account; or a fault). */
  | { readonly kind: 'error'; readonly wiki: WikiTarget; readonly error: unknown };

/**
 * The user's account on each of `wikis` (meta=userinfo there, as the user), all asked at once: a
 * page with N wikis waits about one round trip, not N. One wiki's failure is that wiki's row; a
 * session the wiki ended ends the page as loadProfile's does (the redirect is passed on).
 */
export async function loadWikiAccounts(
  user: WikiUser,
  wikis: readonly WikiTarget[],
): Promise<readonly WikiAccount[]> {
  return Promise.all(
    wikis.map(async (wiki): Promise<WikiAccount> => {
      try {
        const answer = await user.withWiki(
          (api) => api.get({ action: 'query', meta: 'userinfo', uiprop: ['groups', 'editcount'] }),
          { wiki: wiki.apiUrl },
        );
        const info = parseUserInfo(answer);
        if (info === null) {
          return { kind: 'error', wiki, error: new MWOAuthError('unexpected_response', 'No userinfo.') };
        }
        const groups = info.groups.filter((g) => g !== '*');
        return { kind: 'ok', wiki, name: info.name, editcount: info.editcount, groups };
      } catch (error) {
        unstable_rethrow(error);
        if (isSessionEnded(error)) throw error;
        return { kind: 'error', wiki, error };
      }
    }),
  );
}
