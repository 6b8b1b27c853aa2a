import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { getApp } from '@/lib/server/wiring/app';
import { requireUser } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { counted, failure } from '@/lib/server/failures/catalogue';
import {
  pageLanguageSources,
  pageTranslator,
  shouldRememberWikiLanguage,
  type Translator,
} from '@/lib/server/i18n';
import { allowedWikis, homeWiki } from '@/lib/server/wiki/farm';
import { loadProfile, loadWikiAccounts } from '@/app/profile/_lib/profile';
import { LogoutButton } from '../_components/logout-button';
import { Message } from '../_components/message';
import { WikiFailure } from '../_components/wiki-failure';
import { rich } from '../_components/rich';
import { WikiAccounts } from './wiki-accounts';

export async function generateMetadata(): Promise<Metadata> {
  const t = await pageTranslator();
  return { title: t.t('nextmwoauth-profile-title') };
}

/** MediaWiki's YYYYMMDDHHMMSS (identify's `registered`) as a readable UTC date. */
function formatMediaWikiTimestamp(t: Translator, value: string | null): string | null {
  const m = value === null ? null : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s] = m;
  return formatIso(t, `${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

function formatIso(t: Translator, value: string | null): string | null {
  if (value === null) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  return t.dateTime(date);
}

function Chips({ items, empty }: { items: readonly string[]; empty: string }): ReactNode {
  if (items.length === 0) return <span className="muted">{empty}</span>;
  // Group, grant and right names are MediaWiki's identifiers: Latin, left to right.
  return (
    <ul className="chips">
      {items.map((item) => (
        <li key={item} dir="ltr">
          {item}
        </li>
      ))}
    </ul>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }): ReactNode {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export default async function ProfilePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}): Promise<ReactNode> {
  const user = await requireUser('/profile');
  const config = getConfig();
  // The login wiki and every wiki of MW_WIKIS asked at once: about one round trip, however many.
  const [profile, accounts] = await Promise.all([
    loadProfile(user),
    loadWikiAccounts(
      user,
      allowedWikis(config).filter((w) => !w.home),
    ),
  ]);
  // A revoked token: the session must end, which only a route handler can do (it clears the cookie).
  if (profile.kind === 'revoked') redirect('/api/mwoauth/revoked');
  const t = await pageTranslator();

  if (profile.kind !== 'ok') {
    return (
      <>
        <h1>{t.t('nextmwoauth-profile-title')}</h1>
        {profile.kind === 'error' ? (
          <WikiFailure error={profile.error} task="profile" retry="/profile" />
        ) : (
          <WikiFailure failure={failure('suppressed_profile', t)} retry="/profile" />
        )}
      </>
    );
  }
  const { identity, info } = profile;

  // The user's wiki language preference becomes the app's when no ?uselang= says otherwise. A page
  // cannot set cookies: /api/language remembers it and sends the browser back here, once
  // (`langset` stops a loop in a browser that refuses cookies).
  if (
    info !== null &&
    info.language !== null &&
    (await searchParams).langset === undefined &&
    shouldRememberWikiLanguage(await pageLanguageSources(), info.language)
  ) {
    redirect(`/api/language?wiki=${encodeURIComponent(info.language)}&next=/profile`);
  }

  const manageGrants = `${config.wiki.indexUrl}?title=Special:OAuthManageMyGrants`;
  const registered =
    formatMediaWikiTimestamp(t, identity.registered) ?? formatIso(t, info?.registrationdate ?? null);
  const blocked = identity.blocked || (info !== null && info.block !== null);
  const editcount = info?.editcount ?? identity.editcount;
  const yes = t.t('nextmwoauth-yes');
  const no = t.t('nextmwoauth-no');
  const none = t.t('nextmwoauth-profile-none');

  return (
    <>
      <h1>
        <bdi>{identity.username}</bdi>
      </h1>
      {blocked ? (
        <Message type="warning">
          <p>
            {t.t('nextmwoauth-profile-blocked', config.wiki.name)}
            {info?.block?.reason ? (
              <> {rich(t, 'nextmwoauth-profile-block-reason', <bdi key="reason">{info.block.reason}</bdi>)}</>
            ) : null}
          </p>
        </Message>
      ) : null}
      <p>
        {rich(
          t,
          'nextmwoauth-profile-intro',
          <strong key="wiki">{config.wiki.name}</strong>,
          info?.gender ?? 'unknown',
        )}
      </p>
      <dl className="facts">
        <Fact term={t.t('nextmwoauth-profile-username')}>
          <bdi>{identity.username}</bdi>
        </Fact>
        <Fact term={t.t('nextmwoauth-profile-groups')}>
          <Chips items={identity.groups.filter((g) => g !== '*')} empty={none} />
        </Fact>
        <Fact term={t.t('nextmwoauth-profile-grants')}>
          <Chips items={identity.grants} empty={none} />
        </Fact>
        <Fact term={t.t('nextmwoauth-profile-rights')}>
          <Chips items={info?.rights ?? []} empty={none} />
        </Fact>
        <Fact term={t.t('nextmwoauth-profile-editcount')}>
          {t.t('nextmwoauth-profile-editcount-value', ...counted(t, editcount))}
        </Fact>
        <Fact term={t.t('nextmwoauth-profile-registered')}>
          {registered ?? t.t('nextmwoauth-profile-registered-unknown')}
        </Fact>
        {info === null || info.language === null ? null : (
          <Fact term={t.t('nextmwoauth-profile-language')}>
            <code>{info.language}</code>
          </Fact>
        )}
        <Fact term={t.t('nextmwoauth-profile-email-confirmed')}>{identity.confirmed_email ? yes : no}</Fact>
        <Fact term={t.t('nextmwoauth-profile-blocked-term')}>
          {blocked
            ? info?.block?.expiry
              ? t.t('nextmwoauth-profile-block-expiry', info.block.expiry)
              : yes
            : no}
        </Fact>
      </dl>
      <WikiAccounts t={t} accounts={accounts} home={homeWiki(config)} />
      <h2>{t.t('nextmwoauth-profile-sessions-heading')}</h2>
      {/* Only a store on a server can find and end the user's other sessions (store.endAll). */}
      {getApp().store.canEndAll ? (
        <>
          <p>{t.t('nextmwoauth-profile-sessions-everywhere')}</p>
          <div className="actions">
            <LogoutButton everywhere next="/?notice=loggedout-everywhere" />
          </div>
        </>
      ) : (
        <p className="muted">{t.t('nextmwoauth-profile-sessions-cookie')}</p>
      )}
      <h2>{t.t('nextmwoauth-profile-access-heading')}</h2>
      <p>
        {rich(
          t,
          'nextmwoauth-profile-access',
          <a key="grants" href={manageGrants} dir="ltr">
            Special:OAuthManageMyGrants
          </a>,
        )}
      </p>
    </>
  );
}
