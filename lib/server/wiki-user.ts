import 'server-only';
import {
  userProfileOf,
  type ApiClient,
  type SuppressedProfile,
  type UserProfile,
  type WikiCookieJar,
} from 'mwoauth';
import type { AppConfig } from './config';
import { AppError } from './core/errors';
import { wikiCalls, type WikiChoice } from './wiki/farm';
import type { LoginFlow, SessionVerdict } from './login/flow';
import type { FreshLogin } from './login/fresh';
import type { LoginSession } from './session/store';
import { startWikiDeadline, type WikiDeadline } from './wiki/deadline';
import { LoginJar, type WikiCookies } from './wiki/cookies';

// What pages and actions are handed: the user, who can call the wiki, but no token and no protocol
// (python-mwoauth's `mwapi_session()`). auth.ts makes the ones pages get.

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
   * it, no local account yet: lib/server/wiki/farm.ts) are thrown as they are; the login goes on.
   */
  withWiki<T>(task: (api: ApiClient) => Promise<T>, options?: WikiChoice): Promise<T>;
  /**
   * Who the user is, asked of the wiki now (verified); a session the wiki ended does not return.
   * `{ wiki }`: as that wiki of MW_WIKIS sees them (its groups and rights; 1.0a: its identify).
   */
  identify(options?: WikiChoice): Promise<UserProfile | SuppressedProfile>;
  /**
   * True when `error` is the wiki refusing this login's token (the flow's verdict is not 'keep'). A
   * task that catches the wiki's errors itself must rethrow these: withWiki refreshes and retries
   * them (server actions) or hands them to `onEnded`.
   */
  refusesToken(error: unknown): boolean;
}

/**
 * What a WikiUser may write (server actions; a page can write nothing: its cookie writes would be
 * lost, and proxy.ts keeps its wiki cookies fresh instead). `refresh`: a token the wiki refused as
 * expired is refreshed once, forced (login/fresh.ts freshLogin), and the call made once more.
 * `saveCookies`: the wiki's cookies changed during a call; store them in the session.
 */
export interface WikiUserWrites {
  refresh?(current: LoginSession): Promise<FreshLogin>;
  /** The refresh ended the session (its cookie is already cleared): where the browser goes. */
  ended?(reason: Extract<FreshLogin, { kind: 'ended' }>['reason']): never;
  saveCookies?(current: LoginSession, cookies: WikiCookies): Promise<LoginSession>;
}

/** What a WikiUser does by default when the wiki ended the session: AppError `session_ended`. */
function throwSessionEnded(verdict: SessionVerdict): never {
  throw new AppError('session_ended', `The wiki ended this session (${verdict}): log in again.`);
}

/**
 * A WikiUser for `login`. When a call fails in a way the flow says ends the session, `onEnded` is
 * called instead of the error being thrown (pages and actions: a redirect through
 * /api/mwoauth/revoked, which checks with the wiki and clears the cookie; default: AppError
 * `session_ended`). With `writes.refresh` (server actions), a token refused as expired (OAuth 2.0: expired
 * early, or refused by Wikimedia's edge with error="invalid_token") is first refreshed once and the
 * call made once more; refused again, `onEnded` ('revoked'): never a loop. Each withWiki() or
 * identify() has a deadline of its own.
 */
export function wikiUser(
  login: LoginSession,
  flow: LoginFlow,
  config: AppConfig,
  onEnded: (verdict: SessionVerdict) => never = throwSessionEnded,
  writes: WikiUserWrites = {},
): WikiUser {
  // The login in use: a refresh during this request replaces it for the calls after it.
  let current = login;
  // This login's wiki cookies, for every call of this request (WIKI_COOKIES=off: none).
  let jar: Promise<LoginJar> | null = null;
  const jarNow = (): Promise<LoginJar> | null =>
    config.wikiCookies ? (jar ??= LoginJar.open(login.wikiCookies)) : null;

  /** Stores what the wiki changed in the jar, where this WikiUser may write; a failure only logs. */
  async function keepCookies(): Promise<void> {
    const open = jarNow();
    const save = writes.saveCookies;
    if (open === null || save === undefined) return;
    current = (await (await open).keepChanged((changed) => save(current, changed))) ?? current;
  }

  async function attempt<T>(
    run: (now: LoginSession, deadline: WikiDeadline, cookies: WikiCookieJar | null) => Promise<T>,
  ): Promise<T> {
    const open = jarNow();
    try {
      return await run(current, startWikiDeadline(config), open === null ? null : (await open).jar);
    } finally {
      await keepCookies();
    }
  }

  async function guarded<T>(
    run: (now: LoginSession, deadline: WikiDeadline, cookies: WikiCookieJar | null) => Promise<T>,
  ): Promise<T> {
    try {
      return await attempt(run);
    } catch (error) {
      const verdict = flow.verdict(error);
      if (verdict === 'keep') throw error;
      if (verdict !== 'expired' || writes.refresh === undefined) onEnded(verdict);
    }
    const fresh = await writes.refresh(current);
    if (fresh.kind === 'ended') {
      // Already ended here: a trip through the revocation check would find no session to end.
      writes.ended?.(fresh.reason);
      onEnded('revoked');
    }
    current = fresh.login;
    try {
      return await attempt(run);
    } catch (error) {
      // Refused even with a token fresh from the wiki: the session is of no use.
      if (flow.verdict(error) !== 'keep') onEnded('revoked');
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
      return guarded(async (now, deadline, cookies) =>
        task(flow.api(now.credentials, deadline, cookies, where)),
      );
    },
    async identify(options) {
      const where = on(options);
      return guarded(async (now, deadline, cookies) =>
        userProfileOf(await flow.identify(now.credentials, deadline, cookies, where)),
      );
    },
    refusesToken: (error) => flow.verdict(error) !== 'keep',
  };
}
