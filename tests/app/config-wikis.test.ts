import { describe, expect, it } from 'vitest';
import type { Env } from '@/lib/server/config';
import { AppError } from '@/lib/server/core/errors';
import { readOAuth1Config } from '@/tests/support/oauth1-config';

// MW_WIKIS (lib/server/config/wikis.ts): the other wikis of the farm the app may call as the user.

const valid: Env = {
  MW_INDEX_URL: 'https://meta.wikimedia.org/w/index.php',
  MW_CONSUMER_KEY: 'c0ffee',
  MW_CONSUMER_SECRET: 'consumer-secret-value',
  SESSION_SECRET: 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1',
  USER_AGENT: 'sandbox-helper/0.3 (https://sandbox-helper.toolforge.org; maintainer@wikimedia.example)',
};
const production: Env = { ...valid, NODE_ENV: 'production', APP_URL: 'https://my-tool.toolforge.org' };

function problemsOf(env: Env): readonly string[] {
  try {
    readOAuth1Config(env);
  } catch (error) {
    if (error instanceof AppError && error.code === 'invalid_config') return error.problems;
    throw error;
  }
  return [];
}

describe('MW_WIKIS', () => {
  it('should be empty when unset or blank: the login wiki alone', () => {
    expect(readOAuth1Config(valid).wikis).toEqual([]);
    expect(readOAuth1Config({ ...valid, MW_WIKIS: '  ' }).wikis).toEqual([]);
  });

  it('should read each api.php with index.php beside it, its host as its name, in the order given', () => {
    const config = readOAuth1Config({
      ...production,
      MW_WIKIS: ' https://commons.wikimedia.org/w/api.php , https://www.wikidata.org/w/api.php',
    });
    expect(config.wikis).toEqual([
      {
        apiUrl: 'https://commons.wikimedia.org/w/api.php',
        indexUrl: 'https://commons.wikimedia.org/w/index.php',
        name: 'commons.wikimedia.org',
        origin: 'https://commons.wikimedia.org',
      },
      {
        apiUrl: 'https://www.wikidata.org/w/api.php',
        indexUrl: 'https://www.wikidata.org/w/index.php',
        name: 'www.wikidata.org',
        origin: 'https://www.wikidata.org',
      },
    ]);
  });

  it('should allow the login wiki in the list without listing it twice', () => {
    const config = readOAuth1Config({
      ...valid,
      MW_WIKIS: 'https://meta.wikimedia.org/w/api.php,https://commons.wikimedia.org/w/api.php',
    });
    expect(config.wikis.map((w) => w.name)).toEqual(['commons.wikimedia.org']);
  });

  it('should name every bad entry at once, by its position and with the fix, never the value', () => {
    const problems = problemsOf({
      ...valid,
      MW_WIKIS:
        'https://commons.wikimedia.org/wiki/Main_Page,,ftp://x.example/w/api.php,https://a.example/w/api.php?x=1,' +
        'https://u:hunter2@b.example/w/api.php,https://c.example/w/api.php,https://c.example/w2/api.php,' +
        'https://meta.wikimedia.org/api.php',
    });
    expect(problems).toHaveLength(7);
    expect(problems.every((p) => p.startsWith('MW_WIKIS entry '))).toBe(true);
    expect(problems[0]).toMatch(/entry 1 of 8 is not a wiki's api\.php URL/);
    expect(problems[1]).toMatch(/entry 2 of 8 is empty/);
    expect(problems[2]).toMatch(/entry 3 of 8 is not a wiki's api\.php URL/);
    expect(problems[3]).toMatch(/entry 4 of 8 is not a wiki's api\.php URL/);
    expect(problems[4]).toMatch(/entry 5 of 8 contains a user name or password/);
    expect(problems[5]).toMatch(/entry 7 of 8 names the same host as entry 6/);
    expect(problems[6]).toMatch(/entry 8 of 8 has the login wiki's host/);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('should require https in production, except on this machine', () => {
    const problems = problemsOf({ ...production, MW_WIKIS: 'http://commons.wikimedia.org/w/api.php' });
    expect(problems).toEqual([
      expect.stringMatching(
        /entry 1 uses http:\/\/ in production.*https:\/\/commons\.wikimedia\.org\/w\/api\.php/,
      ),
    ]);
    for (const host of ['127.0.0.1:8182', 'localhost:8182', '[::1]:8182']) {
      expect(readOAuth1Config({ ...production, MW_WIKIS: `http://${host}/w/api.php` }).wikis).toHaveLength(1);
    }
    // Outside production, plain http anywhere (a wiki on the developer's network).
    expect(readOAuth1Config({ ...valid, MW_WIKIS: 'http://wiki.lan/w/api.php' }).wikis).toHaveLength(1);
  });

  it('should report its problems with the others', () => {
    const problems = problemsOf({ ...valid, SESSION_SECRET: 'short', MW_WIKIS: 'nonsense' });
    expect(problems.some((p) => p.startsWith('SESSION_SECRET'))).toBe(true);
    expect(problems.some((p) => p.startsWith('MW_WIKIS entry 1 is not'))).toBe(true);
  });
});
