'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { requireUserForAction, secureCookiesInAction } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { isWikiNotAllowed, resolveWiki, type WikiTarget } from '@/lib/server/wiki/farm';
import { assertActionFromOurOrigin } from '@/lib/server/http/request-guard';
import { appendToSandboxPage, cleanLine } from './_lib/sandbox';
import { writeSandboxFlash } from './_lib/flash';
import { cookieWriter } from '@/lib/server/session/cookies';

/** The wiki the form chose (`wiki`: a host of the list), or null for one the app may not call. */
function chosenWiki(value: FormDataEntryValue | null): WikiTarget | null {
  try {
    return resolveWiki(getConfig(), { wiki: typeof value === 'string' ? value : null });
  } catch (error) {
    if (isWikiNotAllowed(error)) return null;
    throw error;
  }
}

/**
 * The sandbox form's server action. The outcome is shown through a redirect (POST → 303 → GET), so
 * reloading the page does not edit twice. CSRF: Next refuses a server action whose Origin host is
 * neither the request's X-Forwarded-Host (or Host) nor listed in serverActions.allowedOrigins.
 * Behind a proxy the Host is often an internal name, not our public origin, so next.config.mjs lists
 * APP_URL's host there. Next ignores the scheme: proxy.ts compares the whole Origin with ours, and so
 * does assertActionFromOurOrigin() here (lib/server/http/request-guard.ts).
 */
export async function appendToSandbox(formData: FormData): Promise<void> {
  await assertActionFromOurOrigin();
  const user = await requireUserForAction('/sandbox');
  // The login wiki, or one of MW_WIKIS: a changed form naming another is refused, nothing sent.
  const wiki = chosenWiki(formData.get('wiki'));
  if (wiki === null) redirect('/sandbox?error=unknownwiki');
  // Back to the page of the wiki edited (the login wiki's needs no ?wiki=).
  const back = wiki.home ? '/sandbox?' : `/sandbox?wiki=${encodeURIComponent(wiki.name)}&`;
  const line = cleanLine(formData.get('line'));
  if (line === null) redirect(`${back}error=invalid`);
  // The revision the page showed is that of the wiki it showed (`basewiki`), not of another.
  const base = formData.get('baserevid');
  const baserevid =
    formData.get('basewiki') === wiki.name && typeof base === 'string' && /^\d{1,12}$/.test(base)
      ? Number(base)
      : null;

  // A revoked or expired token does not come back as a result: withWiki sends the browser to the
  // revocation check (requireUserForAction's user), which refreshes or ends the session.
  const result = await appendToSandboxPage(user, line, baserevid, wiki);
  if (result.ok) {
    // The page says "Saved" only with this sealed proof, not for ?saved=… alone (a crafted link).
    await writeSandboxFlash(
      cookieWriter(await cookies(), await secureCookiesInAction()),
      { sub: user.sub, revid: result.revid, wiki: wiki.name },
      getConfig().session,
    );
    redirect(`${back}saved=${result.revid}`);
  }
  const key = result.mediawikiCode === null ? '' : `&key=${encodeURIComponent(result.mediawikiCode)}`;
  redirect(`${back}error=${result.outcome}${key}`);
}
