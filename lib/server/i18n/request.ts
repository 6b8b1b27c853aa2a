import 'server-only';
import { cookies, headers } from 'next/headers';
import type { NextRequest } from 'next/server';
import { cache } from 'react';
import { chooseLanguage, DEFAULT_LANGUAGE, type LanguageSources } from './languages';
import { translator, type Translator } from './messages';

// Which language a request is answered in: `?uselang=xx` (remembered in USELANG_COOKIE), else the
// logged-in user's language preference on the wiki (WIKI_LANGUAGE_COOKIE), else Accept-Language,
// else English. Neither cookie needs the session: each holds a language code, nothing else.

/** Set from `?uselang=` (by proxy.ts, for pages): the visitor's own choice, for 30 days. */
export const USELANG_COOKIE = 'mwoauth_uselang';
export const USELANG_MAX_AGE_S = 30 * 24 * 60 * 60;

/**
 * The `language` option of the logged-in user's wiki preferences (meta=userinfo&uiprop=options,
 * read with the profile), set by /api/language; a browser-session cookie.
 */
export const WIKI_LANGUAGE_COOKIE = 'mwoauth_wikilang';

/** A cookie's value from a Cookie header (for callers holding Headers, not a cookie store). */
function cookieFromHeader(header: string | null, name: string): string | null {
  if (header === null) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The language of a request known by its headers and, when there is one, its `?uselang=`. */
export function translatorForHeaders(requestHeaders: Headers, uselang: string | null = null): Translator {
  const cookie = requestHeaders.get('cookie');
  const sources: LanguageSources = {
    uselang,
    uselangCookie: cookieFromHeader(cookie, USELANG_COOKIE),
    wikiLanguage: cookieFromHeader(cookie, WIKI_LANGUAGE_COOKIE),
    acceptLanguage: requestHeaders.get('accept-language'),
  };
  return translator(chooseLanguage(sources));
}

/** The language a route handler answers `request` in; English without one (a handler called directly). */
export function translatorFor(request: NextRequest | undefined): Translator {
  if (request === undefined) return translator(DEFAULT_LANGUAGE);
  return translatorForHeaders(request.headers, request.nextUrl.searchParams.get('uselang'));
}

/**
 * What a page's language was chosen from (the profile page asks whether the wiki's would change it).
 * A page has no `?uselang=` of its own (a layout has no searchParams): proxy.ts sets the language it
 * names as USELANG_COOKIE in the page's request, which outranks the wiki's language as it does.
 * Nothing here is read from a request header of ours, which a client could send itself.
 */
export const pageLanguageSources = cache(async (): Promise<LanguageSources> => {
  const [h, c] = await Promise.all([headers(), cookies()]);
  return {
    uselang: null,
    uselangCookie: c.get(USELANG_COOKIE)?.value ?? null,
    wikiLanguage: c.get(WIKI_LANGUAGE_COOKIE)?.value ?? null,
    acceptLanguage: h.get('accept-language'),
  };
});

/** The language of the page being rendered (server components and server actions), once per request. */
export const pageTranslator = cache(async (): Promise<Translator> => {
  return translator(chooseLanguage(await pageLanguageSources()));
});
