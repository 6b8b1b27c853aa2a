import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { unstable_rethrow } from 'next/navigation';
import type { ReactNode } from 'react';
import { requireUser } from '@/lib/server/auth';
import { getConfig } from '@/lib/server/config';
import {
  isSandboxOutcome,
  latestRevision,
  MAX_LINE_LENGTH,
  SANDBOX_OUTCOMES,
  sandboxTitle,
  savedRevision,
} from '@/lib/server/sandbox';
import { readSandboxFlash } from '@/lib/server/sandbox-flash';
import { Message } from '../_components/message';
import { appendToSandbox } from './actions';

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
  const error = one(params, 'error');
  const errorText = error !== null && isSandboxOutcome(error) ? SANDBOX_OUTCOMES[error] : null;
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
        wiki&apos;s API. The wiki tags the edit with this app&apos;s name.
      </p>
      <form action={appendToSandbox}>
        {baserevid === null ? null : <input type="hidden" name="baserevid" value={baserevid} />}
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
