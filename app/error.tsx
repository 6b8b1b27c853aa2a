'use client';

import type { ReactNode } from 'react';
import { useErrorTexts } from './_components/error-texts';

/**
 * What a page shows when it failed in a way nothing else handled (a bug, a wiki call the page did
 * not catch): in the app's look and the visitor's language (the words come from the layout:
 * _components/error-texts.tsx), with Next's digest as the reference that names the error in the
 * server's log. Never the error's message or stack: in production Next sends the browser neither.
 * Pages that call the wiki should show <WikiFailure> themselves; this is the last resort.
 */
export default function ErrorPage({ error }: { error: Error & { digest?: string } }): ReactNode {
  const texts = useErrorTexts();
  if (texts === null) return null;
  return (
    <>
      <h1>{texts.title}</h1>
      <div className="message message-error" role="alert">
        <p>{texts.what}</p>
      </div>
      <p>{texts.todo}</p>
      <div className="actions">
        {/* A new request: a server component's error is only retried by asking the server again. */}
        <button type="button" className="primary" onClick={() => window.location.reload()}>
          {texts.retry}
        </button>
      </div>
      {error.digest === undefined ? null : (
        <p className="muted">
          {texts.reference[0]}
          <code dir="ltr">{error.digest}</code>
          {texts.reference[1]}
        </p>
      )}
      <p>
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- a full load, as the layout's links */}
        <a href="/">{texts.home}</a>
      </p>
    </>
  );
}
