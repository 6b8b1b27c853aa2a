'use client';

import { createContext, useContext, type ReactNode } from 'react';

// app/error.tsx is a client component (Next renders it in the browser too, to recover), and the
// messages are rendered on the server only (lib/server/i18n). So the layout, a server component,
// renders the error page's words in the visitor's language once and hands them down here; the
// error page reads them. They are plain text: no message file reaches the browser's JavaScript.

export interface ErrorTexts {
  readonly title: string;
  readonly what: string;
  readonly todo: string;
  readonly retry: string;
  readonly home: string;
  /** "Reference: $1" split at $1, so the digest is put in without the message being parsed here. */
  readonly reference: readonly [before: string, after: string];
}

const ErrorTextsContext = createContext<ErrorTexts | null>(null);

export function ErrorTextsProvider({
  texts,
  children,
}: {
  texts: ErrorTexts;
  children?: ReactNode;
}): ReactNode {
  return <ErrorTextsContext value={texts}>{children}</ErrorTextsContext>;
}

/** The error page's words, or null outside the layout's provider. */
export function useErrorTexts(): ErrorTexts | null {
  return useContext(ErrorTextsContext);
}
