// The live tests' configuration, in one place (CONTRIBUTING.md): which variables each part needs, which of
// them are secret (never printed: scripts/test-live.ts redacts them from everything vitest prints),
// and how to read them. Each part runs only when all its variables are set, like pywikibot's OAuth
// tests, which run only when PYWIKIBOT_TEST_OAUTH holds the four owner-only values.
// LIVE_MW_OAUTH_VERSION=2.0 runs both parts with OAuth 2.0: an owner-only 2.0 client's access token
// (LIVE_OWNER_ACCESS_TOKEN alone) and an ordinary 2.0 client registered with LIVE_CALLBACK exactly.

export type LivePart = 'owner-only' | 'browser';

interface PartSpec {
  /** What the part does, for the skip line and the summary. */
  title: string;
  /** Its test file, relative to the repository root. */
  file: string;
  /** Every variable it needs with OAuth 1.0a (all must be non-empty). */
  required: readonly string[];
  /** Every variable it needs with LIVE_MW_OAUTH_VERSION=2.0. */
  required2: readonly string[];
}

const COMMON = ['LIVE_MW_INDEX_URL', 'USER_AGENT'] as const;

export const LIVE_PARTS: Readonly<Record<LivePart, PartSpec>> = {
  'owner-only': {
    title: 'the owner-only tests (identify, userinfo, one edit to User:<owner>/sandbox)',
    file: 'tests/live/owner-only.test.ts',
    required: [
      ...COMMON,
      'LIVE_OWNER_CONSUMER_KEY',
      'LIVE_OWNER_CONSUMER_SECRET',
      'LIVE_OWNER_ACCESS_TOKEN',
      'LIVE_OWNER_ACCESS_SECRET',
    ],
    // The owner-only 2.0 client's access token is all the wiki needs (fixtures o2-21, o2-22).
    required2: [...COMMON, 'LIVE_OWNER_ACCESS_TOKEN'],
  },
  browser: {
    title: "the browser test (the wiki's real login and authorize pages, the profile, log out)",
    file: 'tests/live/browser-login.test.ts',
    required: [...COMMON, 'LIVE_CONSUMER_KEY', 'LIVE_CONSUMER_SECRET', 'LIVE_USERNAME', 'LIVE_PASSWORD'],
    // LIVE_CONSUMER_SECRET is optional with 2.0: without it the app is a public client (PKCE only).
    // LIVE_CALLBACK: the client's registered callback, http://localhost:<port>/api/mwoauth/callback
    // (2.0 has no callback-is-prefix, so the app runs on that port).
    required2: [...COMMON, 'LIVE_CONSUMER_KEY', 'LIVE_CALLBACK', 'LIVE_USERNAME', 'LIVE_PASSWORD'],
  },
};

/** Every part, in the order they run. */
export const LIVE_PART_NAMES: readonly LivePart[] = ['owner-only', 'browser'];

/** Optional, for both parts. */
export const LIVE_OPTIONAL = ['LIVE_MW_API_URL', 'LIVE_MW_ISSUER', 'LIVE_MW_OAUTH_VERSION'] as const;

/** Values that must never reach output: scripts/test-live.ts replaces them with [redacted]. */
export const LIVE_SECRET_VARIABLES = [
  'LIVE_OWNER_CONSUMER_SECRET',
  'LIVE_OWNER_ACCESS_SECRET',
  'LIVE_CONSUMER_SECRET',
  'LIVE_PASSWORD',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string {
  return (env[name] ?? '').trim();
}

/** LIVE_MW_OAUTH_VERSION as the app reads MW_OAUTH_VERSION: 1.0a by default; null when invalid. */
export function liveProtocol(env: Env = process.env): '1.0a' | '2.0' | null {
  const raw = value(env, 'LIVE_MW_OAUTH_VERSION');
  if (raw === '' || raw === '1.0a' || raw === '1.0') return '1.0a';
  if (raw === '2.0' || raw === '2') return '2.0';
  return null;
}

/** The part's variables that are unset or empty, in the order they are listed. */
export function missingVariables(part: LivePart, env: Env = process.env): string[] {
  const spec = LIVE_PARTS[part];
  return (liveProtocol(env) === '2.0' ? spec.required2 : spec.required).filter(
    (name) => value(env, name) === '',
  );
}

/** The line printed for a part that does not run. */
export function skipLine(part: LivePart, env: Env = process.env): string {
  return `skipped: set ${missingVariables(part, env).join(', ')} to run ${LIVE_PARTS[part].title}`;
}

/** The wiki both parts talk to. */
export interface LiveWiki {
  indexUrl: string;
  /** LIVE_MW_API_URL, or api.php beside index.php. */
  apiUrl: string;
  /** LIVE_MW_ISSUER, or null (the origin of indexUrl, as lib/mwoauth's identify assumes). */
  issuer: string | null;
  userAgent: string;
}

export type OwnerOnlyConfig = LiveWiki &
  (
    | {
        protocol: '1.0a';
        consumer: { key: string; secret: string };
        accessToken: { key: string; secret: string };
      }
    | { protocol: '2.0'; bearer: string }
  );

export interface BrowserConfig extends LiveWiki {
  protocol: '1.0a' | '2.0';
  /** 2.0: the client ID and secret ('' for a public client). */
  consumer: { key: string; secret: string };
  /** 2.0: the registered callback (the app's redirect URI); null for 1.0a (callback-is-prefix, port 1). */
  callback: string | null;
  username: string;
  password: string;
}

function wiki(env: Env): LiveWiki {
  const indexUrl = value(env, 'LIVE_MW_INDEX_URL');
  const apiUrl = value(env, 'LIVE_MW_API_URL');
  const issuer = value(env, 'LIVE_MW_ISSUER');
  return {
    indexUrl,
    apiUrl: apiUrl === '' ? new URL('api.php', indexUrl).toString() : apiUrl,
    issuer: issuer === '' ? null : issuer,
    userAgent: value(env, 'USER_AGENT'),
  };
}

/**
 * Problems with the values themselves (not their absence), one message each, naming the variable and
 * the fix; empty when all is well. Never quotes a secret.
 */
export function invalidVariables(env: Env = process.env): string[] {
  const problems: string[] = [];
  const url = (name: string, example: string, mustEndWith: string): void => {
    const text = value(env, name);
    if (text === '') return;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      problems.push(`${name} is not a URL: give the wiki's ${mustEndWith}, e.g. ${example}`);
      return;
    }
    if (
      !/^https?:$/.test(parsed.protocol) ||
      parsed.search !== '' ||
      !parsed.pathname.endsWith(mustEndWith)
    ) {
      problems.push(`${name} must be the wiki's ${mustEndWith} (http or https, no query), e.g. ${example}`);
    }
  };
  url('LIVE_MW_INDEX_URL', 'https://test.wikipedia.org/w/index.php', 'index.php');
  url('LIVE_MW_API_URL', 'https://test.wikipedia.org/w/api.php', 'api.php');
  const issuer = value(env, 'LIVE_MW_ISSUER');
  if (issuer !== '' && !/^https?:\/\/[^/?#]+\/?$/.test(issuer)) {
    problems.push(
      "LIVE_MW_ISSUER must be the wiki's canonical server, scheme and host only, e.g. https://test.wikipedia.org",
    );
  }
  if (liveProtocol(env) === null) {
    problems.push(
      'LIVE_MW_OAUTH_VERSION must be "1.0a" (the default) or "2.0", as the consumers were registered.',
    );
  }
  const callback = value(env, 'LIVE_CALLBACK');
  if (callback !== '' && callbackPort(callback) === null) {
    problems.push(
      "LIVE_CALLBACK must be the OAuth 2.0 client's registered callback on this machine, " +
        'http://localhost:<port>/api/mwoauth/callback, e.g. http://localhost:3000/api/mwoauth/callback (the app runs on that port).',
    );
  }
  return problems;
}

/** The port of an http://localhost:<port>/api/mwoauth/callback URL, or null for anything else. */
export function callbackPort(callback: string): number | null {
  let url: URL;
  try {
    url = new URL(callback);
  } catch {
    return null;
  }
  const port = Number(url.port);
  const exact = `http://localhost:${url.port}/api/mwoauth/callback`;
  return url.href === exact && Number.isInteger(port) && port > 0 ? port : null;
}

/** The owner-only part's configuration, or null when a variable is missing. */
export function ownerOnlyConfig(env: Env = process.env): OwnerOnlyConfig | null {
  if (missingVariables('owner-only', env).length > 0) return null;
  if (liveProtocol(env) === '2.0') {
    return { ...wiki(env), protocol: '2.0', bearer: value(env, 'LIVE_OWNER_ACCESS_TOKEN') };
  }
  return {
    ...wiki(env),
    protocol: '1.0a',
    consumer: {
      key: value(env, 'LIVE_OWNER_CONSUMER_KEY'),
      secret: value(env, 'LIVE_OWNER_CONSUMER_SECRET'),
    },
    accessToken: {
      key: value(env, 'LIVE_OWNER_ACCESS_TOKEN'),
      secret: value(env, 'LIVE_OWNER_ACCESS_SECRET'),
    },
  };
}

/** The browser part's configuration, or null when a variable is missing. */
export function browserConfig(env: Env = process.env): BrowserConfig | null {
  if (missingVariables('browser', env).length > 0) return null;
  const protocol = liveProtocol(env) === '2.0' ? '2.0' : '1.0a';
  const callback = value(env, 'LIVE_CALLBACK');
  return {
    ...wiki(env),
    protocol,
    consumer: { key: value(env, 'LIVE_CONSUMER_KEY'), secret: value(env, 'LIVE_CONSUMER_SECRET') },
    callback: protocol === '2.0' && callback !== '' ? callback : null,
    username: value(env, 'LIVE_USERNAME'),
    // Not trimmed: a password may begin or end with a space.
    password: env.LIVE_PASSWORD ?? '',
  };
}

/** Every secret value in `env`, raw and URL-encoded, longest first (for redaction). */
export function secretValues(env: Env = process.env): string[] {
  const values = new Set<string>();
  // With OAuth 2.0 the owner-only access token is itself the secret (a Bearer token).
  const names = [
    ...LIVE_SECRET_VARIABLES,
    ...(liveProtocol(env) === '2.0' ? ['LIVE_OWNER_ACCESS_TOKEN'] : []),
  ];
  for (const name of names) {
    const raw = env[name] ?? '';
    if (raw.trim() === '') continue;
    values.add(raw);
    values.add(raw.trim());
    values.add(encodeURIComponent(raw));
    values.add(new URLSearchParams({ v: raw }).toString().slice(2));
  }
  return [...values].filter((v) => v !== '').sort((a, b) => b.length - a.length);
}

/** `text` with every secret value replaced by [redacted]. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}
