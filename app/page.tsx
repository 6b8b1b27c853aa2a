import type { ReactNode } from 'react';
import { isProduction } from '@/lib/server/config';
import { loginPath } from '@/lib/server/safe-next';
import { LogoutButton } from './_components/logout-button';
import { Message } from './_components/message';
import { getSiteState } from './_components/site';

/** Notices other routes send the browser here with (`/?notice=…`); anything else is ignored. */
const NOTICES: Readonly<Record<string, { type: 'notice' | 'warning'; text: string }>> = {
  revoked: {
    type: 'warning',
    text: 'Your access was revoked on the wiki, so you have been logged out. Log in again to use this app.',
  },
  loggedout: { type: 'notice', text: 'You are logged out.' },
};

export default async function HomePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}): Promise<ReactNode> {
  const site = await getSiteState();
  const noticeKey = (await searchParams).notice;
  const notice =
    typeof noticeKey === 'string' && Object.hasOwn(NOTICES, noticeKey) ? NOTICES[noticeKey] : undefined;

  if (!site.ok) {
    return (
      <>
        <h1>This app is not configured yet</h1>
        <Message type="error">
          <p>It needs a few settings before anyone can log in.</p>
        </Message>
        {isProduction() ? (
          <p>If you run this app, the server log names each missing or invalid setting.</p>
        ) : (
          <>
            <p>
              Set these in <code>.env.local</code> (see <code>.env.example</code>) and restart:
            </p>
            <ul>
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
        <p>{notice.text}</p>
      </Message>
    );

  if (user !== null) {
    return (
      <>
        {noticeBox}
        <h1>Hello, {user.username}</h1>
        <p>
          You are logged in with your account on <strong>{config.wiki.name}</strong>.
        </p>
        <ul>
          <li>
            <a href="/profile">Your profile</a>: what the wiki tells this app about you, and what this app may
            do.
          </li>
          <li>
            <a href="/sandbox">Sandbox</a>: make an edit on the wiki in your name.
          </li>
        </ul>
        <p>
          <LogoutButton />
        </p>
      </>
    );
  }

  return (
    <>
      {noticeBox}
      <h1>Log in with your wiki account</h1>
      <p>
        This app uses <strong>{config.wiki.name}</strong> to know who you are. The wiki asks you to allow it;
        your password stays with the wiki.
      </p>
      <p>
        <a className="button primary" href={loginPath('/profile')}>
          Log in with {config.wiki.name}
        </a>
      </p>
      <p className="muted">
        If you pressed Cancel on the wiki, nothing was shared with this app: you can log in again whenever you
        like.
      </p>
    </>
  );
}
