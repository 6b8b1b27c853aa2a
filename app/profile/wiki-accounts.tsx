import type { ReactNode } from 'react';
import { MWOAuthError } from 'mwoauth';
import { counted } from '@/lib/server/failures/catalogue';
import type { WikiTarget } from '@/lib/server/wiki/farm';
import type { Translator } from '@/lib/server/i18n';
import type { WikiAccount } from '@/app/profile/_lib/profile';
import { loginPath } from '@/lib/server/http/safe-next';
import { describeWikiError } from '@/lib/server/failures/describe';
import { rich } from '../_components/rich';

/** One wiki's failure, compact: what happened, what to do, the way forward and MediaWiki's key. */
function AccountFailure({
  t,
  account,
  home,
}: {
  t: Translator;
  account: Extract<WikiAccount, { kind: 'error' }>;
  home: WikiTarget;
}): ReactNode {
  if (!(account.error instanceof MWOAuthError)) {
    console.error(`[mwoauth] profile: ${account.wiki.name} failed:`, account.error);
  }
  const failed = describeWikiError(account.error, loginPath('/profile'), 'profile', t, {
    wiki: account.wiki,
    home,
  });
  return (
    <div className="message message-warning">
      <p>
        <strong>{failed.title}.</strong> {failed.what}
      </p>
      <p>{failed.todo}</p>
      {failed.action === null ? null : (
        <p>
          <a href={failed.action.href}>{failed.action.label}</a>
        </p>
      )}
      {failed.mediawikiCode === null ? null : (
        <p className="muted">
          {rich(t, 'nextmwoauth-mediawiki-error-key', <code key="key">{failed.mediawikiCode}</code>)}
        </p>
      )}
    </div>
  );
}

/**
 * /profile's "Your accounts on other wikis": each wiki of MW_WIKIS with what it says of the user
 * (name, edit count, groups), or why it could not say (app/profile/_lib/profile.ts loadWikiAccounts).
 */
export function WikiAccounts({
  t,
  accounts,
  home,
}: {
  t: Translator;
  accounts: readonly WikiAccount[];
  home: WikiTarget;
}): ReactNode {
  if (accounts.length === 0) return null;
  return (
    <section aria-labelledby="wikis-heading">
      <h2 id="wikis-heading">{t.t('nextmwoauth-profile-wikis-heading')}</h2>
      <p>{t.t('nextmwoauth-profile-wikis-intro')}</p>
      <ul className="wikis">
        {accounts.map((account) => (
          <li key={account.wiki.apiUrl} data-wiki={account.wiki.name}>
            {account.kind === 'ok' ? (
              <>
                <p>
                  {rich(
                    t,
                    'nextmwoauth-profile-wikis-account',
                    <a
                      key="user"
                      href={`${account.wiki.indexUrl}?title=${encodeURIComponent(`User:${account.name}`)}`}
                    >
                      {/* A wiki's user name may hold bidi controls: isolated (app/layout.tsx). */}
                      <bdi>{account.name}</bdi>
                    </a>,
                    <strong key="wiki" dir="ltr">
                      {account.wiki.name}
                    </strong>,
                  )}
                </p>
                <p className="muted">
                  {account.editcount === null
                    ? null
                    : t.t('nextmwoauth-profile-wikis-editcount', ...counted(t, account.editcount))}
                  {account.editcount === null || account.groups.length === 0 ? null : ' · '}
                  {account.groups.length === 0
                    ? null
                    : t.t('nextmwoauth-profile-wikis-groups', account.groups.join(', '))}
                </p>
              </>
            ) : (
              <>
                <p>
                  <strong dir="ltr">{account.wiki.name}</strong>
                </p>
                <AccountFailure t={t} account={account} home={home} />
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
