'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { requireUser, secureCookiesInAction } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { appendToSandboxPage, cleanLine } from '@/lib/server/sandbox';
import { writeSandboxFlash } from '@/lib/server/session';
import { apiClientFor } from '@/lib/server/login/oauth1';
import { startWikiDeadline } from '@/lib/server/wiki';

/**
 * The sandbox form's server action. The outcome is shown through a redirect (POST → 303 → GET), so
 * reloading the page does not edit twice. CSRF: Next refuses a server action whose Origin host is
 * neither the request's X-Forwarded-Host (or Host) nor listed in serverActions.allowedOrigins.
 * Behind a proxy the Host is often an internal name, not our public origin, so next.config.ts lists
 * APP_URL's host there.
 */
export async function appendToSandbox(formData: FormData): Promise<void> {
  const user = await requireUser('/sandbox');
  const line = cleanLine(formData.get('line'));
  if (line === null) redirect('/sandbox?error=invalid');
  const base = formData.get('baserevid');
  const baserevid = typeof base === 'string' && /^\d{1,12}$/.test(base) ? Number(base) : null;

  const config = getConfig();
  const deadline = startWikiDeadline(config);
  const result = await appendToSandboxPage(
    () => apiClientFor(config, user.accessToken, deadline),
    user.username,
    line,
    baserevid,
  );
  if (result.ok) {
    // The page says "Saved" only with this sealed proof, not for ?saved=… alone (a crafted link).
    await writeSandboxFlash(
      await cookies(),
      { sub: user.sub, revid: result.revid },
      config.session,
      await secureCookiesInAction(),
    );
    redirect(`/sandbox?saved=${result.revid}`);
  }
  if (result.revoked) {
    // The API answers mwoauth-invalid-authorization for a revoked grant AND for a timestamp more
    // than 300 s off or a bad signature (fixtures 15, 17, 33b): ending the session here would log
    // users out whenever a clock drifts. The revocation check asks identify, which tells them apart,
    // before it ends the session (as the pages do).
    redirect('/api/mwoauth/revoked');
  }
  const key = result.mediawikiCode === null ? '' : `&key=${encodeURIComponent(result.mediawikiCode)}`;
  redirect(`/sandbox?error=${result.outcome}${key}`);
}
