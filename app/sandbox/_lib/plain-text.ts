import 'server-only';

// Text a user typed, made plain before it is sent anywhere others read it (the wiki, a log):
// control characters mean nothing in a line of wikitext but can do something to whoever displays
// it (ESC starts a terminal escape sequence, NUL cuts strings short), and the bidirectional
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) make the text display in
// another order than it is written ("Trojan Source", CVE-2021-42574).

/** Line-breaking controls (TAB, LF, VT, FF, CR, NEL): a space, as for any other white space. */
const BREAKS = /[\t\n\v\f\r\u0085]/g;
/** Every other C0 and C1 control and DEL, and the bidi embeddings, overrides and isolates. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without control or bidi-override characters; line breaks become spaces. */
export function plainText(text: string): string {
  return text.replace(BREAKS, ' ').replace(INVISIBLE, '');
}
