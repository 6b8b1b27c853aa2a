'use server';

import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { MWOAuthError } from '@/lib/mwoauth';
import { requireUser } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { clearLoginSession, secureCookiesFor } from '@/lib/server/session';
import { apiClientFor, isRevoked } from '@/lib/server/wiki';
import { MAX_LINE_LENGTH, sandboxTitle, type SandboxOutcome } from './outcomes';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The outcome for an API error code (ApiEditPage and the block/protection traits). */
function outcomeFor(error: unknown): SandboxOutcome {
  if (!(error instanceof MWOAuthError)) return 'failed';
  if (error.code === 'timeout' || error.code === 'network') return 'unreachable';
  const code = error.mediawikiCode ?? '';
  if (code === 'editconflict') return 'editconflict';
  if (/^(blocked|autoblocked|globalblocking-blocked|systemblocked)/.test(code)) return 'blocked';
  if (/^(protectedpage|cascadeprotected|protectedtitle|protectednamespace)/.test(code))
    return 'protectedpage';
  if (code === 'readonly') return 'readonly';
  if (code === 'permissiondenied' || code.startsWith('mwoauth-')) return 'permissiondenied';
  return 'failed';
}

/**
 * Appends a line to User:<name>/sandbox through the API as the user, with a CSRF token
 * (action=edit needs one even with OAuth: fixtures 09, 10), then shows the outcome through a
 * redirect (POST → 303 → GET), so reloading does not edit twice. Next checks the Origin of
 * server-action requests against the Host itself.
 */
export async function appendToSandbox(formData: FormData): Promise<void> {
  const user = await requireUser('/sandbox');
  const raw = formData.get('line');
  const line = typeof raw === 'string' ? raw.replace(/\s+/g, ' ').trim() : '';
  if (line === '' || line.length > MAX_LINE_LENGTH) redirect('/sandbox?error=invalid');

  const config = getConfig();
  const api = apiClientFor(config, user.accessToken);
  let target: string;
  try {
    const token = await api.getToken('csrf');
    const answer = await api.post({
      action: 'edit',
      title: sandboxTitle(user.username),
      appendtext: `\n* ${line}`,
      summary: 'Sandbox edit through next-mwoauth',
      token,
    });
    const edit = isRecord(answer.edit) ? answer.edit : null;
    const revid = edit !== null && typeof edit.newrevid === 'number' ? edit.newrevid : null;
    target = revid === null ? '/sandbox?error=failed' : `/sandbox?saved=${revid}`;
  } catch (error) {
    if (isRevoked(error)) {
      const h = await headers();
      const origin = config.appOrigin ?? `http://${h.get('host') ?? 'localhost'}`;
      clearLoginSession(await cookies(), secureCookiesFor(origin));
      target = '/?notice=revoked';
    } else {
      const outcome = outcomeFor(error);
      if (outcome === 'failed') console.error('[mwoauth] sandbox edit failed:', error);
      target = `/sandbox?error=${outcome}${error instanceof MWOAuthError && error.mediawikiCode !== null ? `&key=${encodeURIComponent(error.mediawikiCode)}` : ''}`;
    }
  }
  redirect(target);
}
