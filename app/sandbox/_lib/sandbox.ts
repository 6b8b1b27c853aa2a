import 'server-only';
import { MWOAuthError, type ApiClient } from 'mwoauth';
import { NO_LOCAL_ACCOUNT, WRONG_WIKI, type WikiTarget } from '@/lib/server/wiki/farm';
import type { SandboxFlash } from './flash';
import { plainText } from './plain-text';
import { isBlocked } from '@/lib/server/failures/describe';
import type { WikiUser } from '@/lib/server/wiki-user';

// The sandbox demo: append a line to User:<name>/sandbox through the API, as the user.

/** The longest line the sandbox form accepts. */
export const MAX_LINE_LENGTH = 200;

export function sandboxTitle(username: string): string {
  return `User:${username}/sandbox`;
}

/** Failed edits, as `/sandbox?error=<outcome>`. */
export const SANDBOX_OUTCOMES = [
  'invalid',
  'editconflict',
  'blocked',
  'protectedpage',
  'readonly',
  'permissiondenied',
  'unreachable',
  'failed',
  /** The form named a wiki that is neither the login wiki nor one of MW_WIKIS (nothing was sent). */
  'unknownwiki',
  /** The wiki chosen refused the consumer (its Applicable project: lib/server/wiki/farm.ts). */
  'wrongwiki',
  /** The user has no account on the wiki chosen yet. */
  'nolocalaccount',
] as const;

export type SandboxOutcome = (typeof SANDBOX_OUTCOMES)[number];

/** Each outcome's text is the message nextmwoauth-sandbox-error-<outcome> (app/sandbox/page.tsx). */
export function isSandboxOutcome(value: string): value is SandboxOutcome {
  return SANDBOX_OUTCOMES.some((outcome) => outcome === value);
}

export type SandboxResult =
  | { readonly ok: true; readonly revid: number }
  | { readonly ok: false; readonly outcome: SandboxOutcome; readonly mediawikiCode: string | null };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The form's text as one line of plain text, or null when empty or too long. */
export function cleanLine(value: unknown): string | null {
  const line = typeof value === 'string' ? plainText(value).replace(/\s+/g, ' ').trim() : '';
  return line === '' || line.length > MAX_LINE_LENGTH ? null : line;
}

/**
 * The revision to announce as saved, or null. `/sandbox?saved=<revid>` alone proves nothing (anyone
 * can send such a link); the sealed flash cookie the server action set must say that this user
 * (`sub`) saved that very revision on that very wiki (`wiki`, its host) within the last minute.
 */
export function savedRevision(
  param: string | null,
  flash: SandboxFlash | null,
  sub: string,
  wiki: string,
): number | null {
  if (param === null || flash === null || !/^\d{1,12}$/.test(param)) return null;
  return flash.sub === sub && flash.wiki === wiki && flash.revid === Number(param) ? flash.revid : null;
}

/** The outcome for an API error code (ApiEditPage, and the block and protection messages). */
export function outcomeFor(error: unknown): SandboxOutcome {
  if (!(error instanceof MWOAuthError)) return 'failed';
  if (error.code === 'timeout' || error.code === 'network') return 'unreachable';
  const code = error.mediawikiCode ?? '';
  if (code === WRONG_WIKI) return 'wrongwiki';
  if (code === NO_LOCAL_ACCOUNT) return 'nolocalaccount';
  if (code === 'editconflict') return 'editconflict';
  if (isBlocked(error)) return 'blocked';
  if (/^(protectedpage|cascadeprotected|protectedtitle|protectednamespace)/.test(code))
    return 'protectedpage';
  if (code === 'readonly') return 'readonly';
  if (code === 'permissiondenied' || code.startsWith('mwoauth-')) return 'permissiondenied';
  return 'failed';
}

/** The latest revision id of `title`, or null when the page does not exist yet. */
export async function latestRevision(api: ApiClient, title: string): Promise<number | null> {
  const answer = await api.get({ action: 'query', prop: 'revisions', rvprop: 'ids', titles: title });
  const pages = isRecord(answer.query) ? answer.query.pages : undefined;
  const page = Array.isArray(pages) ? pages[0] : undefined;
  const revisions = isRecord(page) ? page.revisions : undefined;
  const first = Array.isArray(revisions) ? revisions[0] : undefined;
  return isRecord(first) && typeof first.revid === 'number' ? first.revid : null;
}

/**
 * Appends `line` to `user`'s sandbox on `wiki` (default the login wiki; one of MW_WIKIS otherwise)
 * with a CSRF token of that wiki (action=edit needs one even with OAuth: fixtures 09, 10; another
 * wiki's is badtoken: farm-06), both calls in one withWiki (one MW_TIMEOUT_MS). The wiki tags the
 * edit with the consumer there too (farm-04). `baserevid` is the revision the user saw: if the page
 * changed since and MediaWiki cannot merge, it answers editconflict instead of overwriting. An error
 * that ends the session never comes back as an outcome: withWiki handles it as the flow says (a
 * page or action's user is sent to the revocation check); the wiki's other refusals are outcomes.
 */
export async function appendToSandboxPage(
  user: WikiUser,
  line: string,
  baserevid: number | null,
  wiki: WikiTarget | null = null,
): Promise<SandboxResult> {
  try {
    const answer = await user.withWiki(
      async (api) =>
        api.post({
          action: 'edit',
          title: sandboxTitle(user.username),
          appendtext: `\n* ${line}`,
          summary: 'Sandbox edit through next-mwoauth',
          baserevid,
          token: await api.getToken('csrf'),
        }),
      { wiki: wiki?.apiUrl ?? null },
    );
    const edit = isRecord(answer.edit) ? answer.edit : null;
    if (edit !== null && typeof edit.newrevid === 'number') return { ok: true, revid: edit.newrevid };
    return { ok: false, outcome: 'failed', mediawikiCode: null };
  } catch (error) {
    if (!(error instanceof MWOAuthError)) throw error;
    return { ok: false, outcome: outcomeFor(error), mediawikiCode: error.mediawikiCode };
  }
}
