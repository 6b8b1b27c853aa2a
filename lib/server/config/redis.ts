import 'server-only';
import { inspect } from 'node:util';

// SESSION_STORE, REDIS_URL and REDIS_KEY_PREFIX, read the way
// lib/server/config.ts reads the rest: each problem is one line naming the variable and the fix,
// pushed onto the caller's list, and no line ever contains a value (REDIS_URL may hold a password).

export type Env = Readonly<Record<string, string | undefined>>;

export type StoreConfig =
  | { readonly kind: 'cookie' }
  | {
      readonly kind: 'redis';
      /** REDIS_URL as given (it may carry a user and password: it prints redacted). */
      readonly url: string;
      /** REDIS_KEY_PREFIX, or null: derived from SESSION_SECRET (session/redis-store.ts). */
      readonly keyPrefix: string | null;
    };

/** A configured prefix must be unguessable too: Toolforge's Redis is shared by every tool. */
export const MIN_KEY_PREFIX_LENGTH = 16;
export const MAX_KEY_PREFIX_LENGTH = 100;

/** `url` with its user and password replaced by [redacted], for printing; '[invalid URL]' if it does not parse. */
export function redactedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const auth = parsed.username !== '' || parsed.password !== '' ? '[redacted]@' : '';
    return `${parsed.protocol}//${auth}${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '[invalid URL]';
  }
}

function readUrl(env: Env, problems: string[]): string | null {
  const raw = env.REDIS_URL?.trim() ?? '';
  const example =
    'e.g. redis://<host>:6379 (on Toolforge the shared Redis service of Help:Toolforge/Redis for Toolforge), or rediss://default:<password>@<host>:6379 for a hosted Redis';
  if (raw === '') {
    problems.push(`REDIS_URL is not set: SESSION_STORE=redis needs the Redis server's URL, ${example}.`);
    return null;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(
      `REDIS_URL is not a URL: give redis://[user:password@]host[:port][/db] (percent-encode special characters of the password), ${example}.`,
    );
    return null;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    problems.push(`REDIS_URL must start with redis:// or rediss:// (TLS), ${example}.`);
    return null;
  }
  if (url.hostname === '') {
    problems.push(`REDIS_URL names no host: give redis://host[:port], ${example}.`);
    return null;
  }
  // node-redis reads the database number from the path; anything else would be silently ignored.
  if (!/^(\/(\d{1,2})?)?$/.test(url.pathname) || url.search !== '' || url.hash !== '') {
    problems.push(
      'REDIS_URL may end with a database number (/0 to /15) but has no other path, query or fragment: remove them.',
    );
    return null;
  }
  return raw;
}

function readKeyPrefix(env: Env, problems: string[]): string | null {
  const raw = env.REDIS_KEY_PREFIX;
  if (raw === undefined || raw.trim() === '') return null;
  const prefix = raw.trim();
  if (prefix.length < MIN_KEY_PREFIX_LENGTH || prefix.length > MAX_KEY_PREFIX_LENGTH) {
    problems.push(
      `REDIS_KEY_PREFIX must be ${MIN_KEY_PREFIX_LENGTH} to ${MAX_KEY_PREFIX_LENGTH} characters long, so that other tools sharing the Redis server cannot guess it, e.g. "mytool:" followed by the output of: openssl rand -hex 8 (or leave it unset to derive one from SESSION_SECRET).`,
    );
    return null;
  }
  if (!/^[A-Za-z0-9:._-]+$/.test(prefix)) {
    problems.push(
      'REDIS_KEY_PREFIX may only contain letters, digits and : . _ - (no spaces, no glob characters such as * ? [ ]).',
    );
    return null;
  }
  return prefix;
}

/** Gives a redis config a printed form with the URL redacted (CONTRIBUTING.md), as config.ts does. */
function printedRedacted(config: StoreConfig & { kind: 'redis' }): StoreConfig {
  const view = (): object => ({ ...config, url: redactedRedisUrl(config.url) });
  Object.defineProperties(config, {
    toJSON: { value: view, enumerable: false },
    [inspect.custom]: {
      value: (_depth: number, options: object): string => inspect(view(), options),
      enumerable: false,
    },
  });
  return config;
}

/**
 * Reads SESSION_STORE (`cookie`, the default, or `redis`), and with `redis` REDIS_URL and
 * REDIS_KEY_PREFIX. Problems are pushed onto `problems`; then the cookie store is returned, so the
 * caller's one AppError('invalid_config') lists them with every other problem.
 */
export function readStoreConfig(env: Env, problems: string[]): StoreConfig {
  const kind = env.SESSION_STORE?.trim().toLowerCase() ?? '';
  if (kind === '' || kind === 'cookie') return { kind: 'cookie' };
  if (kind !== 'redis') {
    problems.push(
      'SESSION_STORE must be "cookie" (the default: the session sealed in the cookie) or "redis" (sessions kept in Redis at REDIS_URL).',
    );
    return { kind: 'cookie' };
  }
  const before = problems.length;
  const url = readUrl(env, problems);
  const keyPrefix = readKeyPrefix(env, problems);
  if (url === null || problems.length > before) return { kind: 'cookie' };
  return printedRedacted({ kind: 'redis', url, keyPrefix });
}
