import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderFailurePage } from '@/lib/server/failures/page';
import { parseUserInfo } from '@/app/profile/_lib/userinfo';
import { failure, FAILURES, type FailureKind } from '@/lib/server/failures/catalogue';
import {
  acceptedLanguages,
  chooseLanguage,
  LANGUAGE_CODES,
  messageSource,
  resolveLanguage,
  shouldRememberWikiLanguage,
  translator,
  translatorForHeaders,
  type LanguageSources,
} from '@/lib/server/i18n';

// The messages (i18n/*.json) against the code that uses them: translatewiki.net needs every key
// documented in qqq.json, and a page must never show a key or an untranslated gap.

const ROOT = join(__dirname, '..', '..');

function readJson(name: string): Record<string, unknown> {
  const value: unknown = JSON.parse(readFileSync(join(ROOT, 'i18n', name), 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${name}: not an object`);
  return Object.fromEntries(Object.entries(value));
}

function keysOf(file: Record<string, unknown>): string[] {
  return Object.keys(file).filter((k) => k !== '@metadata');
}

const en = readJson('en.json');
const qqq = readJson('qqq.json');
const enKeys = keysOf(en);

/** Every file of the app's code that can show a message (pages, components, lib/server, the proxy). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

/** The message keys the code names: only as whole string literals, so this finds them all. */
const usedKeys = new Set(
  [...sourceFiles(join(ROOT, 'app')), ...sourceFiles(join(ROOT, 'lib', 'server')), join(ROOT, 'proxy.ts')]
    .map((path) => readFileSync(path, 'utf8'))
    .flatMap((text) => [...text.matchAll(/['"`](nextmwoauth-[a-z0-9-]+)['"`]/g)].map((m) => m[1] ?? '')),
);

/** The $n a message shows (not those only choosing a PLURAL or GENDER form). */
function shownParams(text: string): string[] {
  const shown = text.replace(/\{\{(PLURAL|GENDER):\$\d+\|/g, '{{$1|');
  return [...new Set([...shown.matchAll(/\$(\d+)/g)].map((m) => m[1] ?? ''))].sort();
}

describe('i18n/*.json', () => {
  it('should have @metadata in every file (translatewiki.net banana format)', () => {
    for (const name of ['en.json', 'qqq.json', ...LANGUAGE_CODES.map((c) => `${c}.json`)]) {
      expect(readJson(name)['@metadata'], name).toBeTypeOf('object');
    }
  });

  it('should document every key in qqq.json, and nothing else', () => {
    expect(enKeys.length).toBeGreaterThan(100);
    expect(enKeys.filter((k) => typeof qqq[k] !== 'string' || qqq[k] === '')).toEqual([]);
    expect(keysOf(qqq).filter((k) => !enKeys.includes(k))).toEqual([]);
  });

  // A translation may lack keys (a new message is English and qqq.json only until translatewiki.net
  // fills the gap: banana-i18n shows English meanwhile, tested below), but never has an empty or
  // unknown one.
  it.each(LANGUAGE_CODES.filter((c) => c !== 'en'))(
    'should translate into %s only keys English has, none empty',
    (code) => {
      const file = readJson(`${code}.json`);
      expect(keysOf(file).filter((k) => typeof file[k] !== 'string' || file[k] === '')).toEqual([]);
      expect(keysOf(file).filter((k) => !enKeys.includes(k))).toEqual([]);
    },
  );

  it.each(LANGUAGE_CODES.filter((c) => c !== 'en'))(
    'should show in %s every parameter English shows',
    (code) => {
      const source = messageSource(code);
      const english = messageSource('en');
      const mismatched = enKeys
        .filter((k) => k in source)
        .filter((k) => {
          const translated = shownParams(source[k] ?? '');
          const original = shownParams(english[k] ?? '');
          return translated.join() !== original.join();
        });
      expect(mismatched).toEqual([]);
    },
  );

  it('should define every key the code uses', () => {
    expect(usedKeys.size).toBeGreaterThan(50);
    expect([...usedKeys].filter((k) => !enKeys.includes(k))).toEqual([]);
  });

  it('should use every key it defines', () => {
    expect(enKeys.filter((k) => !usedKeys.has(k))).toEqual([]);
  });

  it.each(LANGUAGE_CODES)('should render every %s message to text, never to its key', (code) => {
    const t = translator(code);
    for (const key of enKeys) {
      // Enough parameters for any message: texts, and numbers where PLURAL reads one.
      const text = t.t(key as Parameters<typeof t.t>[0], 'P1', 2, 'P3', 4);
      expect(text, key).not.toBe(key);
      expect(text, key).not.toMatch(/nextmwoauth-|⧼|\{\{/);
    }
  });
});

describe('banana-i18n rendering', () => {
  it("should choose Arabic's six plural forms by CLDR's rules", () => {
    const t = translator('ar');
    const forms = [0, 1, 2, 3, 11, 100].map((n) => t.t('nextmwoauth-profile-editcount-value', String(n), n));
    expect(new Set(forms).size).toBe(6);
    expect(forms[1]).toBe('تعديل واحد');
    expect(forms[2]).toBe('تعديلان');
  });

  it('should choose English and French plural forms', () => {
    expect(translator('en').t('nextmwoauth-profile-editcount-value', '1', 1)).toBe('1 edit');
    expect(translator('en').t('nextmwoauth-profile-editcount-value', '1,234', 1234)).toBe('1,234 edits');
    expect(translator('fr').t('nextmwoauth-profile-editcount-value', '0', 0)).toBe('0 modification');
  });

  it('should render a message with numbers the same when asked again (translator() remembers those)', () => {
    const t = translator('ar');
    const first = [1, 2, 1, 11, 2].map((n) => t.t('nextmwoauth-profile-editcount-value', t.number(n), n));
    expect(first[0]).toBe('تعديل واحد');
    expect(first[2]).toBe(first[0]);
    expect(first[4]).toBe(first[1]);
    expect(first[3]).not.toBe(first[1]);
    // A text parameter is rendered each time, whatever came before.
    expect(translator('fr').t('nextmwoauth-profile-intro', 'W', 'female')).toContain('connectée');
    expect(translator('fr').t('nextmwoauth-profile-intro', 'W', 'male')).toContain('connecté à');
  });

  it('should choose GENDER forms from the wiki preference', () => {
    const fr = translator('fr');
    expect(fr.t('nextmwoauth-profile-intro', 'W', 'female')).toContain('connectée');
    expect(fr.t('nextmwoauth-profile-intro', 'W', 'male')).toContain('connecté à');
    expect(fr.t('nextmwoauth-profile-intro', 'W', 'unknown')).toContain('connecté(e)');
  });

  it('should write numbers and dates in the language (Intl)', () => {
    const date = new Date('2026-12-01T20:30:00Z');
    expect(translator('en').dateTime(date)).toMatch(/December/);
    expect(translator('fr').dateTime(date)).toMatch(/décembre/);
    expect(translator('ar').dateTime(date)).toMatch(/ديسمبر/);
    expect(translator('fr').number(1234)).not.toBe(translator('en').number(1234));
  });
});

describe('choosing the language', () => {
  it.each([
    ['fr', 'fr'],
    ['FR-ca', 'fr'],
    ['frc', 'fr'], // Cajun French falls back to French (MediaWiki)
    ['arz', 'ar'], // Egyptian Arabic falls back to Arabic
    ['ar-eg', 'ar'],
    ['en-gb', 'en'],
    ['de', null],
    ['xx', null],
    ['<script>', null],
    ['', null],
  ])('should resolve %j to %j along MediaWiki fallback chains', (code, expected) => {
    expect(resolveLanguage(code)).toBe(expected);
  });

  it('should read Accept-Language by q value, then order', () => {
    expect(acceptedLanguages('de;q=0.9, ar, fr;q=0.95, en;q=0')).toEqual(['ar', 'fr', 'de']);
  });

  const none: LanguageSources = {
    uselang: null,
    uselangCookie: null,
    wikiLanguage: null,
    acceptLanguage: null,
  };

  it('should prefer ?uselang, then its cookie, then the wiki preference, then Accept-Language, then English', () => {
    const all = { uselang: 'ar', uselangCookie: 'fr', wikiLanguage: 'en', acceptLanguage: 'fr' };
    expect(chooseLanguage(all)).toBe('ar');
    expect(chooseLanguage({ ...all, uselang: null })).toBe('fr');
    expect(chooseLanguage({ ...all, uselang: null, uselangCookie: null })).toBe('en');
    expect(chooseLanguage({ ...none, acceptLanguage: 'de-DE, ar;q=0.5' })).toBe('ar');
    expect(chooseLanguage({ ...none, acceptLanguage: 'de-DE' })).toBe('en');
    expect(chooseLanguage(none)).toBe('en');
    // A code with no chain to ours gives way to the next source.
    expect(chooseLanguage({ ...none, uselang: 'de', acceptLanguage: 'fr' })).toBe('fr');
  });

  it('should remember the wiki preference only when it changes what is shown', () => {
    expect(shouldRememberWikiLanguage(none, 'ar')).toBe(true);
    expect(shouldRememberWikiLanguage(none, 'en')).toBe(false);
    expect(shouldRememberWikiLanguage({ ...none, wikiLanguage: 'ar' }, 'ar')).toBe(false);
    expect(shouldRememberWikiLanguage({ ...none, uselangCookie: 'fr' }, 'ar')).toBe(false);
    expect(shouldRememberWikiLanguage({ ...none, wikiLanguage: 'fr' }, 'en')).toBe(true);
  });

  it('should read the cookies and Accept-Language of a route handler request', () => {
    const headers = new Headers({ cookie: 'a=b; mwoauth_uselang=ar', 'accept-language': 'fr' });
    expect(translatorForHeaders(headers).lang).toBe('ar');
    expect(translatorForHeaders(new Headers({ cookie: 'mwoauth_wikilang=fr' })).lang).toBe('fr');
    expect(translatorForHeaders(headers, 'fr').lang).toBe('fr');
    expect(translatorForHeaders(new Headers()).lang).toBe('en');
  });
});

describe('failure pages in every language', () => {
  const kinds = Object.keys(FAILURES).filter((k): k is FailureKind => k in FAILURES);

  it.each(LANGUAGE_CODES)('should render every failure kind in %s, with lang and dir', (code) => {
    for (const kind of kinds) {
      const t = translator(code);
      const html = renderFailurePage(
        failure(kind, t, { what: ['1', 1, '2', 2], todo: ['3', 3], mediawikiCode: 'x-y' }),
      );
      expect(html, kind).toContain(`<html lang="${code}" dir="${t.dir}">`);
      expect(html, kind).not.toMatch(/nextmwoauth-|⧼|\{\{/);
      expect(html, kind).toContain('<code>x-y</code>');
    }
  });

  it('should lay Arabic out right to left', () => {
    expect(translator('ar').dir).toBe('rtl');
    expect(translator('fr').dir).toBe('ltr');
  });
});

describe('the wiki language preference in userinfo (uiprop=options)', () => {
  it('should read the language and gender options, and take their absence as none', () => {
    const withOptions = parseUserInfo({
      query: {
        userinfo: { id: 3, name: 'Alice', options: { language: 'ar', gender: 'female', skin: 'vector' } },
      },
    });
    expect(withOptions).toMatchObject({ language: 'ar', gender: 'female' });
    const without = parseUserInfo({ query: { userinfo: { id: 3, name: 'Alice' } } });
    expect(without).toMatchObject({ language: null, gender: 'unknown' });
    const odd = parseUserInfo({
      query: { userinfo: { id: 3, name: 'Alice', options: { language: 7, gender: 'x' } } },
    });
    expect(odd).toMatchObject({ language: null, gender: 'unknown' });
  });
});
