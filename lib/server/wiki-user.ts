import 'server-only';
import { userProfileOf, type ApiClient, type SuppressedProfile, type UserProfile } from 'mwoauth';
import type { AppConfig } from './config';
import { AppError } from './errors';
import type { LoginFlow, SessionVerdict } from './login/flow';
import type { LoginSession } from './session/store';
import { startWikiDeadline, type WikiDeadline } from './wiki/deadline';

// What pages and actions are handed: the user, who can call the wiki, but no token and no protocol
// (python-mwoauth's `mwapi_session()`; REVIEW.md §2.3). auth.ts makes the ones pages get.

export interface WikiUser {
  readonly sub: string;
  readonly username: string;
  /**
   * Runs `task` against api.php as this user (assert=user), all its calls within one MW_TIMEOUT_MS.
   * A session the wiki ended (revoked) does not return: see `onEnded` of wikiUser().
   */
  withWiki<T>(task: (api: ApiClient) => Promise<T>): Promise<T>;
  /** Who the user is, asked of the wiki now (verified); a session the wiki ended does not return. */
  identify(): Promise<UserProfile | SuppressedProfile>;
}

/** What a WikiUser does by default when the wiki ended the session: AppError `session_ended`. */
function throwSessionEnded(verdict: SessionVerdict): never {
  throw new AppError('session_ended', `The wiki ended this session (${verdict}): log in again.`);
}

/**
 * A WikiUser for `login`. When a call fails in a way the flow says ends the session, `onEnded` is
 * called instead of the error being thrown (pages and actions: a redirect through
 * /api/mwoauth/revoked, which checks with the wiki and clears the cookie; default: AppError
 * `session_ended`). Each withWiki() or identify() has a deadline of its own.
 */
export function wikiUser(
  login: LoginSession,
  flow: LoginFlow,
  config: AppConfig,
  onEnded: (verdict: SessionVerdict) => never = throwSessionEnded,
): WikiUser {
  async function guarded<T>(run: (deadline: WikiDeadline) => Promise<T>): Promise<T> {
    try {
      return await run(startWikiDeadline(config));
    } catch (error) {
      const verdict = flow.verdict(error);
      if (verdict !== 'keep') onEnded(verdict);
      throw error;
    }
  }
  return {
    sub: login.sub,
    username: login.username,
    withWiki: (task) => guarded(async (deadline) => task(flow.api(login.credentials, deadline))),
    identify: () =>
      guarded(async (deadline) => userProfileOf(await flow.identify(login.credentials, deadline))),
  };
}
