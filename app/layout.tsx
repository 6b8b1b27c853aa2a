import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { LANGUAGE_CODES, LANGUAGES, pageTranslator } from '@/lib/server/i18n';
import { loginPath } from '@/lib/server/http/safe-next';
import { ErrorTextsProvider } from './_components/error-texts';
import { errorTextsFor } from './_components/error-texts-for';
import { getSiteState } from './_components/site';
import { LogoutButton } from './_components/logout-button';
import { NAV } from './_components/nav';
import { rich } from './_components/rich';
import './globals.css';

export async function generateMetadata(): Promise<Metadata> {
  const t = await pageTranslator();
  return {
    title: { default: t.t('nextmwoauth-app-name'), template: t.t('nextmwoauth-page-title', '%s') },
    description: t.t('nextmwoauth-meta-description'),
    robots: { index: false },
  };
}

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

async function UserBox(): Promise<ReactNode> {
  const site = await getSiteState();
  const t = await pageTranslator();
  if (!site.ok) return null;
  if (site.user === null) {
    return (
      <a className="button primary" href={loginPath('/profile')}>
        {t.t('nextmwoauth-login')}
      </a>
    );
  }
  // A user name (like the wiki's other text) may be right-to-left or hold bidirectional controls
  // (U+202E, an unclosed U+2067); <bdi> keeps it from reordering the message around it (HTML's
  // bidi isolation). Every page shows user names so.
  return (
    <>
      <span className="muted">
        {rich(
          t,
          'nextmwoauth-logged-in-as',
          <strong key="name">
            <bdi>{site.user.username}</bdi>
          </strong>,
        )}
      </span>
      <LogoutButton />
    </>
  );
}

/** Links that show the app in each language (`?uselang=`, remembered in a cookie by proxy.ts). */
function LanguageLinks({ current, label }: { current: string; label: string }): ReactNode {
  return (
    <nav className="languages" aria-label={label}>
      <ul>
        {LANGUAGE_CODES.map((code) => (
          <li key={code}>
            <a
              href={`?uselang=${code}`}
              lang={code}
              hrefLang={code}
              dir={LANGUAGES[code].dir}
              aria-current={code === current ? 'true' : undefined}
            >
              {LANGUAGES[code].autonym}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export default async function RootLayout({ children }: { children: ReactNode }): Promise<ReactNode> {
  const t = await pageTranslator();
  return (
    <html lang={t.lang} dir={t.dir}>
      <body>
        <a className="skip-link" href="#content">
          {t.t('nextmwoauth-skip-to-content')}
        </a>
        <header className="site-header">
          <div className="wrap">
            {/* Plain links, not next/link: a full page load per click, and no prefetching of
                pages that redirect to the login route (a prefetch must not start a login). */}
            {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
            <a className="brand" href="/">
              {t.t('nextmwoauth-app-name')}
            </a>
            <nav className="site-nav" aria-label={t.t('nextmwoauth-nav-label')}>
              <ul>
                {NAV.map((entry) => (
                  <li key={entry.href}>
                    <a href={entry.href}>{t.t(entry.label)}</a>
                  </li>
                ))}
              </ul>
            </nav>
            <div className="user-box">
              <UserBox />
            </div>
          </div>
        </header>
        <main id="content">
          <ErrorTextsProvider texts={errorTextsFor(t)}>{children}</ErrorTextsProvider>
        </main>
        <footer className="site-footer">
          <div className="wrap">
            <p>
              {rich(
                t,
                'nextmwoauth-footer',
                <a key="ext" href="https://www.mediawiki.org/wiki/Extension:OAuth" lang="en" dir="ltr">
                  Extension:OAuth
                </a>,
              )}
            </p>
            <LanguageLinks current={t.lang} label={t.t('nextmwoauth-language-label')} />
          </div>
        </footer>
      </body>
    </html>
  );
}
