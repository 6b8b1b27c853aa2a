import 'server-only';
import { parseHttpUrl, type Env } from './env';
import type { WikiConfig } from './wiki';

// MW_WIKIS: the other wikis of the farm this app may call as the user. On Wikimedia a consumer is
// registered once, on meta.wikimedia.org, and the same token signs (1.0a) or authorizes (2.0) requests
// to commons.wikimedia.org, www.wikidata.org and every language wiki (Extension:OAuth's
// $wgMWOAuthCentralWiki; fixtures farm-01, farm-10). The list says which of them this app uses, so a
// call to any other is refused before it leaves (lib/server/wiki/farm.ts resolveWiki).

/** A wiki the app may call as the user besides the login wiki. */
export interface FarmWiki {
  /** Its api.php, as written in MW_WIKIS (normalised): https://commons.wikimedia.org/w/api.php. */
  readonly apiUrl: string;
  /**
   * index.php beside api.php (as MediaWiki installs them): identify (1.0a), rest.php beside it for
   * resource/profile (2.0), and links to the wiki's pages.
   */
  readonly indexUrl: string;
  /** What the pages call it: its host, e.g. commons.wikimedia.org. */
  readonly name: string;
  /** Its origin: identify's `iss` there is the called wiki's $wgCanonicalServer (farm-07). */
  readonly origin: string;
}

/** Hosts that never leave this machine: plain http is allowed for them in production too. */
function isLoopback(url: URL): boolean {
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * `MW_WIKIS`: comma-separated api.php URLs, e.g.
 * `https://commons.wikimedia.org/w/api.php,https://www.wikidata.org/w/api.php`. Unset or empty: none
 * (the login wiki alone). Each entry is checked as MW_API_URL is (an api.php, no query), and must
 * use https in production unless it is on this machine (the user's token goes with every call).
 * The login wiki itself may be listed; it is always allowed and not listed twice. Each problem is
 * pushed naming the entry's position, never the whole value.
 */
export function readWikis(
  env: Env,
  production: boolean,
  loginWiki: WikiConfig | null,
  problems: string[],
): readonly FarmWiki[] {
  const raw = env.MW_WIKIS?.trim() ?? '';
  if (raw === '') return [];
  const wikis: FarmWiki[] = [];
  const hosts = new Map<string, number>();
  const loginHost = loginWiki === null ? null : new URL(loginWiki.apiUrl).host;
  const entries = raw.split(',').map((entry) => entry.trim());
  entries.forEach((entry, i) => {
    const which = `MW_WIKIS entry ${i + 1}${entries.length === 1 ? '' : ` of ${entries.length}`}`;
    if (entry === '') {
      problems.push(
        `${which} is empty: list api.php URLs separated by single commas, e.g. MW_WIKIS=https://commons.wikimedia.org/w/api.php,https://www.wikidata.org/w/api.php.`,
      );
      return;
    }
    const url = parseHttpUrl(entry);
    if (url === null || !url.pathname.endsWith('/api.php') || url.search !== '' || url.hash !== '') {
      problems.push(
        `${which} is not a wiki's api.php URL: each entry must be one, without a query, e.g. https://commons.wikimedia.org/w/api.php.`,
      );
      return;
    }
    if (url.username !== '' || url.password !== '') {
      problems.push(`${which} contains a user name or password: give the api.php URL alone.`);
      return;
    }
    if (production && url.protocol === 'http:' && !isLoopback(url)) {
      problems.push(
        `${which} uses http:// in production: the user's OAuth token goes with every call, so use https://, e.g. https://${url.host}${url.pathname}.`,
      );
      return;
    }
    if (loginWiki !== null && url.href === loginWiki.apiUrl) return; // always allowed
    if (url.host === loginHost) {
      problems.push(
        `${which} has the login wiki's host (${url.host}) but another path than its api.php (${loginWiki?.apiUrl ?? ''}): list other wikis only, or fix MW_API_URL.`,
      );
      return;
    }
    const seen = hosts.get(url.host);
    if (seen !== undefined) {
      problems.push(
        `${which} names the same host as entry ${seen} (${url.host}): list each wiki once (a wiki is chosen by its host).`,
      );
      return;
    }
    hosts.set(url.host, i + 1);
    wikis.push({
      apiUrl: url.href,
      indexUrl: new URL('index.php', url).href,
      name: url.host,
      origin: url.origin,
    });
  });
  return wikis;
}
