import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fr from '@/i18n/fr.json';
import { ErrorTextsProvider } from '@/app/_components/error-texts';
import { errorTextsFor } from '@/app/_components/error-texts-for';
import ErrorPage from '@/app/error';
import { MWOAuthError } from 'mwoauth';
import { FAILURES } from '@/lib/server/failures/catalogue';
import { translator } from '@/lib/server/i18n';
import { describeWikiError } from '@/lib/server/failures/describe';

// The errors a tool author's pages can use: app/error.tsx (a client component, its words handed
// down by the layout), the failure texts of the `page` task, and English for a message a
// translation lacks.

function errorPage(lang: 'en' | 'fr' | 'ar', error: Error & { digest?: string }): string {
  return renderToStaticMarkup(
    createElement(
      ErrorTextsProvider,
      { texts: errorTextsFor(translator(lang)) },
      createElement(ErrorPage, { error }),
    ),
  );
}

describe('app/error.tsx', () => {
  it("should say what happened in the layout's language, with the digest as the reference", () => {
    const error = Object.assign(new Error('boom: token=hunter2-secret'), { digest: '2810446829' });
    const en = errorPage('en', error);
    expect(en).toContain('<h1>Something went wrong</h1>');
    expect(en).toContain('role="alert"');
    expect(en).toContain('Reference: <code dir="ltr">2810446829</code>');
    expect(en).toContain('<a href="/">Back to the home page</a>');
    // Never the error's own message (in production Next replaces it anyway).
    expect(en).not.toContain('hunter2');
    expect(en).not.toContain('boom');
    // French has the home link's translation; the new texts fall back to English until translated.
    expect(errorPage('fr', error)).toContain(`<a href="/">${fr['nextmwoauth-home-link']}</a>`);
  });

  it('should render nothing outside the layout (no words to show)', () => {
    expect(renderToStaticMarkup(createElement(ErrorPage, { error: new Error('x') }))).toBe('');
  });
});

describe("the failure texts of a tool author's page (task 'page')", () => {
  it('should speak of "this page" wherever a text names what was stopped', () => {
    const t = translator('en');
    const timeout = describeWikiError(new MWOAuthError('timeout', 'slow'), '/login', 'page', t);
    expect(timeout.status).toBe(504);
    expect(timeout.what).toContain('this page could not load what it needs');
    const perTask = Object.values(FAILURES).filter((entry) => typeof entry.what !== 'string');
    expect(perTask.length).toBeGreaterThan(0);
    for (const entry of perTask) {
      if (typeof entry.what === 'string') continue;
      expect(t.t(entry.what.page)).toMatch(/this page/);
    }
  });
});

describe('a message a translation lacks', () => {
  let dir = '';
  afterEach(() => {
    vi.restoreAllMocks();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('should be shown in English, its parameters and PLURAL applied, never as its key', async () => {
    const key = 'nextmwoauth-profile-editcount-value';
    expect(fr[key]).not.toBe('');
    // The app's message files, French without the key, in an app directory of their own.
    dir = mkdtempSync(join(tmpdir(), 'next-mwoauth-i18n-'));
    mkdirSync(join(dir, 'i18n'));
    for (const code of ['en', 'fr', 'ar'])
      copyFileSync(join('i18n', `${code}.json`), join(dir, 'i18n', `${code}.json`));
    const withoutIt: Record<string, unknown> = { ...fr };
    delete withoutIt[key];
    writeFileSync(join(dir, 'i18n', 'fr.json'), JSON.stringify(withoutIt));
    vi.spyOn(process, 'cwd').mockReturnValue(dir);
    const i18n = await import('@/lib/server/i18n');
    const t = i18n.translator('fr');
    expect(t.t(key, '2', 2)).toBe('2 edits');
    // The other messages stay French.
    expect(t.t('nextmwoauth-profile-title')).toBe(fr['nextmwoauth-profile-title']);
  });

  it('should name the message file and the fix when one is missing or not JSON', async () => {
    dir = mkdtempSync(join(tmpdir(), 'next-mwoauth-i18n-'));
    mkdirSync(join(dir, 'i18n'));
    copyFileSync(join('i18n', 'en.json'), join(dir, 'i18n', 'en.json'));
    writeFileSync(join(dir, 'i18n', 'fr.json'), '{"nextmwoauth-profile-title": "Profil",}');
    vi.spyOn(process, 'cwd').mockReturnValue(dir);
    const i18n = await import('@/lib/server/i18n');
    const file = (code: string): string => join(dir, 'i18n', `${code}.json`);
    expect(() => i18n.checkMessages()).toThrow(
      `The message file ${file('fr')} is not valid JSON (Expected double-quoted property name in JSON at position 39): correct it, or restore it from git.`,
    );
    writeFileSync(file('fr'), '["Profil"]');
    expect(() => i18n.checkMessages()).toThrow(
      `The message file ${file('fr')} is not a JSON object of messages ("key": "text").`,
    );
    writeFileSync(file('fr'), '{}');
    expect(() => i18n.translator('fr')).toThrow(
      `The message file ${file('ar')} cannot be read (ENOENT). Start the server from the app's directory, with its i18n/ folder beside it (a standalone build copies it).`,
    );
  });
});
