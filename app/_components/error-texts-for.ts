import type { Translator } from '@/lib/server/i18n';
import type { ErrorTexts } from './error-texts';

/** The words of app/error.tsx in the language of `t` (the layout passes them down). */
export function errorTextsFor(t: Translator): ErrorTexts {
  const [before = '', after = ''] = t.t('nextmwoauth-error-reference', '\u0000').split('\u0000');
  return {
    title: t.t('nextmwoauth-error-title'),
    what: t.t('nextmwoauth-error-what'),
    todo: t.t('nextmwoauth-error-todo'),
    retry: t.t('nextmwoauth-try-again'),
    home: t.t('nextmwoauth-home-link'),
    reference: [before, after],
  };
}
