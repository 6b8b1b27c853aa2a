import type { ReactNode } from 'react';
import { MWOAuthError } from 'mwoauth';
import type { Failure } from '@/lib/server/failures/page';
import type { FailureTask } from '@/lib/server/failures/catalogue';
import { pageTranslator } from '@/lib/server/i18n';
import { errorForLog } from '@/lib/server/core/log';
import { loginPath } from '@/lib/server/http/safe-next';
import { describeWikiError } from '@/lib/server/failures/describe';
import { Message } from './message';
import { rich } from './rich';

type WikiFailureProps = {
  /** Where "Try again" leads: the page itself. Also where a new login comes back to. */
  readonly retry: string;
} & (
  | {
      /** What withWiki() threw (a page must first pass on Next's redirects: unstable_rethrow). */
      readonly error: unknown;
      /** What the texts say was stopped; default `page` ("this page could not load what it needs"). */
      readonly task?: FailureTask;
    }
  | { readonly failure: Failure }
);

/**
 * A failed call to the wiki as a page shows it, in the visitor's language: what happened, what to
 * do, a way to try again, MediaWiki's error key for those who search for it, and (in development
 * only) the error's message. Never a stack trace: an error that is not the wiki's is logged.
 */
export async function WikiFailure(props: WikiFailureProps): Promise<ReactNode> {
  const t = await pageTranslator();
  let described: Failure;
  if ('failure' in props) {
    described = props.failure;
  } else {
    described = describeWikiError(props.error, loginPath(props.retry), props.task ?? 'page', t);
    if (!(props.error instanceof MWOAuthError))
      console.error(`[mwoauth] page failed unexpectedly: ${errorForLog(props.error)}`);
  }
  return (
    <>
      <Message type="error">
        <p>
          <strong>{described.title}.</strong> {described.what}
        </p>
      </Message>
      <p>{described.todo}</p>
      <p>
        <a href={props.retry}>{t.t('nextmwoauth-try-again')}</a>
      </p>
      {described.mediawikiCode === null ? null : (
        <p className="muted">
          {rich(t, 'nextmwoauth-mediawiki-error-key', <code key="key">{described.mediawikiCode}</code>)}
        </p>
      )}
      {described.details === undefined || described.details === null ? null : (
        <details className="muted">
          <summary>{t.t('nextmwoauth-details-summary')}</summary>
          <pre>{described.details}</pre>
        </details>
      )}
    </>
  );
}
