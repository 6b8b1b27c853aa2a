import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, identify, type MWOAuthError } from 'mwoauth';
import { readConfig, type OAuth2AppConfig } from '@/lib/server/config';
import { isFarmRefusal, NO_LOCAL_ACCOUNT, WRONG_WIKI } from '@/lib/server/wiki/farm';
import { oauth1Flow } from '@/lib/server/login/oauth1';
import { oauth2Flow } from '@/lib/server/login/oauth2';
import { translator } from '@/lib/server/i18n';
import { describeWikiError } from '@/lib/server/failures/describe';
import { loadFixture } from '@/tests/support/fixtures';
import { fixtureFetch } from '@/tests/support/mwoauth-fake-fetch';
import { readOAuth1Config } from '@/tests/support/oauth1-config';

// The second wiki's two refusals, as a real two-wiki MediaWiki 1.39 farm answered them (farm-14,
// farm-15, farm-17, farm-18), replayed through lib/mwoauth into what the app makes of them: a
// translated failure naming the wiki and the way forward, and the verdict 'keep' in both flows (the
// login on the home wiki goes on).

const UA = 'next-mwoauth-tests/1.0 (tests/app; nobody@example.org)';
const env = {
  MW_INDEX_URL: 'https://meta.wikimedia.org/w/index.php',
  MW_CONSUMER_KEY: 'c0ffee',
  MW_CONSUMER_SECRET: 'consumer-secret-value',
  SESSION_SECRET: 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1',
  USER_AGENT: UA,
  MW_WIKIS: 'https://commons.wikimedia.org/w/api.php',
  APP_URL: 'https://my-tool.toolforge.org',
};
const config1 = readOAuth1Config(env);
const config2 = ((): OAuth2AppConfig => {
  const config = readConfig({ ...env, MW_OAUTH_VERSION: '2.0' });
  if (config.protocol !== '2.0') throw new Error('expected OAuth 2.0');
  return config;
})();
const home = { name: 'meta.wikimedia.org', indexUrl: 'https://meta.wikimedia.org/w/index.php' };
const commons = { name: 'commons.wikimedia.org', indexUrl: 'https://commons.wikimedia.org/w/index.php' };

async function replayApi(name: string, auth: 'oauth1' | 'bearer'): Promise<MWOAuthError> {
  const f = loadFixture(name);
  const url = new URL(f.request.url);
  const api = new ApiClient({
    apiUrl: `${url.origin}${url.pathname}`,
    ...(auth === 'bearer'
      ? { auth: { bearer: 'recorded-elsewhere' } }
      : { consumer: { key: 'c0ffee', secret: 's' }, accessToken: { key: 'a', secret: 'b' } }),
    userAgent: UA,
    fetch: fixtureFetch(f),
  });
  return api.get({ action: 'query', meta: 'userinfo' }).then(
    () => {
      throw new Error(`${name} answered without an error`);
    },
    (error: MWOAuthError) => error,
  );
}

async function replayIdentify(name: string): Promise<MWOAuthError> {
  const f = loadFixture(name);
  const url = new URL(f.request.url);
  return identify(
    `${url.origin}${url.pathname}`,
    { key: 'c0ffee', secret: 's' },
    { key: 'a', secret: 'b' },
    { userAgent: UA, fetch: fixtureFetch(f) },
  ).then(
    () => {
      throw new Error(`${name} answered without an error`);
    },
    (error: MWOAuthError) => error,
  );
}

const WRONG_WIKI_ANSWERS = [
  ['farm-14 (api.php, signed)', () => replayApi('farm-14-second-api-userinfo-wrong-wiki', 'oauth1')],
  ['farm-14 (api.php, Bearer)', () => replayApi('farm-14-second-api-userinfo-wrong-wiki', 'bearer')],
  ['farm-15 (identify)', () => replayIdentify('farm-15-second-identify-wrong-wiki')],
] as const;
const NO_ACCOUNT_ANSWERS = [
  ['farm-17 (api.php, signed)', () => replayApi('farm-17-second-api-userinfo-no-local-account', 'oauth1')],
  ['farm-17 (api.php, Bearer)', () => replayApi('farm-17-second-api-userinfo-no-local-account', 'bearer')],
  ['farm-18 (identify)', () => replayIdentify('farm-18-second-identify-no-local-account')],
] as const;

describe('a consumer registered for another wiki (wrong wiki)', () => {
  it.each(WRONG_WIKI_ANSWERS)('should keep the login in both flows: %s', async (_, replay) => {
    const error = await replay();
    expect(error.mediawikiCode).toBe(WRONG_WIKI);
    expect(isFarmRefusal(error)).toBe(true);
    expect(oauth1Flow(config1).verdict(error)).toBe('keep');
    expect(oauth2Flow(config2).verdict(error)).toBe('keep');
  });

  it.each(WRONG_WIKI_ANSWERS)(
    "should name the wiki, the consumer's Applicable project and how to change it: %s",
    async (_, replay) => {
      const failure = describeWikiError(await replay(), undefined, 'profile', translator('en'), {
        wiki: commons,
        home,
      });
      expect(failure.status).toBe(403);
      expect(failure.title).toBe('This app is not registered for that wiki');
      expect(failure.what).toContain('commons.wikimedia.org refused this app');
      expect(failure.what).toContain('“Applicable project”');
      expect(failure.what).toContain('You are still logged in on meta.wikimedia.org');
      expect(failure.todo).toContain('Propose a new version of the consumer on meta.wikimedia.org');
      expect(failure.todo).toContain('Special:OAuthConsumerRegistration');
      expect(failure.todo).toContain('MW_WIKIS');
      expect(failure.action).toEqual({
        label: 'Propose a new consumer version',
        href: 'https://meta.wikimedia.org/w/index.php?title=Special:OAuthConsumerRegistration/propose',
      });
      expect(failure.mediawikiCode).toBe(WRONG_WIKI);
    },
  );
});

describe('a user without an account on the other wiki yet (no local account)', () => {
  it.each(NO_ACCOUNT_ANSWERS)('should keep the login in both flows: %s', async (_, replay) => {
    const error = await replay();
    expect(error.mediawikiCode).toBe(NO_LOCAL_ACCOUNT);
    expect(oauth1Flow(config1).verdict(error)).toBe('keep');
    expect(oauth2Flow(config2).verdict(error)).toBe('keep');
  });

  it.each(NO_ACCOUNT_ANSWERS)('should say to visit that wiki once: %s', async (_, replay) => {
    const failure = describeWikiError(await replay(), undefined, 'profile', translator('en'), {
      wiki: commons,
      home,
    });
    expect(failure.title).toBe('You have no account on that wiki yet');
    expect(failure.what).toContain('commons.wikimedia.org does not know your account yet');
    expect(failure.todo).toBe(
      'Visit commons.wikimedia.org once while logged in on meta.wikimedia.org (any page will do), then come back and try again.',
    );
    expect(failure.action).toEqual({ label: 'Visit that wiki', href: commons.indexUrl });
  });
});

describe('the farm failures in other languages', () => {
  it.each(['fr', 'ar'] as const)('should be translated into %s, with the wikis named', async (lang) => {
    const wikis = { wiki: commons, home };
    const t = translator(lang);
    const english = translator('en');
    for (const replay of [WRONG_WIKI_ANSWERS[0][1], NO_ACCOUNT_ANSWERS[0][1]]) {
      const error = await replay();
      const failure = describeWikiError(error, undefined, 'profile', t, wikis);
      const inEnglish = describeWikiError(error, undefined, 'profile', english, wikis);
      expect(failure.lang).toBe(lang);
      expect(failure.title).not.toBe(inEnglish.title);
      expect(failure.what).toContain('commons.wikimedia.org');
      expect(failure.todo).toContain('meta.wikimedia.org');
    }
  });
});

describe("the login wiki's own refusal", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('should name the login wiki when no other wiki is given (a consumer not for its own wiki)', async () => {
    Object.assign(process.env, env);
    const failure = describeWikiError(await WRONG_WIKI_ANSWERS[2][1](), undefined, 'login', translator('en'));
    expect(failure.what).toContain('meta.wikimedia.org refused this app');
  });
});
