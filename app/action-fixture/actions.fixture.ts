'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { isMWOAuthError } from 'mwoauth';
import { requireUserForAction, secureCookiesInAction } from '@/lib/server/auth';
import { assertActionFromOurOrigin } from '@/lib/server/http/request-guard';
import { cookieWriter } from '@/lib/server/session/cookies';

// A test fixture, not part of the app: built only into the test build (next.config.mjs
// pageExtensions, NEXT_MWOAUTH_TEST_FIXTURES=1; tests/support/e2e-app.ts ensureBuilt), so the
// server-action machinery keeps tests of its own with or without the sandbox demo: the origin
// check, requireUserForAction's refresh in place, a cookie set in an action (Secure or not, as
// secureCookiesInAction says), and the page body limit. It does what an author's first action
// does: one edit as the user, then POST → 303 → GET.

/** The cookie the action sets, holding the revision it saved (tests look at its Secure flag). */
const FIXTURE_COOKIE = 'action_fixture';

/** Appends the form's `line` to User:<name>/action-fixture, as the user. */
export async function appendLine(formData: FormData): Promise<void> {
  await assertActionFromOurOrigin();
  const user = await requireUserForAction('/action-fixture');
  const line = formData.get('line');
  if (typeof line !== 'string' || line === '') redirect('/action-fixture?error=invalid');
  let answer: Record<string, unknown>;
  try {
    answer = await user.withWiki(async (api) =>
      api.post({
        action: 'edit',
        title: `User:${user.username}/action-fixture`,
        appendtext: `\n* ${line}`,
        summary: 'next-mwoauth test fixture',
        token: await api.getToken('csrf'),
      }),
    );
  } catch (error) {
    // The wiki's refusal or failure is the action's outcome (a redirect, not a 500). An ended
    // session is no MWOAuthError: withWiki's redirect (the revocation check, or home) goes through.
    if (!isMWOAuthError(error)) throw error;
    redirect(`/action-fixture?error=${encodeURIComponent(error.code)}`);
  }
  const edit = answer.edit;
  const revid =
    typeof edit === 'object' && edit !== null && 'newrevid' in edit && typeof edit.newrevid === 'number'
      ? edit.newrevid
      : null;
  if (revid === null) redirect('/action-fixture?error=failed');
  cookieWriter(await cookies(), await secureCookiesInAction()).set(FIXTURE_COOKIE, String(revid), 60);
  redirect(`/action-fixture?saved=${revid}`);
}
