// The wiki's URLs, for both protocols: index.php (OAuth 1.0a's Special:OAuth pages, `mwUri`) and
// rest.php beside it (OAuth 2.0's rest.php/oauth2/* endpoints: _facts.json "oauth2").
import { MWOAuthError } from './errors.ts';

/** Parses `url`, or throws `invalid_url` naming it (instead of a TypeError/URIError from deep inside). */
export function parseHttpUrl(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new MWOAuthError('invalid_url', `The ${what} ${JSON.stringify(url)} is not a valid URL.`, {
      cause,
    });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new MWOAuthError('invalid_url', `The ${what} ${JSON.stringify(url)} must be an http(s) URL.`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new MWOAuthError('invalid_url', `The ${what} must not contain a user name or password.`);
  }
  return parsed;
}

/** Validates mwUri: an http(s) URL of index.php, without query or fragment (we add the title). */
export function parseMwUri(mwUri: unknown): URL {
  if (typeof mwUri !== 'string' || mwUri.trim() === '') {
    throw new MWOAuthError(
      'invalid_url',
      "mwUri must be the wiki's index.php URL, e.g. https://meta.wikimedia.org/w/index.php.",
    );
  }
  const url = parseHttpUrl(mwUri.trim(), "wiki's index.php URL (mwUri)");
  if (url.search !== '' || url.hash !== '') {
    throw new MWOAuthError(
      'invalid_url',
      `mwUri must be the index.php URL without query or fragment (got ${JSON.stringify(mwUri)}).`,
    );
  }
  return url;
}

/**
 * The wiki's rest.php: the `restUrl` option when given, else the file beside index.php
 * (https://meta.wikimedia.org/w/index.php → …/w/rest.php, as MediaWiki installs them). Returned
 * without a trailing '/'.
 */
export function restUrlFor(mwUri: string, restUrl: string | undefined): string {
  if (restUrl !== undefined) {
    if (typeof restUrl !== 'string' || restUrl.trim() === '') {
      throw new MWOAuthError(
        'invalid_url',
        "restUrl must be the wiki's rest.php URL, e.g. https://meta.wikimedia.org/w/rest.php.",
      );
    }
    const url = parseHttpUrl(restUrl.trim(), "wiki's rest.php URL (restUrl)");
    if (url.search !== '' || url.hash !== '') {
      throw new MWOAuthError('invalid_url', 'restUrl must be the rest.php URL without query or fragment.');
    }
    return url.toString().replace(/\/+$/, '');
  }
  const index = parseMwUri(mwUri);
  if (!index.pathname.endsWith('/index.php')) {
    throw new MWOAuthError(
      'invalid_url',
      `rest.php cannot be found from mwUri ${JSON.stringify(mwUri)}: it does not end in /index.php. ` +
        'Pass the restUrl option, e.g. https://meta.wikimedia.org/w/rest.php.',
    );
  }
  index.pathname = `${index.pathname.slice(0, -'index.php'.length)}rest.php`;
  return index.toString();
}

/** rest.php/oauth2/<path> (authorize, access_token, resource/profile). */
export function oauth2Endpoint(restUrl: string, path: string): string {
  return `${restUrl}/oauth2/${path}`;
}

/** A BCP 47-like language tag as MediaWiki takes them (en, fr, ar, zh-hant, de-formal). */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;

/**
 * The language the wiki's consent screen should speak: `uselang` for Special:OAuth/authorize (any
 * MediaWiki page takes it) or OAuth 2.0's `ui_locales` (one tag or several, space-separated,
 * preferred first; MediaWiki 1.47+ maps the first it knows to uselang: Extension:OAuth 5cc52b0b,
 * T412199; older wikis ignore it). Null or undefined: none sent; anything else not a language tag
 * is refused, naming the option.
 */
export function languageParam(value: unknown, option: 'uselang' | 'uiLocales'): string | null {
  if (value === undefined || value === null) return null;
  const tags = typeof value === 'string' ? value.split(' ') : [];
  const many = option === 'uiLocales';
  if (tags.length === 0 || (!many && tags.length > 1) || !tags.every((tag) => LANGUAGE_TAG.test(tag))) {
    throw new MWOAuthError(
      'invalid_argument',
      `${option} must be ${many ? 'language tags separated by spaces, e.g. "ar fr"' : 'a language code, e.g. "ar"'} ` +
        `(got ${JSON.stringify(value)}).`,
    );
  }
  return tags.join(' ');
}
