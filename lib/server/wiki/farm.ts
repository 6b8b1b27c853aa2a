import 'server-only';
import { MWOAuthError } from 'mwoauth';
import type { AppConfig, FarmWiki } from '../config';
import { AppError } from '../core/errors';
import type { TokenCache } from './deadline';

// One login, many wikis: which wiki a WikiUser's call goes to (the login wiki, or one of MW_WIKIS),
// and the two refusals only another wiki of the farm gives. A call to a wiki outside the list is
// refused here, before any request: the user's token never goes where the app was not told to send it.

/** A wiki a call goes to: the login wiki (`home`) or one of MW_WIKIS. */
export interface WikiTarget extends FarmWiki {
  /** True for the login wiki (MW_INDEX_URL / MW_API_URL). */
  readonly home: boolean;
  /** The `iss` identify answers with there, or null for the origin of indexUrl (MW_ISSUER; farm-07). */
  readonly issuer: string | null;
}

/** Which wiki a call goes to: its api.php URL, or its host (`commons.wikimedia.org`). */
export interface WikiChoice {
  /** Default: the login wiki. */
  readonly wiki?: string | null;
}

/** The login wiki as a target. */
export function homeWiki(config: AppConfig): WikiTarget {
  const { apiUrl, indexUrl, name, origin, issuer } = config.wiki;
  return { apiUrl, indexUrl, name, origin, issuer, home: true };
}

/** Every wiki the app may call as the user: the login wiki first, then MW_WIKIS in order. */
export function allowedWikis(config: AppConfig): readonly WikiTarget[] {
  return [homeWiki(config), ...config.wikis.map((w) => ({ ...w, issuer: null, home: false }))];
}

/** `wiki` as a URL (an api.php address) or null when it is a bare host. */
function asUrl(wiki: string): URL | null {
  if (!/^https?:\/\//i.test(wiki)) return null;
  try {
    return new URL(wiki);
  } catch {
    return null;
  }
}

/**
 * The allowed wiki `choice` names, or AppError `wiki_not_allowed` (nothing is sent). A URL must be
 * the wiki's api.php as configured (normalised: `HTTPS://Commons.Wikimedia.org/w/api.php` is
 * the same); a host is compared with each wiki's host (with its port, if any).
 */
export function resolveWiki(config: AppConfig, choice: WikiChoice = {}): WikiTarget {
  const wanted = choice.wiki?.trim() ?? '';
  const wikis = allowedWikis(config);
  const [home] = wikis;
  if (wanted === '' && home !== undefined) return home;
  const url = asUrl(wanted);
  const found = wikis.find((w) => (url === null ? w.name === wanted.toLowerCase() : w.apiUrl === url.href));
  if (found !== undefined) return found;
  throw new AppError(
    'wiki_not_allowed',
    `This app may not call ${JSON.stringify(wanted.slice(0, 200))} as the user: it is neither the login wiki (${config.wiki.apiUrl}) nor in MW_WIKIS (${config.wikis.length === 0 ? 'unset' : config.wikis.map((w) => w.apiUrl).join(', ')}). Add its api.php URL to MW_WIKIS to allow it.`,
    {
      problems: [
        `The app called a wiki that is not in MW_WIKIS: add its api.php URL to MW_WIKIS (comma-separated), or call one of ${wikis.map((w) => w.name).join(', ')}.`,
      ],
    },
  );
}

/** True for the AppError resolveWiki throws for a wiki outside MW_WIKIS. */
export function isWikiNotAllowed(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'wiki_not_allowed';
}

/**
 * The consumer is registered for another wiki than the one called (its "Applicable project",
 * oarc_wiki): api.php and identify answer mwoauth-invalid-authorization-wrong-wiki there, in both
 * protocols (REL1_39 SessionProvider::provideSessionInfo; fixtures farm-14, farm-15).
 */
export const WRONG_WIKI = 'mwoauth-invalid-authorization-wrong-wiki';

/**
 * The user has no local account on the wiki called yet (wikis older than mid-2026 do not create it
 * on an OAuth request: farm-17, farm-18, farm-20); logging in there once makes it (farm-21).
 */
export const NO_LOCAL_ACCOUNT = 'mwoauth-invalid-authorization-invalid-user';

/**
 * True for the two refusals of a farm's other wikis. Neither says anything about the login: the
 * token is good (it works on the login wiki), only not there. Both flows judge them 'keep'
 * (login/oauth1.ts, login/oauth2.ts): ending the login over them would log the user out of every
 * wiki because one wiki does not know them yet.
 */
export function isFarmRefusal(error: unknown): error is MWOAuthError {
  return (
    error instanceof MWOAuthError &&
    error.code === 'mediawiki' &&
    (error.mediawikiCode === WRONG_WIKI || error.mediawikiCode === NO_LOCAL_ACCOUNT)
  );
}

/** A call's wiki, checked, with that wiki's token cache (login/flow.ts WikiCall). */
export interface WikiCallOn {
  readonly wiki: WikiTarget;
  readonly tokens: TokenCache;
}

/**
 * For one WikiUser (one request): `choice` resolved (AppError `wiki_not_allowed` before any request
 * for a wiki outside MW_WIKIS) with the token cache of that wiki, made on first use and kept for the
 * rest of the request. Tokens are keyed by the wiki's api.php: never one wiki's for another
 * (farm-05, farm-06).
 */
export function wikiCalls(config: AppConfig): (choice?: WikiChoice) => WikiCallOn {
  const caches = new Map<string, TokenCache>();
  return (choice) => {
    const wiki = resolveWiki(config, choice);
    let tokens = caches.get(wiki.apiUrl);
    if (tokens === undefined) caches.set(wiki.apiUrl, (tokens = new Map()));
    return { wiki, tokens };
  };
}
