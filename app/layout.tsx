import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { loginPath } from '@/lib/server/safe-next';
import { getSiteState } from './_components/site';
import { LogoutButton } from './_components/logout-button';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'next-mwoauth', template: '%s — next-mwoauth' },
  description: 'Log in with your wiki account through MediaWiki OAuth.',
  robots: { index: false },
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

async function UserBox(): Promise<ReactNode> {
  const site = await getSiteState();
  if (!site.ok) return null;
  if (site.user === null) {
    return (
      <a className="button primary" href={loginPath('/profile')}>
        Log in
      </a>
    );
  }
  return (
    <>
      <span>
        <span className="muted">Logged in as</span> <strong>{site.user.username}</strong>
      </span>
      <LogoutButton />
    </>
  );
}

export default function RootLayout({ children }: { children: ReactNode }): ReactNode {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#content">
          Skip to content
        </a>
        <header className="site-header">
          <div className="wrap">
            {/* Plain links, not next/link: a full page load per click, and no prefetching of
                pages that redirect to the login route (a prefetch must not start a login). */}
            {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
            <a className="brand" href="/">
              next-mwoauth
            </a>
            <nav className="site-nav" aria-label="Main">
              <ul>
                <li>
                  <a href="/profile">Profile</a>
                </li>
                <li>
                  <a href="/sandbox">Sandbox</a>
                </li>
              </ul>
            </nav>
            <div className="user-box">
              <UserBox />
            </div>
          </div>
        </header>
        <main id="content">{children}</main>
        <footer className="site-footer">
          <div className="wrap">
            A starter for tools that log in with a wiki account through MediaWiki&apos;s{' '}
            <a href="https://www.mediawiki.org/wiki/Extension:OAuth">Extension:OAuth</a>.
          </div>
        </footer>
      </body>
    </html>
  );
}
