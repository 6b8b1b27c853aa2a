import type { ReactNode } from 'react';
import { pageTranslator } from '@/lib/server/i18n';

/**
 * Logging out is a POST (a link could be triggered by another site); no client JavaScript.
 * `everywhere`: "Log out everywhere" (the profile page, Redis sessions only): every session of the
 * user ends, through the same route and its same-origin check.
 */
export async function LogoutButton({
  next = '/?notice=loggedout',
  everywhere = false,
}: {
  next?: string;
  everywhere?: boolean;
}): Promise<ReactNode> {
  const t = await pageTranslator();
  return (
    <form method="post" action="/api/mwoauth/logout" className="inline-form">
      <input type="hidden" name="next" value={next} />
      {everywhere ? <input type="hidden" name="everywhere" value="1" /> : null}
      <button type="submit">
        {t.t(everywhere ? 'nextmwoauth-logout-everywhere' : 'nextmwoauth-logout')}
      </button>
    </form>
  );
}
