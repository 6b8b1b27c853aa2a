import type { MessageKey } from '@/lib/server/i18n';

/** One page of the app: a link in the header's menu, and an item of the home page's list. */
export interface NavEntry {
  readonly href: string;
  /** The menu link's text. */
  readonly label: MessageKey;
  /** The home page's list item (shown when logged in): a sentence whose $1 is a link to the page. */
  readonly item: MessageKey;
  /** That link's text; default `label`. */
  readonly link?: MessageKey;
}

/**
 * The app's pages, in menu order (app/layout.tsx and app/page.tsx show them). Add yours here; the
 * sandbox demo's entry is one line, deleted with the demo (README, "Make it yours").
 */
export const NAV: readonly NavEntry[] = [
  {
    href: '/profile',
    label: 'nextmwoauth-nav-profile',
    item: 'nextmwoauth-home-profile-item',
    link: 'nextmwoauth-home-profile-link',
  },
  { href: '/sandbox', label: 'nextmwoauth-sandbox-nav', item: 'nextmwoauth-sandbox-home-item' },
];
