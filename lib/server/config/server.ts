import 'server-only';
import { secureCookiesFor } from '../http/origin';
import { parseHttpUrl, type Env } from './env';

// The server's own settings: USER_AGENT, APP_URL, MW_TIMEOUT_MS, INITIATE_RATE_LIMIT, TRUST_PROXY.

export interface RateLimitConfig {
  /** Requests allowed per window and client. */
  readonly max: number;
  /** The window, in seconds. */
  readonly windowS: number;
}

/**
 * The User-Agent placeholders of .env.example, this file's messages and lib/mwoauth's: they name no
 * tool and reach no one, so Wikimedia's operators could not contact the tool's maintainer.
 */
function isPlaceholderUserAgent(userAgent: string): boolean {
  const ua = userAgent.toLowerCase();
  return ua.startsWith('my-tool/') || ua.includes('me@example.org');
}

/** MW_TIMEOUT_MS when unset: lib/mwoauth's own default deadline. */
export const DEFAULT_WIKI_TIMEOUT_MS = 10_000;
/** INITIATE_RATE_LIMIT when unset: a person needs one or two; a script looping on initiate, thousands. */
export const DEFAULT_INITIATE_RATE_LIMIT: RateLimitConfig = { max: 10, windowS: 60 };

/** Used outside production when USER_AGENT is unset; names the project so wiki admins know. */
export const DEV_USER_AGENT = 'next-mwoauth-dev/0.1 (development server; set USER_AGENT before deploying)';

/** USER_AGENT: required in production (with a real contact), a development default otherwise. */
export function readUserAgent(env: Env, production: boolean, problems: string[]): string {
  let userAgent = env.USER_AGENT?.trim() ?? '';
  if (userAgent === '') {
    if (production) {
      problems.push(
        'USER_AGENT is not set: Wikimedia wikis require a descriptive User-Agent with contact details, e.g. "my-tool/1.0 (https://my-tool.toolforge.org; me@example.org)".',
      );
    } else {
      userAgent = DEV_USER_AGENT;
    }
  } else if (production && isPlaceholderUserAgent(userAgent)) {
    problems.push(
      'USER_AGENT is the example from .env.example: name your tool and give a real contact (a URL and an e-mail address or wiki user page), as the Wikimedia User-Agent policy asks, e.g. "<tool-name>/<version> (https://<tool-name>.toolforge.org; <your e-mail>)".',
    );
  }
  return userAgent;
}

/**
 * `APP_URL`: our public origin, or null to take it from each request. Required in production,
 * except on Vercel:
 * - `next start` builds the URL a route handler sees from the address it listens on (its
 *   `--hostname` and port: next/dist/server/next-server.js, attachRequestMeta), never from the
 *   request's Host; only the scheme comes from X-Forwarded-Proto. Under the Procfile that is
 *   https://0.0.0.0:8000 behind Toolforge's proxy (seen in a run with `Host: <tool>.toolforge.org`),
 *   so without APP_URL every redirect after a login would send the browser to an address that is
 *   nobody's, every log-out would be refused, and with `--hostname localhost` the cookies would
 *   even lose `Secure`. No request can tell us the public origin reliably (what Toolforge's front
 *   proxy sends is not documented), so we ask for it.
 * - A build on Vercel sets Next's `trustHostHeader` (next/dist/build/index.js: hasNextSupport), so
 *   the URL is `https://` + the Host the visitor used, which Vercel sets to the domain as accessed
 *   (https://vercel.com/docs/headers/request-headers). `VERCEL=1` at run time says we are there
 *   (https://vercel.com/docs/environment-variables/system-environment-variables). Then each
 *   deployment URL, branch URL and domain answers as itself: see docs/vercel.md.
 */
export function readAppOrigin(env: Env, production: boolean, problems: string[]): string | null {
  const raw = env.APP_URL?.trim() ?? '';
  if (raw === '') {
    if (production && env.VERCEL?.trim() !== '1') {
      problems.push(
        'APP_URL is not set: in production the app needs the public origin its visitors use, for redirects, the log-out check and the Secure cookie flag, e.g. https://my-tool.toolforge.org (or http://localhost:3000 to try a production build on your own machine). Only on Vercel may it be left unset.',
      );
    }
    return null;
  }
  const url = parseHttpUrl(raw);
  if (
    url === null ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    problems.push(
      'APP_URL must be the public origin of this app, scheme and host only, e.g. https://my-tool.toolforge.org.',
    );
    return null;
  }
  // Cookies are Secure on every host but this machine (origin.ts secureCookiesFor), and browsers
  // ignore a Secure cookie set by an http:// page (RFC 6265bis, storage model), so no login could
  // succeed.
  if (url.protocol === 'http:' && secureCookiesFor(url.origin)) {
    problems.push(
      'APP_URL uses http:// for a host other than localhost: the session cookies are Secure there and browsers drop Secure cookies sent over http://, so no login could succeed; use https://, e.g. https://my-tool.toolforge.org.',
    );
    return null;
  }
  return url.origin;
}

export function readWikiTimeout(env: Env, problems: string[]): number {
  const raw = env.MW_TIMEOUT_MS?.trim() ?? '';
  if (raw === '') return DEFAULT_WIKI_TIMEOUT_MS;
  const ms = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= 1000 && ms <= 120_000)) {
    problems.push(
      'MW_TIMEOUT_MS must be a whole number of milliseconds from 1000 to 120000, e.g. 10000 (or leave it unset for 10 s).',
    );
    return DEFAULT_WIKI_TIMEOUT_MS;
  }
  return ms;
}

export function readRateLimit(env: Env, problems: string[]): RateLimitConfig | null {
  const raw = env.INITIATE_RATE_LIMIT?.trim().toLowerCase() ?? '';
  if (raw === '') return DEFAULT_INITIATE_RATE_LIMIT;
  if (raw === 'off') return null;
  const m = /^(\d{1,6})\s*\/\s*(\d{1,6})$/.exec(raw);
  const max = Number(m?.[1]);
  const windowS = Number(m?.[2]);
  if (m === null || max < 1 || windowS < 1) {
    problems.push(
      'INITIATE_RATE_LIMIT must be "<logins>/<seconds>", e.g. 10/60 (ten logins started per client per minute), or "off".',
    );
    return DEFAULT_INITIATE_RATE_LIMIT;
  }
  return { max, windowS };
}

export function readTrustProxy(env: Env, problems: string[]): boolean {
  const raw = env.TRUST_PROXY?.trim().toLowerCase() ?? '';
  if (raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  problems.push(
    'TRUST_PROXY must be "true" (the first X-Forwarded-For entry is the visitor: your front proxy replaces the header) or "false" (the default: the last entry).',
  );
  return false;
}

/**
 * `WIKI_COOKIES`: `on` (the default) keeps the cookies the wiki sets (its `sessionJwt`) per login
 * and sends them back with that login's requests (lib/server/wiki/cookies.ts); `off` keeps none:
 * on Wikimedia, every OAuth 1.0a request then counts against the server's anonymous per-IP budget.
 */
export function readWikiCookies(env: Env, problems: string[]): boolean {
  const raw = env.WIKI_COOKIES?.trim().toLowerCase() ?? '';
  if (raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  problems.push(
    'WIKI_COOKIES must be "on" (the default: keep the wiki\'s cookies per login, as Wikimedia\'s rate limits need) or "off".',
  );
  return true;
}
