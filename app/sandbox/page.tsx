import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { requireUser } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import { Message } from '../_components/message';
import { appendToSandbox } from './actions';
import { MAX_LINE_LENGTH, SANDBOX_OUTCOMES, sandboxTitle } from './outcomes';

export const metadata: Metadata = { title: 'Sandbox' };

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

  // Only known outcomes and a number are shown: the query string is not trusted text.
  const saved = one(params, 'saved');
  const revid = saved !== null && /^\d{1,12}$/.test(saved) ? saved : null;
  const error = one(params, 'error');
  const errorText =
    error !== null && Object.hasOwn(SANDBOX_OUTCOMES, error)
      ? SANDBOX_OUTCOMES[error as keyof typeof SANDBOX_OUTCOMES]
      : null;
  const key = one(params, 'key');
  const errorKey = key !== null && /^[a-z0-9-]{1,80}$/.test(key) ? key : null;

  return (
    <>
      <h1>Sandbox</h1>
      {revid === null ? null : (
        <Message type="success">
          <p>
            Saved. <a href={`${config.wiki.indexUrl}?oldid=${revid}`}>See revision {revid} on the wiki</a>.
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
                  (MediaWiki error key: <code>{errorKey}</code>)
                </span>
              </>
            )}
          </p>
        </Message>
      )}
      <p>
        This adds a line to <a href={pageUrl}>{title}</a> on {config.wiki.name}, as you, through the
        wiki&apos;s API. The edit is tagged with this app&apos;s name on the wiki.
      </p>
      <form action={appendToSandbox}>
        <div className="field">
          <label htmlFor="line">Line to add</label>
          <input
            id="line"
            name="line"
            type="text"
            required
            maxLength={MAX_LINE_LENGTH}
            defaultValue={`Hello from next-mwoauth, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`}
          />
        </div>
        <button type="submit" className="primary">
          Append to {title}
        </button>
      </form>
    </>
  );
}
