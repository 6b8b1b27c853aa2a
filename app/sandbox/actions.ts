'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { requireUserForAction, secureCookiesInAction } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { assertActionFromOurOrigin } from '@/lib/server/request-guard';
import { appendToSandboxPage, cleanLine } from '@/lib/server/sandbox';
import { writeSandboxFlash } from '@/lib/server/sandbox-flash';
import { cookieWriter } from '@/lib/server/session/cookies';

/**
 * The sandbox form's server action. The outcome is shown through a redirect (POST → 303 → GET), so
 * reloading the page does not edit twice. CSRF: Next refuses a server action whose Origin host is
 * neither the request's X-Forwarded-Host (or Host) nor listed in serverActions.allowedOrigins.
 * Behind a proxy the Host is often an internal name, not our public origin, so next.config.ts lists
 * APP_URL's host there. Next ignores the scheme: proxy.ts compares the whole Origin with ours, and so
 * does assertActionFromOurOrigin() here (lib/server/request-guard.ts).
 */
export async function appendToSandbox(formData: FormData): Promise<void> {
  await assertActionFromOurOrigin();
  const user = await requireUserForAction('/sandbox');
  const line = cleanLine(formData.get('line'));
  if (line === null) redirect('/sandbox?error=invalid');
  const base = formData.get('baserevid');
  const baserevid = typeof base === 'string' && /^\d{1,12}$/.test(base) ? Number(base) : null;

  // One client for the token and the edit: both within one MW_TIMEOUT_MS. A token the wiki refuses
  // goes to withWiki (refreshed and retried once, or the revocation check), not into the result.
  const result = await user.withWiki((api) =>
    appendToSandboxPage(() => api, user.username, line, baserevid, user.refusesToken),
  );
  if (result.ok) {
    // The page says "Saved" only with this sealed proof, not for ?saved=… alone (a crafted link).
    await writeSandboxFlash(
      cookieWriter(await cookies(), await secureCookiesInAction()),
      { sub: user.sub, revid: result.revid },
      getConfig().session,
    );
    redirect(`/sandbox?saved=${result.revid}`);
  }
  if (result.revoked) {
    // Not ended here: the revocation check asks the wiki first (why: login/oauth1.ts REVOKED_CODES).
    redirect('/api/mwoauth/revoked?next=%2Fsandbox');
  }
  const key = result.mediawikiCode === null ? '' : `&key=${encodeURIComponent(result.mediawikiCode)}`;
  redirect(`/sandbox?error=${result.outcome}${key}`);
}
