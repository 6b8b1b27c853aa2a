import type { ReactNode } from 'react';
import { pageTranslator } from '@/lib/server/i18n';

/** An address where the app has no page (and what notFound() shows): 404, in the app's look and language. */
export default async function NotFound(): Promise<ReactNode> {
  const t = await pageTranslator();
  return (
    <>
      <h1>{t.t('nextmwoauth-not-found-title')}</h1>
      <p>{t.t('nextmwoauth-not-found-what')}</p>
      <p>
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- a full load, as the layout's links */}
        <a href="/">{t.t('nextmwoauth-home-link')}</a>
      </p>
    </>
  );
}
