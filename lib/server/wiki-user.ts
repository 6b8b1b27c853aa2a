import 'server-only';
import { userProfileOf, type ApiClient, type SuppressedProfile, type UserProfile } from 'mwoauth';
import type { AppConfig } from './config';
import { AppError } from './errors';
import { wikiCalls, type WikiChoice } from './farm';
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
   *
   * `{ wiki }` (an api.php URL, or its host): another wiki of the farm, one of MW_WIKIS, with the
   * same token and the same rules; any other wiki is refused before a request is made (AppError
   * `wiki_not_allowed`, naming MW_WIKIS). Tokens (getToken) come from and are kept for the wiki
   * called, for the rest of this request. That wiki's own refusals (the consumer not registered for
   * it, no local account yet: lib/server/farm.ts) are thrown as they are; the login goes on.
   */
  withWiki<T>(task: (api: ApiClient) => Promise<T>, options?: WikiChoice): Promise<T>;
  /**
   * Who the user is, asked of the wiki now (verified); a session the wiki ended does not return.
   * `{ wiki }`: as that wiki of MW_WIKIS sees them (its groups and rights; 1.0a: its identify).
   */
  identify(options?: WikiChoice): Promise<UserProfile | SuppressedProfile>;
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
  // The wiki of each call, checked, and each wiki's tokens for this WikiUser's request.
  const on = wikiCalls(config);
  return {
    sub: login.sub,
    username: login.username,
    async withWiki(task, options) {
      const where = on(options); // refused here, before any request, when not allowed
      return guarded(async (deadline) => task(flow.api(login.credentials, deadline, where)));
    },
    async identify(options) {
      const where = on(options);
      return guarded(async (deadline) =>
        userProfileOf(await flow.identify(login.credentials, deadline, where)),
      );
    },
  };
}
