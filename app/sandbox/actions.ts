'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { currentOrigin, requireUser } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { appendToSandboxPage, cleanLine } from '@/lib/server/sandbox';
import { clearLoginSession, secureCookiesFor } from '@/lib/server/session';
import { apiClientFor } from '@/lib/server/wiki';

/**
 * The sandbox form's server action. The outcome is shown through a redirect (POST → 303 → GET), so
 * reloading the page does not edit twice. Next itself refuses server-action requests whose Origin
 * is not our Host (CSRF).
 */
export async function appendToSandbox(formData: FormData): Promise<void> {
  const user = await requireUser('/sandbox');
  const line = cleanLine(formData.get('line'));
  if (line === null) redirect('/sandbox?error=invalid');
  const base = formData.get('baserevid');
  const baserevid = typeof base === 'string' && /^\d{1,12}$/.test(base) ? Number(base) : null;

  const config = getConfig();
  const result = await appendToSandboxPage(
    apiClientFor(config, user.accessToken),
    user.username,
    line,
    baserevid,
  );
  if (result.ok) redirect(`/sandbox?saved=${result.revid}`);
  if (result.revoked) {
    // Access revoked on the wiki: end the session here (a server action may set cookies).
    clearLoginSession(await cookies(), secureCookiesFor(await currentOrigin()));
    redirect('/?notice=revoked');
  }
  const key = result.mediawikiCode === null ? '' : `&key=${encodeURIComponent(result.mediawikiCode)}`;
  redirect(`/sandbox?error=${result.outcome}${key}`);
}
