import 'server-only';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Banana from 'banana-i18n';
import type en from '@/i18n/en.json';
import { DEFAULT_LANGUAGE, LANGUAGE_CODES, LANGUAGES, type Direction, type LanguageCode } from './languages';

// The messages (i18n/<code>.json, translatewiki.net's banana format), rendered with banana-i18n on
// the server only: this module is `server-only`, so no message file reaches the browser's
// JavaScript (the pages render HTML; the one client component, app/error.tsx, is handed its few
// texts already rendered by the layout). A message a language lacks is shown in English.
//
// The files are read from disk once per process, not bundled: Next bundles this module into
// proxy.ts's chunk, the pages' and each route handler's, and bundled, the three files were a copy in
// each (seven copies, 13 instantiations in one process; Arabic made every such chunk's source
// a two-byte string: BENCHMARKS.md "Fifth pass").

/** Every message key: those of i18n/en.json, the source language. */
export type MessageKey = Exclude<keyof typeof en, '@metadata'>;

/** A message's parameters: `$1`, `$2`…; numbers for PLURAL, 'male' | 'female' | 'unknown' for GENDER. */
export type MessageParam = string | number;

/** The messages of every language, as read from i18n/<code>.json (without `@metadata`). */
type Messages = Readonly<Record<LanguageCode, Readonly<Record<string, string>>>>;

interface Loaded {
  readonly messages: Messages;
  /** Their directory and, outside production, the files' modification times when read. */
  readonly stamp: string;
}

/** The message files' directory: i18n/ in the app's directory, where next start, next dev and a standalone server.js run. */
export function messagesDir(): string {
  return join(process.cwd(), 'i18n');
}

const LOADED_KEY = Symbol.for('next-mwoauth.i18n-messages');

/** A message file that is missing, unreadable or not a JSON object: its message names the file and the fix. */
export class MessageFileError extends Error {
  override readonly name = 'MessageFileError';
}

/** A message file without its `@metadata`, as banana-i18n loads it; throws naming the file and the fix. */
function readMessages(code: LanguageCode): Record<string, string> {
  const file = join(messagesDir(), `${code}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const why = error instanceof Error && 'code' in error ? ` (${String(error.code)})` : '';
    throw new MessageFileError(
      `The message file ${file} cannot be read${why}. Start the server from the app's directory, with its i18n/ folder beside it (a standalone build copies it).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MessageFileError(
      `The message file ${file} is not valid JSON (${error instanceof Error ? error.message : 'unparsable'}): correct it, or restore it from git.`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MessageFileError(`The message file ${file} is not a JSON object of messages ("key": "text").`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!key.startsWith('@') && typeof value === 'string') out[key] = value;
  }
  return out;
}

/**
 * Every language's messages, read once per process (kept on globalThis: proxy.ts, the pages and the
 * route handlers are separate bundles, each with its own copy of this module). Outside production
 * they are read again when a file changes, so an edit shows at the next request of `next dev`.
 */
function loadMessages(): Loaded {
  const dir = messagesDir();
  const stamp =
    process.env.NODE_ENV === 'production'
      ? dir
      : [
          dir,
          ...LANGUAGE_CODES.map(
            (code) => statSync(join(dir, `${code}.json`), { throwIfNoEntry: false })?.mtimeMs,
          ),
        ].join();
  const cached: unknown = Reflect.get(globalThis, LOADED_KEY);
  if (typeof cached === 'object' && cached !== null && Reflect.get(cached, 'stamp') === stamp)
    return cached as Loaded;
  const messages = Object.fromEntries(LANGUAGE_CODES.map((code) => [code, readMessages(code)])) as Messages;
  const loaded: Loaded = { messages, stamp };
  Object.defineProperty(globalThis, LOADED_KEY, {
    value: loaded,
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return loaded;
}

/** Reads the message files now: throws, naming the file and the fix, when one is missing or not JSON (wiring/startup.ts). */
export function checkMessages(): void {
  loadMessages();
}

/** What bananaFor and translator() made from one load of the files (made again when they change). */
let current: {
  readonly loaded: Loaded;
  readonly bananas: Map<LanguageCode, Banana>;
  readonly translators: Map<LanguageCode, Translator>;
} | null = null;

function ofCurrentFiles(): NonNullable<typeof current> {
  const loaded = loadMessages();
  if (current === null || current.loaded !== loaded)
    current = { loaded, bananas: new Map(), translators: new Map() };
  return current;
}

/** One banana-i18n per language, each holding every language (a missing message falls back). */
function bananaFor(lang: LanguageCode): Banana {
  const { loaded, bananas } = ofCurrentFiles();
  let banana = bananas.get(lang);
  if (banana === undefined) {
    banana = new Banana(lang, { finalFallback: DEFAULT_LANGUAGE });
    for (const code of LANGUAGE_CODES) banana.load({ ...loaded.messages[code] }, code);
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
  const { translators } = ofCurrentFiles();
  const known = translators.get(lang);
  if (known !== undefined) return known;
  const render = rendering(bananaFor(lang));
  // Made at first use: the process's first Intl object makes V8 and ICU read the locale data built
  // into node (4–6 MB of its pages resident for good), which pages without a number or a date never
  // need (BENCHMARKS.md, "Fifth pass").
  let numbers: Intl.NumberFormat | null = null;
  let dates: Intl.DateTimeFormat | null = null;
  const made: Translator = {
    lang,
    dir: LANGUAGES[lang].dir,
    t: (key, ...params) => render(key, params),
    number: (value) => (numbers ??= new Intl.NumberFormat(lang)).format(value),
    dateTime: (date) =>
      (dates ??= new Intl.DateTimeFormat(lang, {
        year: 'numeric',
        month: 'long',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZone: 'UTC',
        timeZoneName: 'short',
      })).format(date),
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
  return loadMessages().messages[lang];
}
