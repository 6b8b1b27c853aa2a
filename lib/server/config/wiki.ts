import 'server-only';
import { parseHttpUrl, type Env } from './env';

// MW_INDEX_URL, MW_API_URL, MW_ISSUER: the wiki this app logs users in with.

/** The wiki this app logs users in with. */
export interface WikiConfig {
  /** index.php, the `mwUri` of lib/mwoauth: `https://meta.wikimedia.org/w/index.php`. */
  readonly indexUrl: string;
  /** api.php: `MW_API_URL`, or beside index.php. */
  readonly apiUrl: string;
  /** What the pages call the wiki ("Log in with meta.wikimedia.org"): its host. */
  readonly name: string;
  /** The wiki's origin, for links to its special pages. */
  readonly origin: string;
  /**
   * `MW_ISSUER`: the `iss` identify's JWT must carry, the wiki's $wgCanonicalServer (an origin), or
   * null for lib/mwoauth's default, the origin of indexUrl. Set when the two differ (a wiki reached
   * through another host name than its canonical one), else every login fails with reason `iss`.
   */
  readonly issuer: string | null;
}

export function readWiki(env: Env, problems: string[]): WikiConfig | null {
  const rawIndex = env.MW_INDEX_URL?.trim() ?? '';
  let wiki: WikiConfig | null = null;
  if (rawIndex === '') {
    problems.push(
      "MW_INDEX_URL is not set: set it to the wiki's index.php, e.g. https://meta.wikimedia.org/w/index.php.",
    );
  } else {
    const index = parseHttpUrl(rawIndex);
    if (index === null) {
      problems.push(
        "MW_INDEX_URL is not an http(s) URL: set it to the wiki's index.php, e.g. https://meta.wikimedia.org/w/index.php.",
      );
    } else if (!index.pathname.endsWith('.php') || index.search !== '' || index.hash !== '') {
      problems.push(
        "MW_INDEX_URL must be the wiki's index.php itself, without a query, e.g. https://meta.wikimedia.org/w/index.php (not the wiki's main page).",
      );
    } else {
      wiki = {
        indexUrl: index.href,
        apiUrl: new URL('api.php', index).href,
        name: index.host,
        origin: index.origin,
        issuer: null,
      };
    }
  }
  const rawApi = env.MW_API_URL?.trim() ?? '';
  if (rawApi !== '') {
    const api = parseHttpUrl(rawApi);
    if (api === null || !api.pathname.endsWith('.php') || api.search !== '' || api.hash !== '') {
      problems.push(
        "MW_API_URL must be the wiki's api.php, e.g. https://meta.wikimedia.org/w/api.php (or leave it unset to use the one beside index.php).",
      );
      return null;
    }
    if (wiki !== null) wiki = { ...wiki, apiUrl: api.href };
  }
  const rawIssuer = env.MW_ISSUER?.trim() ?? '';
  if (rawIssuer !== '') {
    const issuer = parseHttpUrl(rawIssuer);
    // An origin, as identify's `iss` is ($wgCanonicalServer: scheme, host and port, no path).
    if (
      issuer === null ||
      issuer.pathname !== '/' ||
      issuer.search !== '' ||
      issuer.hash !== '' ||
      issuer.username !== '' ||
      issuer.password !== ''
    ) {
      problems.push(
        "MW_ISSUER must be the wiki's canonical server, scheme and host only, e.g. https://meta.wikimedia.org (or leave it unset to use the origin of MW_INDEX_URL).",
      );
      return null;
    }
    if (wiki !== null) wiki = { ...wiki, issuer: issuer.origin };
  }
  return wiki;
}
