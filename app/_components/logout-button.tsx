import type { ReactNode } from 'react';

/** Logging out is a POST (a link could be triggered by another site); no client JavaScript. */
export function LogoutButton({ next = '/?notice=loggedout' }: { next?: string }): ReactNode {
  return (
    <form method="post" action="/api/mwoauth/logout" className="inline-form">
      <input type="hidden" name="next" value={next} />
      <button type="submit">Log out</button>
    </form>
  );
}
