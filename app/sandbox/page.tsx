import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { unstable_rethrow } from 'next/navigation';
import type { ReactNode } from 'react';
import { requireUser } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { counted } from '@/lib/server/failures/catalogue';
import { pageTranslator, type MessageKey } from '@/lib/server/i18n';
import {
  isSandboxOutcome,
  latestRevision,
  MAX_LINE_LENGTH,
  sandboxTitle,
  savedRevision,
  type SandboxOutcome,
} from '@/lib/server/sandbox';
import { readSandboxFlash } from '@/lib/server/sandbox-flash';
import { Message } from '../_components/message';
import { rich } from '../_components/rich';
import { appendToSandbox } from './actions';

export async function generateMetadata(): Promise<Metadata> {
  const t = await pageTranslator();
  return { title: t.t('nextmwoauth-sandbox-title') };
}

/** The message of each outcome the server action redirects with (`?error=`). */
const OUTCOME_MESSAGES: Readonly<Record<SandboxOutcome, MessageKey>> = {
  invalid: 'nextmwoauth-sandbox-error-invalid',
  editconflict: 'nextmwoauth-sandbox-error-editconflict',
  blocked: 'nextmwoauth-sandbox-error-blocked',
  protectedpage: 'nextmwoauth-sandbox-error-protectedpage',
  readonly: 'nextmwoauth-sandbox-error-readonly',
  permissiondenied: 'nextmwoauth-sandbox-error-permissiondenied',
  unreachable: 'nextmwoauth-sandbox-error-unreachable',
  failed: 'nextmwoauth-sandbox-error-failed',
};

type SearchParams = Record<string, string | string[] | undefined>;

function one(params: SearchParams, name: string): string | null {
  const value = params[name];
  return typeof value === 'string' ? value : null;
}

export default async function SandboxPage({
  searchParams,
}: {
  searchParams: Promise<SearchParams>;
}): Promise<ReactNode> {
  const user = await requireUser('/sandbox');
  const config = getConfig();
  const params = await searchParams;
  const title = sandboxTitle(user.username);
  const pageUrl = `${config.wiki.indexUrl}?title=${encodeURIComponent(title)}`;

  // The revision the user is looking at, sent back with the edit so a change made meanwhile is an
  // edit conflict rather than silently built upon.
  // A session the wiki ended redirects from inside withWiki; any other failure: no base revision.
  let baserevid: number | null = null;
  try {
    baserevid = await user.withWiki((api) => latestRevision(api, title));
  } catch (error) {
    unstable_rethrow(error);
  }

  // Only known outcomes, a number and a key-shaped code are shown: the query string is untrusted.
  // "Saved" needs the flash cookie the server action sealed for this user and this revision.
  const revid = savedRevision(
    one(params, 'saved'),
    await readSandboxFlash(await cookies(), config.session),
    user.sub,
  );
  const t = await pageTranslator();
  const error = one(params, 'error');
  // Only `invalid` has a parameter (the longest line); the others ignore it.
  const errorText =
    error !== null && isSandboxOutcome(error)
      ? t.t(OUTCOME_MESSAGES[error], ...counted(t, MAX_LINE_LENGTH))
      : null;
  const key = one(params, 'key');
  const errorKey = key !== null && /^[a-z0-9-]{1,80}$/.test(key) ? key : null;

  return (
    <>
      <h1>{t.t('nextmwoauth-sandbox-title')}</h1>
      {revid === null ? null : (
        <Message type="success">
          <p>
            {rich(
              t,
              'nextmwoauth-sandbox-saved',
              <a key="rev" href={`${config.wiki.indexUrl}?oldid=${revid}`}>
                {t.t('nextmwoauth-sandbox-saved-link', revid)}
              </a>,
            )}
          </p>
        </Message>
      )}
      {errorText === null ? null : (
        <Message type="error">
          <p>
            {errorText}
            {errorKey === null ? null : (
              <>
                {' '}
                <span className="muted">
                  {rich(t, 'nextmwoauth-sandbox-error-key', <code key="key">{errorKey}</code>)}
                </span>
              </>
            )}
          </p>
        </Message>
      )}
      <p>
        {rich(
          t,
          'nextmwoauth-sandbox-intro',
          <a key="page" href={pageUrl}>
            <bdi>{title}</bdi>
          </a>,
          config.wiki.name,
        )}
      </p>
      <form action={appendToSandbox}>
        {baserevid === null ? null : <input type="hidden" name="baserevid" value={baserevid} />}
        <div className="field">
          <label htmlFor="line">{t.t('nextmwoauth-sandbox-line-label')}</label>
          <input
            id="line"
            name="line"
            type="text"
            required
            maxLength={MAX_LINE_LENGTH}
            defaultValue={t.t(
              'nextmwoauth-sandbox-default-line',
              `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
            )}
          />
        </div>
        <button type="submit" className="primary">
          {rich(t, 'nextmwoauth-sandbox-submit', <bdi key="page">{title}</bdi>)}
        </button>
      </form>
    </>
  );
}
