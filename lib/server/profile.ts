import 'server-only';
import { identify, type AccessToken, type VisibleIdentity } from '@/lib/mwoauth';
import type { AppConfig } from './config';
import { parseUserInfo, USERINFO_PROPS, type UserInfo } from './userinfo';
import { apiClientFor, identifyOptions, isRevoked } from './login/oauth1';

export type ProfileResult =
  | { readonly kind: 'ok'; readonly identity: VisibleIdentity; readonly info: UserInfo | null }
  /** The access token no longer works: the session must end. */
  | { readonly kind: 'revoked' }
  /** A suppressed user: the wiki shares no name (Extension:OAuth sends only sub and blocked). */
  | { readonly kind: 'suppressed' }
  | { readonly kind: 'error'; readonly error: unknown };

/**
 * What /profile shows: a fresh identify (the signed JWT, verified) and the userinfo query (what the
 * grants let this app do), asked of the wiki at the same time, not one after the other.
 */
export async function loadProfile(config: AppConfig, accessToken: AccessToken): Promise<ProfileResult> {
  try {
    const [identity, answer] = await Promise.all([
      identify(config.wiki.indexUrl, config.consumer, accessToken, identifyOptions(config)),
      apiClientFor(config, accessToken).get({
        action: 'query',
        meta: 'userinfo',
        uiprop: [...USERINFO_PROPS],
      }),
    ]);
    if (identity.suppressed) return { kind: 'suppressed' };
    return { kind: 'ok', identity, info: parseUserInfo(answer) };
  } catch (error) {
    return isRevoked(error) ? { kind: 'revoked' } : { kind: 'error', error };
  }
}
