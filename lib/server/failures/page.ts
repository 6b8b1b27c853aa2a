import 'server-only';
import { NextResponse } from 'next/server';
import { translator, type Direction, type LanguageCode } from '../i18n';

// The page a route handler answers with when a login step fails. Route handlers return a Response,
// not React, so this is a small HTML document built here, every inserted text escaped. It says what
// happened and what to do, shows MediaWiki's error key for those who search for it, and never a
// stack trace or a secret (callers pass only the texts below; an error's message only as `details`,
// which describeWikiError sets outside production alone).

export interface Failure {
  /** 400 bad callback, 403 blocked, 502 the wiki said no, 504 the wiki timed out, 500 ours. */
  readonly status: number;
  /** Short: "The wiki did not answer in time". */
  readonly title: string;
  /** What happened, in a sentence or two. */
  readonly what: string;
  /** What to do about it. */
  readonly todo: string;
  /** The main way forward, e.g. log in again. */
  readonly action: { readonly href: string; readonly label: string } | null;
  /** MediaWiki's message key or API error code, e.g. `mwoauth-callback-not-oob`. */
  readonly mediawikiCode: string | null;
  /**
   * For developers only (never set in production): the error's own message, shown folded. Omitted
   * or null: none.
   */
  readonly details?: string | null;
  /** The language the texts are in (lib/server/failures/catalogue.ts); absent: English. */
  readonly lang?: LanguageCode;
  readonly dir?: Direction;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

// The same look as app/globals.css, inlined: this page is not rendered by Next, so it cannot
// link the hashed stylesheet. Values are Codex design tokens (WikimediaUI theme).
const STYLE = `
body{margin:0;font-family:-apple-system,'BlinkMacSystemFont','Segoe UI','Roboto','Lato','Helvetica','Arial',sans-serif;color:#202122;background:#fff;line-height:1.6}
header{border-bottom:1px solid #c8ccd1;background:#f8f9fa}
header div{max-width:40rem;margin:0 auto;padding:.75rem 1rem}
header a{color:#202122;font-weight:bold;text-decoration:none}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-family:'Linux Libertine','Georgia','Times',serif;font-weight:normal;font-size:1.8rem;line-height:1.25;margin:0 0 1rem}
.box{border:1px solid #d33;background:#fee7e6;border-radius:2px;padding:.75rem 1rem;margin:0 0 1rem}
.box p{margin:0}
a{color:#36c}
a.button{display:inline-block;background:#36c;color:#fff;border-radius:2px;padding:.5rem .75rem;font-weight:bold;text-decoration:none;min-height:2rem;box-sizing:border-box}
a.button:hover{background:#447ff5}
a.button:focus-visible{outline:2px solid #36c;outline-offset:2px}
code{background:#eaecf0;padding:0 .25rem;border-radius:2px}
.key{color:#54595d;font-size:.875rem}
details{margin:1rem 0;color:#54595d;font-size:.875rem}
details pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f9fa;border:1px solid #c8ccd1;padding:.5rem}
`;

/** The failure page as an HTML document. */
export function renderFailurePage(failure: Failure): string {
  const t = translator(failure.lang ?? 'en');
  const action =
    failure.action === null
      ? ''
      : `<p><a class="button" href="${escapeHtml(failure.action.href)}">${escapeHtml(failure.action.label)}</a></p>`;
  const key =
    failure.mediawikiCode === null
      ? ''
      : `<p class="key">${escapeHtml(t.t('nextmwoauth-mediawiki-error-key', '\u0000'))
          .split('\u0000')
          .join(`<code>${escapeHtml(failure.mediawikiCode)}</code>`)}</p>`;
  const details =
    failure.details === undefined || failure.details === null
      ? ''
      : `<details><summary>${escapeHtml(t.t('nextmwoauth-details-summary'))}</summary><pre>${escapeHtml(failure.details)}</pre></details>`;
  return `<!DOCTYPE html>
<html lang="${t.lang}" dir="${t.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/icon.svg" type="image/svg+xml">
<title>${escapeHtml(t.t('nextmwoauth-page-title', failure.title))}</title>
<style>${STYLE}</style>
</head>
<body>
<header><div><a href="/">${escapeHtml(t.t('nextmwoauth-app-name'))}</a></div></header>
<main>
<h1>${escapeHtml(failure.title)}</h1>
<div class="box" role="alert"><p>${escapeHtml(failure.what)}</p></div>
<p>${escapeHtml(failure.todo)}</p>
${action}
<p><a href="/">${escapeHtml(t.t('nextmwoauth-home-link'))}</a></p>
${key}
${details}
</main>
</body>
</html>
`;
}

/** The failure page as a response (cookies can still be set on it): never cached, never indexed. */
export function failureResponse(failure: Failure): NextResponse {
  return new NextResponse(renderFailurePage(failure), {
    status: failure.status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Robots-Tag': 'noindex',
    },
  });
}
