import 'server-only';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { makeToken, type ConsumerToken } from '@/lib/mwoauth';
import { AppError } from './errors';
import { secureCookiesFor } from './origin';

// The app's configuration, read from the environment and validated in ONE place (STYLE.md §7).
// It is read lazily, at request time, so `next build` works with no environment at all; in
// production, instrumentation.ts calls `getConfig()` at startup so a bad deploy stops at once with
// one message naming every problem (never a value: some of them are secrets).

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

export interface SessionConfig {
  /**
   * iron-session password map: every secret of `SESSION_SECRET` under an id derived from the
   * secret itself, so a cookie sealed under a secret still unseals after any number of rotations
   * for as long as that secret stays in the list (positional ids would shift and log everyone out).
   */
  readonly passwords: Readonly<Record<string, string>>;
  /** The id of the first (current) secret: new cookies are sealed with it. */
  readonly currentPasswordId: string;
}

export interface AppConfig {
  readonly wiki: WikiConfig;
  /**
   * The consumer's key and secret, from Special:OAuthConsumerRegistration; its secret prints as
   * [redacted] (lib/mwoauth's makeToken).
   */
  readonly consumer: ConsumerToken;
  /** `oob` (the wiki sends users to the registered callback) or a URL under a callback-is-prefix one. */
  readonly callback: string;
  readonly session: SessionConfig;
  /** Sent with every request to the wiki (Wikimedia User-Agent policy). */
  readonly userAgent: string;
  /**
   * The public origin (`APP_URL`), or null to take it from each request (outside production, and
   * on Vercel: see readAppOrigin).
   */
  readonly appOrigin: string | null;
  /**
   * `MW_TIMEOUT_MS`: how long one request of ours may wait on the wiki, all its calls together
   * (connect, headers and body of each; see WikiDeadline in wiki.ts), so a hung or trickling wiki
   * cannot hold a request of ours open. Default 10 000 (lib/mwoauth's default).
   */
  readonly wikiTimeoutMs: number;
  /**
   * `INITIATE_RATE_LIMIT`: logins a client may start per window, or null when turned off. Each start
   * makes the wiki hold a request token for 600 s (_facts.json), so a loop on initiate is abuse of
   * the wiki as much as of us. Default 10 per 60 s.
   */
  readonly initiateRateLimit: RateLimitConfig | null;
  /**
   * `TRUST_PROXY`: true when the first X-Forwarded-For entry is the visitor's (the front proxy
   * replaces the header, inner ones append). See lib/server/rate-limit.ts and SECURITY.md.
   */
  readonly trustProxy: boolean;
}

export interface RateLimitConfig {
  /** Requests allowed per window and client. */
  readonly max: number;
  /** The window, in seconds. */
  readonly windowS: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** iron-session (and the Fe26 seal it uses) needs at least 32 characters of password. */
export const MIN_SECRET_LENGTH = 32;

/**
 * Secrets published in documentation and examples: anyone can forge a session sealed with them.
 * Compared after trimming and lower-casing.
 */
const WELL_KNOWN_SECRETS: readonly string[] = [
  // iron-session's README and examples
  'complex_password_at_least_32_characters_long',
  'complex_password_at_least_32_characters_long_and_more',
  // What people paste from tutorials and our own .env.example comments
  'replace-me-with-at-least-32-random-characters',
  'change-me-to-at-least-32-random-characters',
  'your-secret-key-at-least-32-characters-long',
  'this-is-a-secret-value-with-at-least-32-characters',
  'at-least-32-characters-long-secret-key',
];

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

/**
 * Gives `value` a non-enumerable toJSON and util.inspect.custom showing `view()` instead, so that
 * console.log(getConfig()) or JSON.stringify(config) prints no secret (STYLE.md §11), while code
 * that reads the fields (iron-session's password map, lib/mwoauth's consumer) still gets them.
 * Non-enumerable: Object.assign and spreads copy the real fields only.
 */
function printedAs<T extends object>(value: T, view: () => unknown): T {
  Object.defineProperties(value, {
    toJSON: { value: view, enumerable: false },
    [inspect.custom]: {
      value: (_depth: number, options: object): string => inspect(view(), options),
      enumerable: false,
    },
  });
  return value;
}

function redactedPasswords(passwords: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(passwords).map((id) => [id, '[redacted]']));
}

function redactedSession(session: SessionConfig): Record<string, unknown> {
  return { passwords: redactedPasswords(session.passwords), currentPasswordId: session.currentPasswordId };
}

function parseHttpUrl(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}

/** The password id iron-session stores in each seal: decimal (it picks the current one by number). */
export function passwordIdFor(secret: string): string {
  const digest = createHash('sha256').update(`next-mwoauth session password id\0${secret}`).digest('hex');
  // 48 bits: exact in a double, and a collision between two secrets of one list is negligible.
  return String(parseInt(digest.slice(0, 12), 16) + 1);
}

function checkSecret(secret: string, position: string, problems: string[]): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    problems.push(
      `SESSION_SECRET${position} is ${secret.length} characters long; it needs at least ${MIN_SECRET_LENGTH} random characters (generate one with: openssl rand -base64 32).`,
    );
    return;
  }
  if (WELL_KNOWN_SECRETS.includes(secret.trim().toLowerCase())) {
    problems.push(
      `SESSION_SECRET${position} is a published example value, so anyone could forge a session; generate your own with: openssl rand -base64 32.`,
    );
    return;
  }
  // 'aaaa…' or '0123012301230123…' pass the length check but are guessable.
  if (new Set(secret).size < 10) {
    problems.push(
      `SESSION_SECRET${position} repeats too few different characters to be secret; generate one with: openssl rand -base64 32.`,
    );
  }
}

function readSessionSecrets(raw: string | undefined, problems: string[]): SessionConfig | null {
  if (raw === undefined || raw.trim() === '') {
    problems.push(
      'SESSION_SECRET is not set: it seals the session cookies; set at least 32 random characters (openssl rand -base64 32).',
    );
    return null;
  }
  // Rotation: "new,old[,older]". The first seals new cookies; the others still unseal.
  const secrets = raw.split(',').map((s) => s.trim());
  const before = problems.length;
  secrets.forEach((secret, i) => {
    const position = secrets.length > 1 ? ` (entry ${i + 1} of ${secrets.length})` : '';
    if (secret === '') {
      problems.push(`SESSION_SECRET${position} is empty: remove the stray comma.`);
      return;
    }
    checkSecret(secret, position, problems);
  });
  if (new Set(secrets).size !== secrets.length) {
    problems.push(
      'SESSION_SECRET lists the same secret twice: keep each secret once, the current one first.',
    );
  }
  if (problems.length > before) return null;
  const passwords: Record<string, string> = {};
  for (const secret of secrets) passwords[passwordIdFor(secret)] = secret;
  const first = secrets[0];
  if (first === undefined) return null;
  const session: SessionConfig = {
    passwords: printedAs(passwords, () => redactedPasswords(passwords)),
    currentPasswordId: passwordIdFor(first),
  };
  return printedAs(session, () => redactedSession(session));
}

function readWiki(env: Env, problems: string[]): WikiConfig | null {
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

function readCallback(env: Env, problems: string[]): string {
  const raw = env.MW_CALLBACK?.trim() ?? '';
  if (raw === '' || raw === 'oob') return 'oob';
  const url = parseHttpUrl(raw);
  if (url === null) {
    problems.push(
      'MW_CALLBACK must be "oob" (the wiki sends users to the callback URL you registered) or an http(s) URL under the registered callback-is-prefix URL, e.g. https://my-tool.toolforge.org/api/mwoauth/callback.',
    );
    return 'oob';
  }
  return url.href;
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
function readAppOrigin(env: Env, production: boolean, problems: string[]): string | null {
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

function readWikiTimeout(env: Env, problems: string[]): number {
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

function readRateLimit(env: Env, problems: string[]): RateLimitConfig | null {
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

function readTrustProxy(env: Env, problems: string[]): boolean {
  const raw = env.TRUST_PROXY?.trim().toLowerCase() ?? '';
  if (raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  problems.push(
    'TRUST_PROXY must be "true" (the first X-Forwarded-For entry is the visitor: your front proxy replaces the header) or "false" (the default: the last entry).',
  );
  return false;
}

/**
 * Reads and validates the configuration from `env` (default: `process.env`). Throws one `AppError`
 * (`invalid_config`) listing every problem, each naming the variable and the fix, never a value.
 */
export function readConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';

  const wiki = readWiki(env, problems);

  const key = env.MW_CONSUMER_KEY?.trim() ?? '';
  const secret = env.MW_CONSUMER_SECRET?.trim() ?? '';
  if (key === '') {
    problems.push(
      'MW_CONSUMER_KEY is not set: register a consumer at Special:OAuthConsumerRegistration/propose on the wiki (OAuth 1.0a) and copy its consumer key.',
    );
  }
  if (secret === '') {
    problems.push(
      'MW_CONSUMER_SECRET is not set: copy the consumer secret shown once when the consumer was registered.',
    );
  }

  const callback = readCallback(env, problems);
  const session = readSessionSecrets(env.SESSION_SECRET, problems);

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

  const appOrigin = readAppOrigin(env, production, problems);
  const wikiTimeoutMs = readWikiTimeout(env, problems);
  const initiateRateLimit = readRateLimit(env, problems);
  const trustProxy = readTrustProxy(env, problems);

  if (problems.length > 0 || wiki === null || session === null) {
    const list = problems.map((p) => `  - ${p}`).join('\n');
    throw new AppError(
      'invalid_config',
      `next-mwoauth is not configured correctly (${problems.length} problem${problems.length === 1 ? '' : 's'}; see .env.example):\n${list}`,
      { problems },
    );
  }
  const config: AppConfig = {
    wiki,
    consumer: makeToken(key, secret),
    callback,
    session,
    userAgent,
    appOrigin,
    wikiTimeoutMs,
    initiateRateLimit,
    trustProxy,
  };
  return printedAs(config, () => ({
    ...config,
    consumer: { key: config.consumer.key, secret: '[redacted]' },
    session: redactedSession(session),
  }));
}

let cached: { env: string; config: AppConfig } | null = null;

/**
 * The configuration from `process.env`, validated. Cached while the relevant variables stay the
 * same (tests change them between cases).
 */
export function getConfig(): AppConfig {
  const fingerprint = JSON.stringify(
    [
      'MW_INDEX_URL',
      'MW_API_URL',
      'MW_ISSUER',
      'MW_CONSUMER_KEY',
      'MW_CONSUMER_SECRET',
      'MW_CALLBACK',
      'SESSION_SECRET',
      'USER_AGENT',
      'APP_URL',
      'VERCEL',
      'MW_TIMEOUT_MS',
      'INITIATE_RATE_LIMIT',
      'TRUST_PROXY',
      'NODE_ENV',
    ].map((name) => process.env[name] ?? null),
  );
  if (cached !== null && cached.env === fingerprint) return cached.config;
  const config = readConfig(process.env);
  cached = { env: fingerprint, config };
  return config;
}
