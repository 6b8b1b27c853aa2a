import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { MWOAuthError } from '@/lib/mwoauth';
import { requireUser } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { loadProfile } from '@/lib/server/profile';
import { describeWikiError } from '@/lib/server/wiki';
import { Message } from '../_components/message';

export const metadata: Metadata = { title: 'Your profile' };

/** MediaWiki's YYYYMMDDHHMMSS (identify's `registered`) as a readable UTC date. */
function formatMediaWikiTimestamp(value: string | null): string | null {
  const m = value === null ? null : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s] = m;
  return formatIso(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

function formatIso(value: string | null): string | null {
  if (value === null) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  return date.toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
}

function Chips({ items, empty }: { items: readonly string[]; empty: string }): ReactNode {
  if (items.length === 0) return <span className="muted">{empty}</span>;
  return (
    <ul className="chips">
      {items.map((item) => (
        <li key={item}>{item}</li>
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

export default async function ProfilePage(): Promise<ReactNode> {
  const user = await requireUser('/profile');
  const config = getConfig();
  const profile = await loadProfile(user);
  // A revoked token: the session must end, which only a route handler can do (it clears the cookie).
  if (profile.kind === 'revoked') redirect('/api/mwoauth/revoked');

  if (profile.kind !== 'ok') {
    const described =
      profile.kind === 'error'
        ? describeWikiError(profile.error, undefined, 'profile')
        : {
            title: 'The wiki does not share this account’s details',
            what: 'This account is hidden on the wiki.',
            todo: 'Log in with another account.',
            mediawikiCode: null,
            details: null,
          };
    if (profile.kind === 'error' && !(profile.error instanceof MWOAuthError)) {
      console.error('[mwoauth] profile failed:', profile.error);
    }
    return (
      <>
        <h1>Your profile</h1>
        <Message type="error">
          <p>
            <strong>{described.title}.</strong> {described.what}
          </p>
        </Message>
        <p>{described.todo}</p>
        <p>
          <a href="/profile">Try again</a>
        </p>
        {described.mediawikiCode === null ? null : (
          <p className="muted">
            MediaWiki error key: <code>{described.mediawikiCode}</code>
          </p>
        )}
        {described.details === undefined || described.details === null ? null : (
          <details className="muted">
            <summary>Details (shown in development only)</summary>
            <pre>{described.details}</pre>
          </details>
        )}
      </>
    );
  }
  const { identity, info } = profile;

  const manageGrants = `${config.wiki.indexUrl}?title=Special:OAuthManageMyGrants`;
  const registered =
    formatMediaWikiTimestamp(identity.registered) ?? formatIso(info?.registrationdate ?? null);
  const blocked = identity.blocked || (info !== null && info.block !== null);

  return (
    <>
      <h1>{identity.username}</h1>
      {blocked ? (
        <Message type="warning">
          <p>
            Your account is blocked on {config.wiki.name}, so this app cannot edit for you.
            {info?.block?.reason ? ` Reason given: ${info.block.reason}` : ''}
          </p>
        </Message>
      ) : null}
      <p>
        What <strong>{config.wiki.name}</strong> tells this app about you, asked just now.
      </p>
      <dl className="facts">
        <Fact term="Username">{identity.username}</Fact>
        <Fact term="Groups">
          <Chips items={identity.groups.filter((g) => g !== '*')} empty="none" />
        </Fact>
        <Fact term="Grants to this app">
          <Chips items={identity.grants} empty="none" />
        </Fact>
        <Fact term="Rights this app may use">
          <Chips items={info?.rights ?? []} empty="none" />
        </Fact>
        <Fact term="Edit count">{(info?.editcount ?? identity.editcount).toLocaleString('en')}</Fact>
        <Fact term="Registered">{registered ?? 'unknown (an old account)'}</Fact>
        <Fact term="E-mail confirmed">{identity.confirmed_email ? 'yes' : 'no'}</Fact>
        <Fact term="Blocked">
          {blocked ? `yes${info?.block?.expiry ? ` (expires: ${info.block.expiry})` : ''}` : 'no'}
        </Fact>
      </dl>
      <h2>Your access</h2>
      <p>
        You can see and revoke what this app may do on <a href={manageGrants}>Special:OAuthManageMyGrants</a>{' '}
        on the wiki. After revoking, this app logs you out the next time it asks the wiki.
      </p>
    </>
  );
}
