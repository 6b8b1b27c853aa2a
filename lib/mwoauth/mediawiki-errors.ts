// Turns every error format Extension:OAuth (REL1_39) and the action API answer with into one
// MWOAuthError (see _facts.json "error_body_formats"):
// - Special:OAuth/initiate and /token: HTTP 200, text/plain, 'Error: ' + the message, HTML-escaped,
//   with a '<span …>… <a …>E00N</a></span>' details part [06, 21-25, 29*];
// - the same with &format=json, and Special:OAuth/identify: HTTP 200 JSON {"error": <key>, "message"} [12, 13, 26b];
// - api.php: a MediaWiki-API-Error header and {"error": {"code", "info"}} [14-19];
// - HTML pages: MediaWiki's 'Application Connection Error' page [28b], or a proxy's error page.
import { MWOAuthError, type MWOAuthErrorCode } from './errors.ts';
import type { HttpResponse } from './http.ts';

/** MediaWiki's HTML escaping (htmlspecialchars with ENT_QUOTES) undone; &amp; last, so '&amp;lt;' stays '&lt;'. */
function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&#x27;/gi, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

function dropTags(html: string): string {
  return html.replace(/<[^>]*>/g, '');
}

function foldSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The text of an HTML page: scripts, styles and tags dropped, then entities decoded. */
export function htmlToText(html: string): string {
  return foldSpace(decodeEntities(dropTags(html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' '))));
}

/**
 * The 'Error: …' text of Special:OAuth/initiate and /token, readable: MediaWiki escapes the message
 * (so its own <span> arrives as &lt;span&gt;) but not the help link's <a>. Both are markup to drop.
 */
export function unescapeOAuthErrorText(body: string): string {
  // Unescape first, then strip tags: the <span> only becomes a tag once unescaped.
  return foldSpace(dropTags(decodeEntities(body)));
}

/** Help:OAuth/Errors codes seen in the fixtures, and the message key each stands for. */
const ERROR_CODE_KEYS: Record<string, string> = {
  E004: 'mwoauthdatastore-request-token-not-found',
  E006: 'mwoauthserver-bad-consumer-key',
  E009: 'mwoauthdatastore-request-token-already-used',
  E010: 'mwoauthserver-consumer-owner-only',
};

/**
 * English message texts (REL1_39 en.json, as recorded in _facts.json "messages") and their keys.
 * Longest first: mwoauth-callback-not-oob's text is a prefix of -or-prefix's.
 */
const MESSAGE_KEYS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^An error occurred in the OAuth protocol:/, 'mwoauth-oauth-exception'],
  [
    /^oauth_callback must be set, and must be set to "oob" \(case-sensitive\), or the configured callback/,
    'mwoauth-callback-not-oob-or-prefix',
  ],
  [/^oauth_callback must be set, and must be set to "oob" \(case-sensitive\)/, 'mwoauth-callback-not-oob'],
  [/^This request has already been completed/, 'mwoauthdatastore-request-token-already-used'],
  [/^The verification code provided was not valid/, 'mwoauthdatastore-bad-verifier'],
  [/^No token was found matching your request/, 'mwoauthdatastore-bad-token'],
  [/^No approved grant was found for that authorization token/, 'mwoauthdatastore-access-token-not-found'],
  [/is an owner-only Connected App/, 'mwoauthserver-consumer-owner-only'],
  [/Unknown OAuth key/, 'mwoauthserver-bad-consumer-key'],
];

/** The message key for an English error text, or null when it is not one we know. */
export function messageKeyFor(text: string): string | null {
  const code = /\b(E0\d\d)\b/.exec(text)?.[1];
  if (code !== undefined && ERROR_CODE_KEYS[code] !== undefined) return ERROR_CODE_KEYS[code];
  for (const [pattern, key] of MESSAGE_KEYS) if (pattern.test(text)) return key;
  return null;
}

/** Ends `text` with a full stop unless it already ends a sentence, so an appended hint reads as its own. */
function withStop(text: string): string {
  return /[.!?…:]$/.test(text) ? text : `${text}.`;
}

/** What to do, for the errors whose fix is known. `text` is the wiki's message (for the OAuth-protocol details). */
export function hintFor(key: string | null, text: string): string | null {
  if (/Expired timestamp/.test(text)) {
    return "This machine's clock or the wiki's is wrong by more than 300 s (Extension:OAuth's limit): synchronise the clock (NTP).";
  }
  if (/Nonce already used/.test(text)) {
    return 'The same signed request was sent twice; send a new request (each gets a fresh nonce).';
  }
  if (/Invalid signature/.test(text)) {
    return (
      'Check the consumer secret and the token secret, and that the wiki URL uses the canonical server ($wgServer): ' +
      'the wiki verifies the signature against its own URL, not the Host you used.'
    );
  }
  if (/Invalid consumer/.test(text) || key === 'mwoauthserver-bad-consumer-key') {
    return 'Check the consumer key (MW_CONSUMER_KEY) and that the consumer is approved on this wiki.';
  }
  if (/Signature method .* not supported/.test(text))
    return 'Sign with HMAC-SHA1 (this library always does).';
  switch (key) {
    case 'mwoauth-callback-not-oob':
      return (
        "This consumer was registered with a fixed callback: pass callback 'oob' (MW_CALLBACK=oob) " +
        "or re-register it with 'Allow consumer to specify a callback in requests'."
      );
    case 'mwoauth-callback-not-oob-or-prefix':
      return (
        "The callback must be 'oob' or start with the callback URL registered for this consumer " +
        '(same host and port; http may become https; the path may be longer).'
      );
    case 'mwoauthserver-consumer-owner-only':
      return (
        'Owner-only consumers cannot use initiate/complete: use the access token shown at registration directly ' +
        '(e.g. new ApiClient({ accessToken })).'
      );
    case 'mwoauthdatastore-access-token-not-found':
      return 'The access token is unknown or the user revoked it (Special:OAuthManageMyGrants): log the user in again.';
    case 'mwoauthdatastore-request-token-already-used':
      return 'This authorization was already completed; start again with initiate.';
    case 'mwoauthdatastore-request-token-not-found':
    case 'mwoauthdatastore-bad-token':
      return (
        'The request token is unknown, expired (after 600 s) or not authorized (the user may have pressed Cancel); ' +
        'start again with initiate.'
      );
    case 'mwoauthdatastore-bad-verifier':
      return 'Pass the oauth_verifier the wiki sent to the callback, with the request token it belongs to.';
    default:
      return null;
  }
}

export function mediawikiError(
  key: string | null,
  text: string,
  status: number,
  code: MWOAuthErrorCode = 'mediawiki',
): MWOAuthError {
  const hint = hintFor(key, text);
  const shown = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  return new MWOAuthError(
    code,
    `The wiki answered with an error${key === null ? '' : ` (${key})`}: ${withStop(shown)}${hint === null ? '' : ` ${hint}`}`,
    { mediawikiCode: key, status },
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringField(value: unknown, field: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const v: unknown = Reflect.get(value, field);
  return typeof v === 'string' ? v : null;
}

/** JSON {"error": "<key>", "message": "<text>"} (identify; initiate/token with format=json), or null. */
export function jsonKeyError(json: unknown, status: number): MWOAuthError | null {
  const key = stringField(json, 'error');
  if (key === null) return null;
  const message = stringField(json, 'message') ?? key;
  return mediawikiError(key, message, status);
}

function looksLikeHtml(text: string): boolean {
  return /^\s*<(!doctype|html|head|body)/i.test(text);
}

function titleOf(html: string): string | null {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m?.[1] === undefined ? null : htmlToText(m[1]);
}

/**
 * An HTML page where data was expected: MediaWiki's own error page (its error text carries a
 * Help:OAuth/Errors code) or something else in front of the wiki (a proxy's 502, a login wall).
 */
export function htmlPageError(response: HttpResponse, what: string): MWOAuthError {
  const text = htmlToText(response.text);
  const key = messageKeyFor(text);
  if (key !== null) {
    const detail = /Unknown OAuth key, E006|OAuth token not found, E004|E0\d\d/.exec(text)?.[0] ?? key;
    return mediawikiError(key, detail, response.status);
  }
  const title = titleOf(response.text) ?? text.slice(0, 120);
  const code: MWOAuthErrorCode =
    response.status >= 200 && response.status < 300 ? 'unexpected_response' : 'http_error';
  return new MWOAuthError(
    code,
    `Expected ${what} but got an HTML page (HTTP ${response.status}: "${title}"). ` +
      "Check that the URL is the wiki's index.php/api.php and that nothing (a proxy, a login wall) stands in between.",
    { status: response.status, contentType: 'text/html' },
  );
}

/**
 * The error in an answer from Special:OAuth/initiate or /token (or identify), or null when the
 * answer is not an error. The wiki says "error" with HTTP 200 (mwoauth: "Special:OAuth/identify
 * unhelpfully returns 200 status even when there is an error").
 */
export function specialOAuthError(response: HttpResponse, what: string): MWOAuthError | null {
  const body = response.text.trim();
  if (body.startsWith('Error: ')) {
    const text = unescapeOAuthErrorText(body.slice('Error: '.length));
    return mediawikiError(messageKeyFor(text), text, response.status);
  }
  if (body.startsWith('{')) {
    const err = jsonKeyError(parseJson(body), response.status);
    if (err !== null) return err;
  }
  if (looksLikeHtml(body)) return htmlPageError(response, what);
  if (response.status < 200 || response.status >= 300) return httpStatusError(response, what);
  return null;
}

export function httpStatusError(response: HttpResponse, what: string): MWOAuthError {
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && location !== null) {
    return new MWOAuthError(
      'http_error',
      `The wiki redirected the request for ${what} (HTTP ${response.status}) to ${location}; ` +
        "use the wiki's canonical URL (after redirects) as the wiki URL: signed requests are not re-sent to a new address.",
      { status: response.status },
    );
  }
  const snippet = looksLikeHtml(response.text) ? (titleOf(response.text) ?? '') : response.text.slice(0, 200);
  return new MWOAuthError(
    'http_error',
    `HTTP ${response.status} from the wiki instead of ${what}${snippet === '' ? '' : `: ${snippet}`}.`,
    { status: response.status },
  );
}

/**
 * With a Bearer token api.php says only "Invalid access token" (o2-13): an OAuth 2.0 access token
 * expires (expires_in, 3600 s by default: o2-06) and may be revoked.
 */
const BEARER_INVALID_HINT =
  'The OAuth 2.0 access token has expired or was revoked (or belongs to another wiki): get a new one with ' +
  'refreshTokens and retry once; if that fails, log the user in again.';

/**
 * The error in an api.php answer, or null. Hints for the OAuth failures api.php reports as
 * mwoauth-invalid-authorization depend on the scheme: 1.0a's (clock, nonce, signature: fixtures
 * 14-19) mean nothing to a Bearer token (o2-13).
 */
export function apiError(
  response: HttpResponse,
  json: unknown,
  scheme: 'oauth1' | 'bearer' = 'oauth1',
): MWOAuthError | null {
  const header = response.headers.get('mediawiki-api-error');
  let code: string | null = null;
  let info: string | null = null;
  if (typeof json === 'object' && json !== null) {
    const error: unknown = Reflect.get(json, 'error');
    const errors: unknown = Reflect.get(json, 'errors');
    if (typeof error === 'object' && error !== null) {
      code = stringField(error, 'code');
      info = stringField(error, 'info') ?? stringField(error, '*');
    } else if (Array.isArray(errors) && errors.length > 0) {
      // errorformat=plaintext|wikitext|html: a list of {code, text|html}.
      const first: unknown = errors[0];
      code = stringField(first, 'code');
      info = stringField(first, 'text') ?? stringField(first, 'html') ?? stringField(first, '*');
    }
  }
  code ??= header;
  if (code === null) return null;
  const text = info === null ? code : htmlToText(info);
  const hint =
    scheme === 'bearer'
      ? code === 'mwoauth-invalid-authorization'
        ? BEARER_INVALID_HINT
        : null
      : hintFor(messageKeyFor(text.replace(/^.*?: /, '')), text);
  return new MWOAuthError(
    'mediawiki',
    `The API answered with an error (${code}): ${withStop(text)}${hint === null ? '' : ` ${hint}`}`,
    { mediawikiCode: code, status: response.status },
  );
}

/**
 * RFC 6750 §3's `error="invalid_token"` in a WWW-Authenticate header, quoted or not, spelled as the
 * RFC spells it (case-sensitive, no space around '='), starting a parameter. Not a full parser of
 * challenges, as in m3api-oauth2 be39075: the header of a 401 that names this error is the edge's.
 */
const INVALID_TOKEN_PARAM = /(?:^|[\s,])error=(?:"invalid_token"|invalid_token)(?=$|[\s,])/;

/**
 * Wikimedia's traffic layer answers an OAuth 2.0 access token it refuses (expired, or invalidated
 * early because the user changed the app's authorization: Extension:OAuth 0bdc100a, T433732) itself,
 * before MediaWiki sees the request: HTTP 401 with `WWW-Authenticate: Bearer …, error="invalid_token"`
 * (T419034; m3api-oauth2 commit be39075, "Wikimedia production no longer responds to requests with
 * expired access tokens with an mwoauth-invalid-authorization API error"), on api.php and rest.php
 * alike. It is the same fact as api.php's mwoauth-invalid-authorization for a Bearer token (o2-13):
 * an MWOAuthError `mediawiki` with mediawikiCode `invalid_token` and status 401, so that callers treat
 * it as an expired token (refresh once, retry once). Null for any other answer.
 */
export function edgeTokenError(response: HttpResponse): MWOAuthError | null {
  if (response.status !== 401) return null;
  const challenge = response.headers.get('www-authenticate');
  if (challenge === null || !INVALID_TOKEN_PARAM.test(challenge)) return null;
  return new MWOAuthError(
    'mediawiki',
    'The wiki refused the OAuth 2.0 access token (HTTP 401, WWW-Authenticate error="invalid_token"): it has ' +
      'expired or was invalidated (the user changed or revoked the authorization). Get a new one with ' +
      'refreshTokens and retry once; if that fails, log the user in again.',
    { mediawikiCode: 'invalid_token', status: 401 },
  );
}

/** Retry-After (seconds, or an HTTP date) as whole seconds from now; null when absent or unreadable. */
export function retryAfterSeconds(response: HttpResponse): number | null {
  const value = response.headers.get('retry-after')?.trim() ?? null;
  if (value === null) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * `error` with `retryAfterS` when the answer limited the rate: HTTP 429 (RFC 6585 §4; Wikimedia's
 * global API rate limits since 2026, wikitech-l 2026-03-02) or the API error `ratelimited`
 * (MediaWiki's own $wgRateLimits); else `error` as it is.
 */
export function withRateLimit(error: MWOAuthError, response: HttpResponse): MWOAuthError {
  if (response.status !== 429 && error.mediawikiCode !== 'ratelimited') return error;
  const retryAfterS = retryAfterSeconds(response);
  const wait = retryAfterS === null ? '' : ` Retry after ${retryAfterS} s.`;
  return new MWOAuthError(error.code, `${error.message} The wiki is limiting the rate of requests.${wait}`, {
    mediawikiCode: error.mediawikiCode,
    status: error.status,
    reason: error.reason,
    contentType: error.contentType,
    retryAfterS,
    cause: error.cause,
  });
}
