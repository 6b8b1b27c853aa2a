import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONFIG_VARIABLES,
  DEV_USER_AGENT,
  freezeConfig,
  getConfig,
  passwordIdFor,
  type Env,
} from '@/lib/server/config';
import { readOAuth1Config } from '@/tests/support/oauth1-config';
import { AppError } from '@/lib/server/core/errors';

const GOOD_SECRET = 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1';
const OLD_SECRET = 'Yq5Lr8Nw2Tz4Vb7Xc1Md3Kf6Hj9Gp0Sa';

const valid: Env = {
  MW_INDEX_URL: 'https://meta.wikimedia.org/w/index.php',
  MW_CONSUMER_KEY: 'c0ffee',
  MW_CONSUMER_SECRET: 'consumer-secret-value',
  SESSION_SECRET: GOOD_SECRET,
  USER_AGENT: 'my-tool/1.0 (https://my-tool.toolforge.org; me@example.org)',
};

/** `valid` as a production deployment needs it: its public origin, a User-Agent with a contact. */
const production: Env = {
  ...valid,
  NODE_ENV: 'production',
  APP_URL: 'https://my-tool.toolforge.org',
  USER_AGENT: 'sandbox-helper/0.3 (https://sandbox-helper.toolforge.org; maintainer@wikimedia.example)',
};

function problemsOf(env: Env): readonly string[] {
  try {
    readOAuth1Config(env);
  } catch (error) {
    if (error instanceof AppError && error.code === 'invalid_config') return error.problems;
    throw error;
  }
  return [];
}

describe('readConfig', () => {
  it('should read a complete environment, with api.php beside index.php and oob by default', () => {
    const config = readOAuth1Config(valid);
    expect(config.wiki).toEqual({
      indexUrl: 'https://meta.wikimedia.org/w/index.php',
      apiUrl: 'https://meta.wikimedia.org/w/api.php',
      name: 'meta.wikimedia.org',
      origin: 'https://meta.wikimedia.org',
      issuer: null,
    });
    expect(config.consumer).toEqual({ key: 'c0ffee', secret: 'consumer-secret-value' });
    expect(config.callback).toBe('oob');
    expect(config.appOrigin).toBeNull();
  });

  it('should print no secret: the consumer secret and the session secrets show as [redacted]', () => {
    const config = readOAuth1Config({ ...valid, SESSION_SECRET: `${GOOD_SECRET},${OLD_SECRET}` });
    const shown = [
      inspect(config, { depth: 10 }),
      String(config),
      JSON.stringify(config),
      inspect(config.consumer),
      `${config.consumer}`,
      inspect(config.session, { depth: 10 }),
      JSON.stringify(config.session),
      inspect(config.session.passwords),
      JSON.stringify(config.session.passwords),
    ];
    for (const text of shown) {
      for (const secret of ['consumer-secret-value', GOOD_SECRET, OLD_SECRET])
        expect(text).not.toContain(secret);
    }
    expect(inspect(config, { depth: 10 })).toContain('[redacted]');
    expect(inspect(config, { depth: 10 })).toContain('c0ffee');
    // What the code reads is the real thing.
    expect(config.consumer.secret).toBe('consumer-secret-value');
    expect(Object.values(config.session.passwords)).toEqual([GOOD_SECRET, OLD_SECRET]);
  });

  it('should take MW_API_URL, MW_CALLBACK and APP_URL when given', () => {
    const config = readOAuth1Config({
      ...valid,
      MW_API_URL: 'https://api.example.org/w/api.php',
      MW_CALLBACK: 'https://my-tool.toolforge.org/api/mwoauth/callback',
      APP_URL: 'https://my-tool.toolforge.org/',
    });
    expect(config.wiki.apiUrl).toBe('https://api.example.org/w/api.php');
    expect(config.callback).toBe('https://my-tool.toolforge.org/api/mwoauth/callback');
    expect(config.appOrigin).toBe('https://my-tool.toolforge.org');
  });

  it('should name every problem at once, and no value', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      SESSION_SECRET: 'short',
      MW_CALLBACK: 'nope',
      APP_URL: 'ftp://x',
    });
    const text = problems.join('\n');
    for (const name of [
      'MW_INDEX_URL',
      'MW_CONSUMER_KEY',
      'MW_CONSUMER_SECRET',
      'MW_CALLBACK',
      'SESSION_SECRET',
      'USER_AGENT',
      'APP_URL',
    ]) {
      expect(text).toContain(name);
    }
    expect(problems).toHaveLength(7);
    expect(text).not.toContain('short');
  });

  it('should put every problem in the error message, one per line', () => {
    expect(() => readOAuth1Config({})).toThrow(/MW_INDEX_URL[\s\S]*MW_CONSUMER_KEY[\s\S]*SESSION_SECRET/);
  });

  it('should require USER_AGENT in production only, with a development default otherwise', () => {
    const withoutUa: Env = { ...valid, USER_AGENT: undefined };
    expect(readOAuth1Config({ ...withoutUa, NODE_ENV: 'development' }).userAgent).toBe(DEV_USER_AGENT);
    expect(problemsOf({ ...production, USER_AGENT: undefined })).toEqual([
      expect.stringContaining('USER_AGENT'),
    ]);
  });

  it.each([
    ['the one in .env.example', 'my-tool/1.0 (https://my-tool.toolforge.org; me@example.org)'],
    ["lib/mwoauth's example", 'my-tool/1.0 (https://example.org/my-tool; me@example.org)'],
    ['the example with another version', 'my-tool/2.3 (https://my-tool.toolforge.org; me@example.org)'],
  ])('should refuse in production a USER_AGENT that is %s, and accept it in development', (_what, ua) => {
    expect(problemsOf({ ...production, USER_AGENT: ua })).toEqual([expect.stringContaining('USER_AGENT')]);
    expect(readOAuth1Config({ ...valid, USER_AGENT: ua, NODE_ENV: 'development' }).userAgent).toBe(ua);
  });

  it('should accept in production a User-Agent that names a tool and a contact', () => {
    const ua = 'sandbox-helper/0.3 (https://sandbox-helper.toolforge.org; maintainer@wikimedia.example)';
    expect(readOAuth1Config({ ...production, USER_AGENT: ua }).userAgent).toBe(ua);
  });

  it.each([
    ['shorter than 32 characters', 'abcdefghijklmnopqrstuvwxyz01234'],
    ["iron-session's documented example", 'complex_password_at_least_32_characters_long'],
    ['a documented example in another case', 'COMPLEX_PASSWORD_AT_LEAST_32_CHARACTERS_LONG'],
    ['one character repeated', 'a'.repeat(64)],
    ['a short pattern repeated', '0123'.repeat(10)],
    ['a good secret followed by a weak old one', `${GOOD_SECRET},tooshort`],
    ['an empty entry', `${GOOD_SECRET},`],
    ['the same secret twice', `${GOOD_SECRET},${GOOD_SECRET}`],
  ])('should refuse a SESSION_SECRET that is %s', (_what, secret) => {
    const problems = problemsOf({ ...valid, SESSION_SECRET: secret });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('SESSION_SECRET');
    expect(problems[0]).not.toContain(secret);
  });

  it('should refuse an MW_INDEX_URL that is not index.php', () => {
    expect(problemsOf({ ...valid, MW_INDEX_URL: 'https://meta.wikimedia.org/wiki/Main_Page' })).toEqual([
      expect.stringContaining('MW_INDEX_URL'),
    ]);
    expect(problemsOf({ ...valid, MW_INDEX_URL: 'javascript:alert(1)//index.php' })).toEqual([
      expect.stringContaining('MW_INDEX_URL'),
    ]);
  });

  it("should take MW_ISSUER as an origin, for a wiki whose canonical server is not MW_INDEX_URL's", () => {
    const config = readOAuth1Config({
      ...valid,
      MW_INDEX_URL: 'https://wiki.internal.example:8443/w/index.php',
      MW_ISSUER: 'https://meta.wikimedia.org/',
    });
    expect(config.wiki.issuer).toBe('https://meta.wikimedia.org');
  });

  it.each([
    ['a path', 'https://meta.wikimedia.org/w/index.php'],
    ['a query', 'https://meta.wikimedia.org/?x=1'],
    ['another scheme', 'ftp://meta.wikimedia.org'],
    ['no scheme', 'meta.wikimedia.org'],
  ])('should refuse an MW_ISSUER with %s', (_what, issuer) => {
    expect(problemsOf({ ...valid, MW_ISSUER: issuer })).toEqual([expect.stringContaining('MW_ISSUER')]);
  });

  it.each([
    ['a path', 'https://tool.toolforge.org/app'],
    ['a query', 'https://tool.toolforge.org/?x=1'],
    ['credentials', 'https://user:pass@tool.toolforge.org'],
    ['http:// on a public host (its Secure cookies would never be stored)', 'http://tool.toolforge.org'],
    ['http:// on a private address', 'http://192.168.1.20:3000'],
  ])('should refuse an APP_URL with %s', (_what, appUrl) => {
    expect(problemsOf({ ...valid, APP_URL: appUrl })).toEqual([expect.stringContaining('APP_URL')]);
    expect(problemsOf({ ...valid, APP_URL: appUrl }).join('\n')).not.toContain('pass');
  });

  it.each([
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://127.0.0.1:8000/', 'http://127.0.0.1:8000'],
    ['http://[::1]:8000', 'http://[::1]:8000'],
    ['https://my-tool.toolforge.org/', 'https://my-tool.toolforge.org'],
  ])('should accept APP_URL %s as the origin %s', (appUrl, origin) => {
    expect(readOAuth1Config({ ...production, APP_URL: appUrl }).appOrigin).toBe(origin);
  });

  it('should require APP_URL in production, naming the Toolforge form and the local one', () => {
    const problems = problemsOf({ ...production, APP_URL: undefined });
    expect(problems).toEqual([expect.stringContaining('APP_URL is not set')]);
    expect(problems[0]).toContain('https://my-tool.toolforge.org');
    expect(problems[0]).toContain('http://localhost:3000');
  });

  it('should leave APP_URL optional outside production: the request names the origin', () => {
    expect(readOAuth1Config({ ...valid, NODE_ENV: 'development' }).appOrigin).toBeNull();
    expect(readOAuth1Config({ ...valid, NODE_ENV: 'test' }).appOrigin).toBeNull();
  });

  it('should leave APP_URL optional on Vercel (VERCEL=1), where each request carries the domain the visitor used', () => {
    expect(readOAuth1Config({ ...production, APP_URL: undefined, VERCEL: '1' }).appOrigin).toBeNull();
    // An explicit APP_URL still wins there (e.g. set for the Production environment only).
    expect(readOAuth1Config({ ...production, VERCEL: '1' }).appOrigin).toBe('https://my-tool.toolforge.org');
    // Anything else is not Vercel.
    expect(problemsOf({ ...production, APP_URL: undefined, VERCEL: 'true' })).toEqual([
      expect.stringContaining('APP_URL'),
    ]);
  });

  it('should seal with the first secret and keep every secret of a rotation under an id of its own', () => {
    const config = readOAuth1Config({ ...valid, SESSION_SECRET: `${GOOD_SECRET}, ${OLD_SECRET}` });
    expect(config.session.currentPasswordId).toBe(passwordIdFor(GOOD_SECRET));
    expect(config.session.passwords).toEqual({
      [passwordIdFor(GOOD_SECRET)]: GOOD_SECRET,
      [passwordIdFor(OLD_SECRET)]: OLD_SECRET,
    });
    // The id of a secret does not depend on its position, so the next rotation keeps it.
    const next = readOAuth1Config({
      ...valid,
      SESSION_SECRET: `Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd,${GOOD_SECRET}`,
    });
    expect(next.session.passwords[passwordIdFor(GOOD_SECRET)]).toBe(GOOD_SECRET);
  });
});

describe('CONFIG_VARIABLES', () => {
  it('should list every variable readConfig reads, so getConfig cannot serve a stale configuration', () => {
    const read = new Set<string>();
    // SESSION_STORE=redis reads REDIS_URL and REDIS_KEY_PREFIX too.
    for (const base of [
      {},
      valid,
      production,
      { ...production, APP_URL: undefined },
      { ...valid, SESSION_STORE: 'redis' },
    ]) {
      const env: Env = new Proxy(
        { ...base },
        {
          get(target: Record<string, string | undefined>, name: string | symbol): string | undefined {
            if (typeof name === 'string') read.add(name);
            return typeof name === 'string' ? target[name] : undefined;
          },
        },
      );
      try {
        readOAuth1Config(env);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
      }
    }
    expect([...read].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});

describe('getConfig', () => {
  const saved = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, process.env[name]]));
  afterEach(() => {
    Reflect.deleteProperty(globalThis, Symbol.for('next-mwoauth.config-frozen'));
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  });

  function useEnv(env: Env): void {
    for (const name of CONFIG_VARIABLES) Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, env);
  }

  it('should read the environment again when one of its variables changed', () => {
    useEnv(valid);
    const first = getConfig();
    expect(getConfig()).toBe(first);
    process.env.USER_AGENT = 'other-tool/2.0 (https://other.example; me@example.org)';
    expect(getConfig()).not.toBe(first);
    expect(getConfig().userAgent).toBe('other-tool/2.0 (https://other.example; me@example.org)');
  });

  it('should keep the configuration it read once freezeConfig() was called (a production server, instrumentation.ts)', () => {
    useEnv(valid);
    const first = getConfig();
    freezeConfig();
    process.env.USER_AGENT = 'other-tool/2.0 (https://other.example; me@example.org)';
    expect(getConfig()).toBe(first);
  });
});

describe('AppConfig.production', () => {
  it('should say whether NODE_ENV is production, so no other code reads NODE_ENV', () => {
    expect(readOAuth1Config(production).production).toBe(true);
    expect(readOAuth1Config(valid).production).toBe(false);
  });
});
