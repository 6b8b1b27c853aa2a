import 'server-only';
import Banana from 'banana-i18n';

// The languages the app is translated into, and how any language code a visitor or the wiki names
// is mapped to one of them: along MediaWiki's fallback chains, which banana-i18n carries
// (src/languages/fallbacks.json, made from the API's meta=languageinfo&liprop=fallbacks of
// en.wikipedia.org; e.g. arz → ar, de-at → de, frc → fr), then from a code to its prefix as
// MediaWiki and banana-i18n do (fr-ca → fr).

/**
 * Each language with an i18n/<code>.json: its name in itself (autonym, for the language links) and
 * its writing direction (as MediaWiki's Messages<Code>.php `$rtl`).
 */
export const LANGUAGES = {
  en: { autonym: 'English', dir: 'ltr' },
  fr: { autonym: 'Français', dir: 'ltr' },
  ar: { autonym: 'العربية', dir: 'rtl' },
} as const;

export type LanguageCode = keyof typeof LANGUAGES;
export type Direction = 'ltr' | 'rtl';

export const DEFAULT_LANGUAGE: LanguageCode = 'en';

/** The codes of LANGUAGES, in its order (the footer's language links follow it). */
export const LANGUAGE_CODES = Object.freeze(Object.keys(LANGUAGES) as LanguageCode[]);

export function isLanguageCode(value: string): value is LanguageCode {
  return Object.hasOwn(LANGUAGES, value);
}

/**
 * A MediaWiki or BCP 47 language code as written: letters, digits and hyphens, at most 35 characters
 * (e.g. `en`, `be-tarask`, `zh-Hant-TW`, `de-formal`). Anything else is ignored.
 */
const CODE = /^[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,3}$/;

/** `value` lowercased when it is shaped like a language code, else null. */
export function languageCodeOf(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const code = value.trim().toLowerCase().replace(/_/g, '-');
  return code.length <= 35 && CODE.test(code) ? code : null;
}

/** `code`, then its shorter prefixes: zh-hant-tw, zh-hant, zh. */
function withPrefixes(code: string): string[] {
  const parts = code.split('-');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('-'));
}

const resolved = new Map<string, LanguageCode | null>();

/**
 * The first of our languages on `code`'s MediaWiki fallback chain (the code itself, its prefixes,
 * then its fallbacks and theirs), or null when the chain reaches none of them (then the next source
 * of a language is asked, and English comes last).
 */
export function resolveLanguage(value: string | null | undefined): LanguageCode | null {
  const code = languageCodeOf(value);
  if (code === null) return null;
  const known = resolved.get(code);
  if (known !== undefined) return known;
  // finalFallback '' leaves English out of the chain: English is what the caller decides last.
  const chain = [code, ...new Banana(code, { finalFallback: '' }).getFallbackLocales()].filter(
    (c) => c !== '',
  );
  let found: LanguageCode | null = null;
  for (const candidate of chain.flatMap(withPrefixes)) {
    if (isLanguageCode(candidate)) {
      found = candidate;
      break;
    }
  }
  if (resolved.size < 1000) resolved.set(code, found);
  return found;
}

/**
 * The language codes of an Accept-Language header, most wanted first (q=0 dropped; at most 20
 * entries read, so a long header costs nothing).
 */
export function acceptedLanguages(header: string | null | undefined): string[] {
  if (typeof header !== 'string' || header === '') return [];
  const entries: Array<{ code: string; q: number; index: number }> = [];
  for (const [index, part] of header.split(',').slice(0, 20).entries()) {
    const [tag = '', ...params] = part.trim().split(';');
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(param);
      if (m !== null) q = Number(m[1]);
    }
    const code = languageCodeOf(tag);
    if (code !== null && q > 0) entries.push({ code, q, index });
  }
  return entries.sort((a, b) => b.q - a.q || a.index - b.index).map((e) => e.code);
}

/** Where a request's language can come from, strongest first. */
export interface LanguageSources {
  /** `?uselang=` of this request. */
  readonly uselang: string | null;
  /** The cookie an earlier `?uselang=` left (USELANG_COOKIE). */
  readonly uselangCookie: string | null;
  /** The logged-in user's language preference on the wiki, as remembered (WIKI_LANGUAGE_COOKIE). */
  readonly wikiLanguage: string | null;
  /** The browser's Accept-Language header. */
  readonly acceptLanguage: string | null;
}

/** The language to show: the first source that resolves to one of ours, else English. */
export function chooseLanguage(sources: LanguageSources): LanguageCode {
  for (const code of [sources.uselang, sources.uselangCookie, sources.wikiLanguage]) {
    const language = resolveLanguage(code);
    if (language !== null) return language;
  }
  for (const code of acceptedLanguages(sources.acceptLanguage)) {
    const language = resolveLanguage(code);
    if (language !== null) return language;
  }
  return DEFAULT_LANGUAGE;
}

/**
 * Whether the user's wiki preference `wikiLanguage` (just read from the wiki) should be remembered:
 * it is not what is remembered, and remembering it would change the language shown.
 */
export function shouldRememberWikiLanguage(sources: LanguageSources, wikiLanguage: string): boolean {
  const code = languageCodeOf(wikiLanguage);
  if (code === null || code === languageCodeOf(sources.wikiLanguage)) return false;
  return chooseLanguage({ ...sources, wikiLanguage: code }) !== chooseLanguage(sources);
}
