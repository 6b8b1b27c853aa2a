import 'server-only';
import { AppError } from '../core/errors';
import type { Env } from './env';
import { readOAuth, type OAuth1Config, type OAuth2Config, type OAuthConfig } from './oauth';
import { printedAs, redactedSession } from './redact';
import {
  readAppOrigin,
  readRateLimit,
  readTrustProxy,
  readUserAgent,
  readWikiCookies,
  readWikiTimeout,
  type RateLimitConfig,
} from './server';
import { readStoreConfig, type StoreConfig } from './redis';
import { readSessionSecrets, type SessionConfig } from './session';
import { readWiki, type WikiConfig } from './wiki';
import { readWikis, type FarmWiki } from './wikis';

// The app's configuration, read from the environment and validated in ONE place (CONTRIBUTING.md),
// one file a concern beside this one. It is read lazily, at request time, so `next build` works
// with no environment at all; in production, instrumentation.ts calls `getConfig()` at startup so
// a bad deploy stops at once with one message naming every problem (never a value: some of them
// are secrets).

export type { Env } from './env';
export { CALLBACK_PATH, type OAuth1Config, type OAuth2Config, type OAuthConfig } from './oauth';
export {
  DEFAULT_INITIATE_RATE_LIMIT,
  DEFAULT_WIKI_TIMEOUT_MS,
  DEV_USER_AGENT,
  type RateLimitConfig,
} from './server';
export { redactedRedisUrl, type StoreConfig } from './redis';
export { MIN_SECRET_LENGTH, passwordIdFor, type SessionConfig } from './session';
export type { WikiConfig } from './wiki';
export type { FarmWiki } from './wikis';

/** Every environment variable the configuration reads: getConfig's cache key (a new one goes here). */
export const CONFIG_VARIABLES = [
  'MW_INDEX_URL',
  'MW_API_URL',
  'MW_ISSUER',
  'MW_WIKIS',
  'MW_CONSUMER_KEY',
  'MW_CONSUMER_SECRET',
  'MW_CALLBACK',
  'MW_OAUTH_VERSION',
  'SESSION_SECRET',
  'USER_AGENT',
  'APP_URL',
  'VERCEL',
  'MW_TIMEOUT_MS',
  'INITIATE_RATE_LIMIT',
  'TRUST_PROXY',
  'SESSION_STORE',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'WIKI_COOKIES',
  'NODE_ENV',
] as const;

interface CommonConfig {
  readonly wiki: WikiConfig;
  /**
   * `MW_WIKIS`: the other wikis of the farm the app may call as the user (WikiUser.withWiki's
   * `wiki`), in the order listed; [] when unset. The login wiki is always allowed and never listed.
   */
  readonly wikis: readonly FarmWiki[];
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
   * (connect, headers and body of each; see WikiDeadline in wiki/deadline.ts), so a hung or
   * trickling wiki cannot hold a request of ours open. Default 10 000 (lib/mwoauth's default).
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
   * replaces the header, inner ones append). See lib/server/rate-limit/initiate.ts and SECURITY.md.
   */
  readonly trustProxy: boolean;
  /**
   * `SESSION_STORE` (`cookie`, the default, or `redis`) with `REDIS_URL` and `REDIS_KEY_PREFIX`:
   * where the login lives (lib/server/wiring/app.ts picks the store). The URL prints redacted.
   */
  readonly store: StoreConfig;
  /** `WIKI_COOKIES` (default on): keep the wiki's cookies per login (lib/server/wiki/cookies.ts). */
  readonly wikiCookies: boolean;
  /** `NODE_ENV=production`: stricter checks, and no error details on pages. */
  readonly production: boolean;
}

/** The configuration: the common settings and the protocol's (`protocol` tells which). */
export type AppConfig = CommonConfig & OAuthConfig;
/** The configuration of an OAuth 1.0a app (login/oauth1.ts). */
export type OAuth1AppConfig = CommonConfig & OAuth1Config;
/** The configuration of an OAuth 2.0 app (login/oauth2.ts). */
export type OAuth2AppConfig = CommonConfig & OAuth2Config;

/**
 * Whether this is a production server, for the code that must know without a configuration (the
 * page that says the configuration is broken); with one, read `config.production`.
 */
export function isProduction(env: Env = process.env): boolean {
  return env.NODE_ENV === 'production';
}

/**
 * Reads and validates the configuration from `env` (default: `process.env`). Throws one `AppError`
 * (`invalid_config`) listing every problem, each naming the variable and the fix, never a value.
 */
export function readConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const production = isProduction(env);

  const wiki = readWiki(env, problems);
  const wikis = readWikis(env, production, wiki, problems);
  const oauth = readOAuth(env, problems);
  const session = readSessionSecrets(env.SESSION_SECRET, problems);
  const userAgent = readUserAgent(env, production, problems);
  const appOrigin = readAppOrigin(env, production, problems);
  const wikiTimeoutMs = readWikiTimeout(env, problems);
  const initiateRateLimit = readRateLimit(env, problems);
  const trustProxy = readTrustProxy(env, problems);
  const store = readStoreConfig(env, problems);
  const wikiCookies = readWikiCookies(env, problems);

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
    wikis,
    ...oauth,
    session,
    userAgent,
    appOrigin,
    wikiTimeoutMs,
    initiateRateLimit,
    trustProxy,
    store,
    wikiCookies,
    production,
  };
  return printedAs(config, () => ({
    ...config,
    ...(config.protocol === '1.0a'
      ? { consumer: { key: config.consumer.key, secret: '[redacted]' } }
      : {
          client: {
            clientId: config.client.clientId,
            clientSecret: config.client.clientSecret === null ? null : '[redacted]',
          },
        }),
    session: redactedSession(session),
  }));
}

let cached: { env: string; config: AppConfig } | null = null;

const FROZEN = Symbol.for('next-mwoauth.config-frozen');

/**
 * Called by a production server once it has checked its configuration at start (instrumentation.ts):
 * its environment no longer changes, so getConfig stops comparing the variables on every call. The
 * comparison reads each of CONFIG_VARIABLES from `process.env` (a call into Node's C++ each): about
 * 33 µs, several times a request (proxy.ts, the page, its layout). On globalThis: Next instantiates
 * this module once per bundle (routes, proxy.ts, pages), and each keeps its own cache.
 */
export function freezeConfig(): void {
  Object.defineProperty(globalThis, FROZEN, { value: true, enumerable: false, configurable: true });
}

/**
 * The configuration from `process.env`, validated. Cached while the variables it reads stay the
 * same (tests change them between cases), and for good once freezeConfig() was called.
 */
export function getConfig(): AppConfig {
  if (cached !== null && Reflect.get(globalThis, FROZEN) === true) return cached.config;
  const fingerprint = JSON.stringify(CONFIG_VARIABLES.map((name) => process.env[name] ?? null));
  if (cached !== null && cached.env === fingerprint) return cached.config;
  const config = readConfig(process.env);
  cached = { env: fingerprint, config };
  return config;
}
