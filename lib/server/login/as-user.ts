import 'server-only';
import type { WikiCookieJar } from 'mwoauth';
import { AppError } from '../core/errors';
import type { LoginSession } from '../session/store';
import { LoginJar } from '../wiki/cookies';
import type { Credentials } from './credentials';
import { freshLogin, type FreshContext } from './fresh';

// Calls to the wiki as the user where the answer can carry a cookie (route handlers: withUser, the
// revocation check). The credentials are refreshed first when due. A call the wiki refuses as
// expired before its time (a refresh elsewhere revoked the token, or the wiki's clock is ahead)
// makes one forced refresh, shared by every call of the request that meets the same refusal, and
// is tried once more; a refusal after that, or a dead refresh token, ends the session. No loop.

/** Why the session ended: the wiki refused it (`revoked`), or it was logged out meanwhile. */
export type EndedReason = 'revoked' | 'logged_out';

/** What a call to the wiki is: api.php, or the identity check itself (identify / profile). */
export type CallKind = 'api' | 'identify';

export interface UserCalls {
  /** The login as this request leaves it: refreshed or not. */
  readonly login: LoginSession;
  /** Whether this request refreshed the credentials (and wrote the new cookie to ctx.to). */
  readonly refreshed: boolean;
  /** Why the session ended during this request (it is ended, its cookie cleared on ctx.to); null while it lives. */
  readonly ended: EndedReason | null;
  /**
   * `run` with the current credentials and this login's wiki cookies (null with WIKI_COOKIES=off;
   * what the wiki changed in them is saved to ctx.to after each run); throws AppError
   * 'session_ended' once the session is over (and ends it). Any other failure is thrown as it is
   * and the session kept.
   */
  call<T>(
    run: (credentials: Credentials, jar: WikiCookieJar | null) => Promise<T>,
    kind: CallKind,
  ): Promise<T>;
}

function sessionEnded(): AppError {
  return new AppError('session_ended', 'The wiki ended this session: log in again.');
}

/**
 * The user's calls for the session `login` belongs to, or why it ended while being refreshed.
 * `wikiCookies`: the calls get this login's wiki cookies (lib/server/wiki/cookies.ts).
 */
export async function asUser(
  ctx: FreshContext,
  login: LoginSession,
  options: { readonly wikiCookies?: boolean } = {},
): Promise<UserCalls | EndedReason> {
  const first = await freshLogin(ctx, login);
  if (first.kind === 'ended') return first.reason;
  let current = first.login;
  const jar = options.wikiCookies === true ? await LoginJar.open(login.wikiCookies) : null;

  /** `run`, then whatever the wiki changed in the jar saved with the session. */
  async function withJar<T>(
    run: (credentials: Credentials, jar: WikiCookieJar | null) => Promise<T>,
    credentials: Credentials,
  ): Promise<T> {
    try {
      return await run(credentials, jar === null ? null : jar.jar);
    } finally {
      if (jar !== null && ended === null) {
        current =
          (await jar.keepChanged((changed) => ctx.session.save(ctx.to, current.credentials, changed))) ??
          current;
      }
    }
  }
  let refreshed = first.refreshed;
  let ended: EndedReason | null = null;
  /** This request's forced refresh: at most one, whichever call was refused first makes it. */
  let forced: Promise<LoginSession> | null = null;

  async function end(reason: EndedReason): Promise<never> {
    if (ended === null) {
      ended = reason;
      await ctx.session.end(ctx.to);
    }
    throw sessionEnded();
  }

  function refreshAfterRefusal(): Promise<LoginSession> {
    forced ??= (async (): Promise<LoginSession> => {
      const again = await freshLogin(ctx, current, { force: true });
      if (again.kind === 'ended') {
        ended = again.reason; // freshLogin ended the session (or found it logged out)
        throw sessionEnded();
      }
      current = again.login;
      refreshed ||= again.refreshed;
      return current;
    })();
    return forced;
  }

  /**
   * OAuth 1.0a's api.php answers mwoauth-invalid-authorization for a revoked grant and for a clock
   * 300 s off or a bad signature alike (fixtures 15, 17, 33b): identify tells them apart before the
   * session is ended. Identify's own refusal is the answer (fixtures 13, 33).
   */
  async function confirmRevoked(error: unknown, kind: CallKind): Promise<never> {
    if (kind === 'identify') return end('revoked');
    try {
      await ctx.flow.identify(current.credentials, ctx.deadline, jar === null ? null : jar.jar);
    } catch (check) {
      if (ctx.flow.verdict(check) !== 'keep') return end('revoked');
    }
    throw error;
  }

  return {
    get login() {
      return current;
    },
    get refreshed() {
      return refreshed;
    },
    get ended() {
      return ended;
    },
    async call<T>(
      run: (credentials: Credentials, jar: WikiCookieJar | null) => Promise<T>,
      kind: CallKind,
    ): Promise<T> {
      if (ended !== null) throw sessionEnded();
      const used = current;
      const afterForced = forced !== null && used !== first.login;
      try {
        return await withJar(run, used.credentials);
      } catch (error) {
        const verdict = ctx.flow.verdict(error);
        if (verdict === 'keep') throw error;
        if (verdict === 'revoked') return confirmRevoked(error, kind);
        // Refused as expired with credentials this request already refreshed: no second refresh.
        if (afterForced) return end('revoked');
      }
      const fresh = await refreshAfterRefusal();
      try {
        return await withJar(run, fresh.credentials);
      } catch (error) {
        // Refused even fresh from a refresh: the session is of no use, and another try would loop.
        if (ctx.flow.verdict(error) !== 'keep') return end('revoked');
        throw error;
      }
    },
  };
}
