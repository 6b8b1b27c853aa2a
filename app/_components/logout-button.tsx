import type { ReactNode } from 'react';
import { pageTranslator } from '@/lib/server/i18n';

/** Logging out is a POST (a link could be triggered by another site); no client JavaScript. */
export async function LogoutButton({ next = '/?notice=loggedout' }: { next?: string }): Promise<ReactNode> {
  const t = await pageTranslator();
  return (
    <form method="post" action="/api/mwoauth/logout" className="inline-form">
      <input type="hidden" name="next" value={next} />
      <button type="submit">{t.t('nextmwoauth-logout')}</button>
    </form>
  );
}
