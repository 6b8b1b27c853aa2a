import 'server-only';
import Banana from 'banana-i18n';
import ar from '@/i18n/ar.json';
import en from '@/i18n/en.json';
import fr from '@/i18n/fr.json';
import { DEFAULT_LANGUAGE, LANGUAGES, type Direction, type LanguageCode } from './languages';

// The messages (i18n/<code>.json, translatewiki.net's banana format), rendered with banana-i18n on
// the server only: this module is `server-only`, so no message file reaches the browser's
// JavaScript (the pages render HTML; the one client component, app/error.tsx, is handed its few
// texts already rendered by the layout). A message a language lacks is shown in English.

/** Every message key: those of i18n/en.json, the source language. */
export type MessageKey = Exclude<keyof typeof en, '@metadata'>;

/** A message's parameters: `$1`, `$2`…; numbers for PLURAL, 'male' | 'female' | 'unknown' for GENDER. */
export type MessageParam = string | number;

const SOURCES: Readonly<Record<LanguageCode, Readonly<Record<string, unknown>>>> = { en, fr, ar };

/** A message file without its `@metadata`, as banana-i18n loads it. */
function messagesOf(source: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!key.startsWith('@') && typeof value === 'string') out[key] = value;
  }
  return out;
}

/** One banana-i18n per language, each holding every language (a missing message falls back). */
const bananas = new Map<LanguageCode, Banana>();

function bananaFor(lang: LanguageCode): Banana {
  let banana = bananas.get(lang);
  if (banana === undefined) {
    banana = new Banana(lang, { finalFallback: DEFAULT_LANGUAGE });
    for (const [code, source] of Object.entries(SOURCES)) banana.load(messagesOf(source), code);
    bananas.set(lang, banana);
  }
  return banana;
}

/** The messages of one language, and its ways of writing numbers and dates. */
export interface Translator {
  readonly lang: LanguageCode;
  readonly dir: Direction;
  /** The message `key` with `params` for $1, $2…, PLURAL and GENDER applied; plain text. */
  t(key: MessageKey, ...params: MessageParam[]): string;
  /** A number as the language writes it (Intl). */
  number(value: number): string;
  /** A date and time in UTC as the language writes it (Intl), with the time zone named. */
  dateTime(date: Date): string;
}

const translators = new Map<LanguageCode, Translator>();

/** At most this many rendered messages are remembered per language. */
const RENDERED_MAX = 500;

/**
 * A parameter worth remembering a rendering for: a number, or a number as a language writes it
 * (t.number: digits, separators and spaces only, no letters: nothing a user wrote).
 */
function numeric(param: MessageParam): boolean {
  return typeof param === 'number' || /^[\p{Nd}\s.,'\u066b\u066c-]{1,32}$/u.test(param);
}

/**
 * `banana.i18n` remembering what it rendered for a key without parameters or with numbers only:
 * the same text every time, and banana-i18n parses the message again on each call and builds an
 * Intl.PluralRules for each PLURAL (its getPluralForm), most of the i18n time of /profile in a CPU
 * profile (BENCHMARKS.md, "Where the memory went"). Text parameters (names, wiki text)
 * are rendered each time and never kept.
 */
function rendering(banana: Banana): (key: MessageKey, params: MessageParam[]) => string {
  const rendered = new Map<string, string>();
  return (key, params) => {
    if (!params.every(numeric)) return banana.i18n(key, ...params);
    const id = params.length === 0 ? key : `${key}|${params.join('|')}`;
    let text = rendered.get(id);
    if (text === undefined) {
      text = banana.i18n(key, ...params);
      if (rendered.size >= RENDERED_MAX) rendered.clear();
      rendered.set(id, text);
    }
    return text;
  };
}

export function translator(lang: LanguageCode): Translator {
  const known = translators.get(lang);
  if (known !== undefined) return known;
  const render = rendering(bananaFor(lang));
  const numbers = new Intl.NumberFormat(lang);
  const dates = new Intl.DateTimeFormat(lang, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone: 'UTC',
    timeZoneName: 'short',
  });
  const made: Translator = {
    lang,
    dir: LANGUAGES[lang].dir,
    t: (key, ...params) => render(key, params),
    number: (value) => numbers.format(value),
    dateTime: (date) => dates.format(date),
  };
  translators.set(lang, made);
  return made;
}

/** English: for callers that have no request (logs, tests) and the default. */
export function english(): Translator {
  return translator(DEFAULT_LANGUAGE);
}

/** The raw message texts of a language file, keys as written (for the message tests). */
export function messageSource(lang: LanguageCode): Readonly<Record<string, string>> {
  return messagesOf(SOURCES[lang]);
}
