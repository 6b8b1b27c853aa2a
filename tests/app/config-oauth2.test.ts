import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readConfig, type Env } from '@/lib/server/config';
import { AppError } from '@/lib/server/core/errors';

// MW_OAUTH_VERSION=2.0: the client ID and secret in MW_CONSUMER_KEY/MW_CONSUMER_SECRET (no secret:
// a public client), and the redirect URI the wiki compares with the registered callback.

const base: Env = {
  MW_INDEX_URL: 'https://meta.wikimedia.org/w/index.php',
  MW_OAUTH_VERSION: '2.0',
  MW_CONSUMER_KEY: 'f67e396dd5d8264b184294bb078088ef',
  MW_CONSUMER_SECRET: '2ce72a59c521f4ace57d18ef8d0000b2c4c789a9',
  SESSION_SECRET: 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1',
  APP_URL: 'https://my-tool.toolforge.org',
};

function problemsOf(env: Env): readonly string[] {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof AppError && error.code === 'invalid_config') return error.problems;
    throw error;
  }
  return [];
}

describe('readConfig with MW_OAUTH_VERSION=2.0', () => {
  it('should read a confidential client with the callback under APP_URL', () => {
    const config = readConfig(base);
    expect(config.protocol).toBe('2.0');
    if (config.protocol !== '2.0') return;
    expect(config.client).toEqual({ clientId: base.MW_CONSUMER_KEY, clientSecret: base.MW_CONSUMER_SECRET });
    expect(config.redirectUri).toBe('https://my-tool.toolforge.org/api/mwoauth/callback');
  });

  it('should make a public client of one without a secret, and take MW_CALLBACK as the redirect URI', () => {
    const config = readConfig({
      ...base,
      MW_CONSUMER_SECRET: '',
      APP_URL: undefined,
      MW_CALLBACK: 'http://localhost:3000/api/mwoauth/callback',
    });
    if (config.protocol !== '2.0') throw new Error('expected 2.0');
    expect(config.client.clientSecret).toBeNull();
    expect(config.redirectUri).toBe('http://localhost:3000/api/mwoauth/callback');
  });

  it('should print no client secret', () => {
    const config = readConfig(base);
    for (const shown of [inspect(config, { depth: 10 }), String(config), JSON.stringify(config)]) {
      expect(shown).not.toContain(base.MW_CONSUMER_SECRET);
    }
    if (config.protocol !== '2.0') throw new Error('expected 2.0');
    expect(inspect(config.client)).not.toContain(base.MW_CONSUMER_SECRET);
  });

  it('should name each problem: no client ID, no redirect URI, "oob", an unknown version', () => {
    expect(problemsOf({ ...base, MW_CONSUMER_KEY: '' }).join('\n')).toMatch(/MW_CONSUMER_KEY.*client ID/);
    expect(problemsOf({ ...base, APP_URL: undefined }).join('\n')).toMatch(/APP_URL.*MW_CALLBACK/);
    expect(problemsOf({ ...base, MW_CALLBACK: 'oob' }).join('\n')).toMatch(/MW_CALLBACK.*OAuth 1\.0a only/);
    expect(problemsOf({ ...base, MW_OAUTH_VERSION: '3' }).join('\n')).toMatch(/MW_OAUTH_VERSION/);
  });

  it('should stay OAuth 1.0a without MW_OAUTH_VERSION or with 1.0a', () => {
    expect(readConfig({ ...base, MW_OAUTH_VERSION: undefined }).protocol).toBe('1.0a');
    expect(readConfig({ ...base, MW_OAUTH_VERSION: '1.0a' }).protocol).toBe('1.0a');
  });
});
