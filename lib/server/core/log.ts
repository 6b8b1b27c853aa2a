import 'server-only';
import { inspect } from 'node:util';

// What the server log may print of text it did not write itself: request headers and targets, an
// OAuth 2.0 callback's `error` and `error_description`, MediaWiki's codes and messages, a store's
// reply. A line break in such text forges whole log lines ("[redis] … unavailable"), an ANSI escape
// rewrites what a terminal shows, and a bidirectional control (U+202E) reverses the rest of a line.
// Each such text goes through forLog, which keeps it on its line and bounded.

/**
 * Anything not printable: controls (C0, DEL, C1: line breaks, ESC), format characters (bidirectional
 * controls U+202A–U+202E and U+2066–U+2069, zero-width characters, U+061C), the line and paragraph
 * separators, lone surrogates, private-use and unassigned code points.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;

/** Longest message the log keeps of an error (a wiki's message: lib/mwoauth clips its parts to 300–500). */
export const LOG_MESSAGE_MAX = 1000;

/**
 * An untrusted text as it may be logged: every unprintable character a `?`, on one line, at most
 * `max` characters (code points; `…` marks a cut). Letters of every script stay readable.
 */
export function forLog(value: string | null, max = 100): string {
  if (value === null) return '(none)';
  const clean = value.replace(UNPRINTABLE, '?');
  const chars = Array.from(clean);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : clean;
}

/**
 * An unexpected error as it may be logged: its name and message cleaned (they may quote a request
 * or an answer), then its stack frames, one a line, and its cause's.
 */
export function errorForLog(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) {
    return forLog(inspect(error, { depth: 2, breakLength: Infinity }), LOG_MESSAGE_MAX);
  }
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) => `    ${forLog(line.trim(), 300)}`);
  const lines = [`${forLog(error.name)}: ${forLog(error.message, LOG_MESSAGE_MAX)}`, ...frames];
  if (error.cause !== undefined && depth < 3) {
    lines.push(`  [cause] ${errorForLog(error.cause, depth + 1)}`);
  }
  return lines.join('\n');
}
