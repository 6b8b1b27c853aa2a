// The live suite's configuration (tests/live/env.ts): which part runs, what the skip lines say, which
// values are refused, and the redaction scripts/test-live.ts applies to everything vitest prints.
import { describe, expect, it } from 'vitest';
import {
  browserConfig,
  invalidVariables,
  missingVariables,
  ownerOnlyConfig,
  redact,
  secretValues,
  skipLine,
} from '@/tests/live/env';

const OWNER = {
  LIVE_MW_INDEX_URL: 'https://test.wikipedia.org/w/index.php',
  USER_AGENT: 'live-tests/1.0 (someone@example.net)',
  LIVE_OWNER_CONSUMER_KEY: 'ck',
  LIVE_OWNER_CONSUMER_SECRET: 'consumer-secret-1',
  LIVE_OWNER_ACCESS_TOKEN: 'at',
  LIVE_OWNER_ACCESS_SECRET: 'access-secret-2',
};

describe('the live configuration', () => {
  it('should name only the missing variables of a part, treating blank as missing', () => {
    expect(missingVariables('owner-only', { ...OWNER, LIVE_OWNER_ACCESS_SECRET: '  ' })).toEqual([
      'LIVE_OWNER_ACCESS_SECRET',
    ]);
    expect(skipLine('browser', OWNER)).toBe(
      "skipped: set LIVE_CONSUMER_KEY, LIVE_CONSUMER_SECRET, LIVE_USERNAME, LIVE_PASSWORD to run the browser test (the wiki's real login and authorize pages, the profile, log out)",
    );
    expect(browserConfig(OWNER)).toBeNull();
  });

  it('should put api.php beside index.php unless LIVE_MW_API_URL says otherwise', () => {
    expect(ownerOnlyConfig(OWNER)).toMatchObject({
      apiUrl: 'https://test.wikipedia.org/w/api.php',
      issuer: null,
      consumer: { key: 'ck', secret: 'consumer-secret-1' },
      accessToken: { key: 'at', secret: 'access-secret-2' },
    });
    expect(ownerOnlyConfig({ ...OWNER, LIVE_MW_API_URL: 'https://api.example.net/w/api.php' })?.apiUrl).toBe(
      'https://api.example.net/w/api.php',
    );
  });

  it('should refuse URLs that are not index.php, api.php or an origin, naming the variable and an example', () => {
    expect(
      invalidVariables({
        LIVE_MW_INDEX_URL: 'https://test.wikipedia.org/wiki/Main_Page',
        LIVE_MW_API_URL: 'not a url',
        LIVE_MW_ISSUER: 'https://test.wikipedia.org/w',
      }),
    ).toEqual([
      "LIVE_MW_INDEX_URL must be the wiki's index.php (http or https, no query), e.g. https://test.wikipedia.org/w/index.php",
      "LIVE_MW_API_URL is not a URL: give the wiki's api.php, e.g. https://test.wikipedia.org/w/api.php",
      "LIVE_MW_ISSUER must be the wiki's canonical server, scheme and host only, e.g. https://test.wikipedia.org",
    ]);
    expect(invalidVariables(OWNER)).toEqual([]);
  });

  it('should redact every secret, raw and URL-encoded, but not the keys', () => {
    const env = { ...OWNER, LIVE_PASSWORD: 'p@ss word/+' };
    const text =
      'consumer-secret-1 access-secret-2 p@ss word/+ p%40ss%20word%2F%2B p%40ss+word%2F%2B ck at ' +
      OWNER.USER_AGENT;
    expect(redact(text, secretValues(env))).toBe(
      `[redacted] [redacted] [redacted] [redacted] [redacted] ck at ${OWNER.USER_AGENT}`,
    );
  });
});
