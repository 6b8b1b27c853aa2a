import type { ReactNode } from 'react';
import { isProduction } from '@/lib/server/config';
import { pageTranslator, type MessageKey } from '@/lib/server/i18n';
import { loginPath } from '@/lib/server/http/safe-next';
import { LogoutButton } from './_components/logout-button';
import { Message } from './_components/message';
import { NAV } from './_components/nav';
import { rich } from './_components/rich';
import { getSiteState } from './_components/site';

/** Notices other routes send the browser here with (`/?notice=…`); anything else is ignored. */
const NOTICES: Readonly<Record<string, { type: 'notice' | 'warning'; text: MessageKey }>> = {
  revoked: { type: 'warning', text: 'nextmwoauth-notice-revoked' },
  loggedout: { type: 'notice', text: 'nextmwoauth-notice-loggedout' },
  'loggedout-everywhere': { type: 'notice', text: 'nextmwoauth-notice-loggedout-everywhere' },
};

export default async function HomePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}): Promise<ReactNode> {
  const site = await getSiteState();
  const t = await pageTranslator();
  const noticeKey = (await searchParams).notice;
  const notice =
    typeof noticeKey === 'string' && Object.hasOwn(NOTICES, noticeKey) ? NOTICES[noticeKey] : undefined;

  if (!site.ok) {
    return (
      <>
        <h1>{t.t('nextmwoauth-home-unconfigured-title')}</h1>
        <Message type="error">
          <p>{t.t('nextmwoauth-home-unconfigured-text')}</p>
        </Message>
        {isProduction() ? (
          <p>{t.t('nextmwoauth-home-unconfigured-production')}</p>
        ) : (
          <>
            <p>
              {rich(
                t,
                'nextmwoauth-home-unconfigured-development',
                <code key="local">.env.local</code>,
                <code key="example">.env.example</code>,
              )}
            </p>
            {/* The problems are for developers: in English, as lib/server/config.ts writes them. */}
            <ul lang="en" dir="ltr">
              {site.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </>
        )}
      </>
    );
  }

  const { config, user } = site;
  const noticeBox =
    notice === undefined ? null : (
      <Message type={notice.type}>
        <p>{t.t(notice.text)}</p>
      </Message>
    );

  if (user !== null) {
    return (
      <>
        {noticeBox}
        <h1>{rich(t, 'nextmwoauth-home-hello', <bdi key="name">{user.username}</bdi>)}</h1>
        <p>{rich(t, 'nextmwoauth-home-logged-in', <strong key="wiki">{config.wiki.name}</strong>)}</p>
        <ul>
          {NAV.map((entry) => (
            <li key={entry.href}>
              {rich(
                t,
                entry.item,
                <a key="link" href={entry.href}>
                  {t.t(entry.link ?? entry.label)}
                </a>,
              )}
            </li>
          ))}
        </ul>
        {/* A div, not a p: a paragraph cannot hold the button's form (the browser would close the
            paragraph before it, and React's hydration would then find another tree). */}
        <div className="actions">
          <LogoutButton />
        </div>
      </>
    );
  }

  return (
    <>
      {noticeBox}
      <h1>{t.t('nextmwoauth-home-title')}</h1>
      <p>{rich(t, 'nextmwoauth-home-intro', <strong key="wiki">{config.wiki.name}</strong>)}</p>
      <p>
        <a className="button primary" href={loginPath('/profile')}>
          {t.t('nextmwoauth-home-login-button', config.wiki.name)}
        </a>
      </p>
      <p className="muted">{t.t('nextmwoauth-home-cancelled')}</p>
    </>
  );
}
