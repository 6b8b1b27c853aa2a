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
 * Behind a proxy the Host is often an internal name, not our public origin, so next.config.mjs lists
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

  // A revoked or expired token does not come back as a result: withWiki sends the browser to the
  // revocation check (requireUserForAction's user), which refreshes or ends the session.
  const result = await appendToSandboxPage(user, line, baserevid);
  if (result.ok) {
    // The page says "Saved" only with this sealed proof, not for ?saved=… alone (a crafted link).
    await writeSandboxFlash(
      cookieWriter(await cookies(), await secureCookiesInAction()),
      { sub: user.sub, revid: result.revid },
      getConfig().session,
    );
    redirect(`/sandbox?saved=${result.revid}`);
  }
  const key = result.mediawikiCode === null ? '' : `&key=${encodeURIComponent(result.mediawikiCode)}`;
  redirect(`/sandbox?error=${result.outcome}${key}`);
}
