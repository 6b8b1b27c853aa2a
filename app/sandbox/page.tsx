import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { unstable_rethrow } from 'next/navigation';
import type { ReactNode } from 'react';
import { requireUser } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { counted } from '@/lib/server/failures/catalogue';
import {
  allowedWikis,
  homeWiki,
  isWikiNotAllowed,
  resolveWiki,
  type WikiTarget,
} from '@/lib/server/wiki/farm';
import type { AppConfig } from '@/lib/server/config';
import { MWOAuthError } from 'mwoauth';
import { describeWikiError } from '@/lib/server/failures/describe';
import { pageTranslator, type MessageKey } from '@/lib/server/i18n';
import {
  isSandboxOutcome,
  latestRevision,
  MAX_LINE_LENGTH,
  sandboxTitle,
  savedRevision,
  type SandboxOutcome,
} from './_lib/sandbox';
import { readSandboxFlash } from './_lib/flash';
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
  unknownwiki: 'nextmwoauth-sandbox-error-unknownwiki',
  // These two are the failures another wiki of the farm gives (lib/server/wiki/farm.ts): the page shows
  // the catalogue's texts for them, which name the wiki and the way forward.
  wrongwiki: 'nextmwoauth-failure-wrong-wiki-title',
  nolocalaccount: 'nextmwoauth-failure-no-local-account-title',
};

/** The refusals of another wiki of the farm, as the MediaWiki code the catalogue describes. */
const FARM_OUTCOMES: Partial<Readonly<Record<SandboxOutcome, string>>> = {
  wrongwiki: 'mwoauth-invalid-authorization-wrong-wiki',
  nolocalaccount: 'mwoauth-invalid-authorization-invalid-user',
};

/** The wiki the page is for (`?wiki=`, a host of the list): the login wiki when absent or unknown. */
function pageWiki(config: AppConfig, wiki: string | null): WikiTarget {
  try {
    return resolveWiki(config, { wiki });
  } catch (error) {
    if (isWikiNotAllowed(error)) return homeWiki(config);
    throw error;
  }
}

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
  const wiki = pageWiki(config, one(params, 'wiki'));
  const wikis = allowedWikis(config);
  const title = sandboxTitle(user.username);
  const pageUrl = `${wiki.indexUrl}?title=${encodeURIComponent(title)}`;

  // The revision the user is looking at, sent back with the edit so a change made meanwhile is an
  // edit conflict rather than silently built upon.
  // A session the wiki ended redirects from inside withWiki; any other failure: no base revision.
  let baserevid: number | null = null;
  try {
    baserevid = await user.withWiki((api) => latestRevision(api, title), { wiki: wiki.apiUrl });
  } catch (error) {
    unstable_rethrow(error);
  }

  // Only known outcomes, a number and a key-shaped code are shown: the query string is untrusted.
  // "Saved" needs the flash cookie the server action sealed for this user and this revision.
  const revid = savedRevision(
    one(params, 'saved'),
    await readSandboxFlash(await cookies(), config.session),
    user.sub,
    wiki.name,
  );
  const t = await pageTranslator();
  const error = one(params, 'error');
  // Only `invalid` has a parameter (the longest line); the others ignore it.
  const outcome = error !== null && isSandboxOutcome(error) ? error : null;
  const farmCode = outcome === null ? undefined : FARM_OUTCOMES[outcome];
  const farmFailure =
    farmCode === undefined
      ? null
      : describeWikiError(
          new MWOAuthError('mediawiki', farmCode, { mediawikiCode: farmCode }),
          undefined,
          undefined,
          t,
          {
            wiki,
            home: homeWiki(config),
          },
        );
  const errorText =
    outcome === null
      ? null
      : farmFailure === null
        ? t.t(OUTCOME_MESSAGES[outcome], ...counted(t, MAX_LINE_LENGTH))
        : `${farmFailure.title}. ${farmFailure.what} ${farmFailure.todo}`;
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
              <a key="rev" href={`${wiki.indexUrl}?oldid=${revid}`}>
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
            {farmFailure?.action ? (
              <>
                {' '}
                <a href={farmFailure.action.href}>{farmFailure.action.label}</a>
              </>
            ) : null}
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
          wiki.name,
        )}
      </p>
      <form action={appendToSandbox}>
        {baserevid === null ? null : <input type="hidden" name="baserevid" value={baserevid} />}
        <input type="hidden" name="basewiki" value={wiki.name} />
        <div className="field">
          <label htmlFor="wiki">{t.t('nextmwoauth-sandbox-wiki-label')}</label>
          {/* The login wiki and MW_WIKIS: the same login edits on each (lib/server/wiki/farm.ts). */}
          <select id="wiki" name="wiki" defaultValue={wiki.name} dir="ltr">
            {wikis.map((w) => (
              <option key={w.apiUrl} value={w.name}>
                {w.name}
              </option>
            ))}
          </select>
        </div>
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
          {/* One span: a button is inline-flex (globals.css), whose text runs beside an element
              become flex items of their own and lose the space at their edge ("Append toUser:…"). */}
          <span>{rich(t, 'nextmwoauth-sandbox-submit', <bdi key="page">{title}</bdi>)}</span>
        </button>
      </form>
    </>
  );
}
