import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki } from '@/devwiki';
import { MWOAuthError } from 'mwoauth';
import type { OAuth1AppConfig as AppConfig } from '@/lib/server/config';
import { readOAuth1Config } from '@/tests/support/oauth1-config';
import type { Credentials } from '@/lib/server/login/credentials';
import { oauth1Flow } from '@/lib/server/login/oauth1';
import { startWikiDeadline } from '@/lib/server/wiki/deadline';
import { APP_ORIGIN, SESSION_SECRET, testConsumer } from '@/tests/support/app-harness';

// The OAuth 1.0a login flow (lib/server/login/oauth1.ts) against an in-process devwiki: what the
// route handlers call instead of lib/mwoauth's initiate, complete and identify.
// OAuth 1.0a only, and below the store: the 1.0a flow itself (routes.test.ts runs both protocols).

const consumer = testConsumer();
let devwiki: Devwiki;
let config: AppConfig;

function configWith(extra: Record<string, string> = {}): AppConfig {
  return readOAuth1Config({
    MW_INDEX_URL: devwiki.indexUrl,
    MW_CONSUMER_KEY: consumer.key,
    MW_CONSUMER_SECRET: consumer.secret,
    MW_CALLBACK: `${APP_ORIGIN}/api/mwoauth/callback`,
    SESSION_SECRET,
    APP_URL: APP_ORIGIN,
    USER_AGENT: 'next-mwoauth-tests/1.0 (tests/app; nobody@example.org)',
    ...extra,
  });
}

beforeAll(async () => {
  devwiki = await startDevwiki({ consumers: [consumer] });
  config = configWith();
});
afterAll(async () => {
  await devwiki.close();
});

/** start → Allow on the wiki → finish: the credentials of a logged-in `username`. */
async function logIn(username: string): Promise<Credentials> {
  const flow = oauth1Flow(config);
  const started = await flow.start(startWikiDeadline(config));
  const back = new URL(await devwiki.approve(started.authorizeUrl, username));
  expect(flow.callbackKey(back.searchParams)).toBe(started.key);
  const login = await flow.finish(started.handshake, back.searchParams, startWikiDeadline(config));
  if (login === 'suppressed') throw new Error('suppressed');
  expect(login).toMatchObject({ username, credentials: { protocol: '1.0a' } });
  return login.credentials;
}

describe('the OAuth 1.0a login flow', () => {
  it("should start with a request token whose key the wiki's redirect back names", async () => {
    const started = await oauth1Flow(config).start(startWikiDeadline(config));
    const authorize = new URL(started.authorizeUrl);
    expect(authorize.searchParams.get('title')).toBe('Special:OAuth/authorize');
    expect(authorize.searchParams.get('oauth_token')).toBe(started.key);
    expect(started.handshake).toMatchObject({ protocol: '1.0a', requestToken: { key: started.key } });
  });

  it.each([
    ['no oauth_token', ''],
    ['two oauth_tokens', 'oauth_token=a&oauth_token=b'],
    ['an empty oauth_token', 'oauth_token='],
  ])('should find no callback key with %s', (_what, query) => {
    expect(oauth1Flow(config).callbackKey(new URLSearchParams(query))).toBeNull();
  });

  it('should finish a login, identify the user and call the API as them', async () => {
    const flow = oauth1Flow(config);
    const credentials = await logIn('Alice');
    const identity = await flow.identify(credentials, startWikiDeadline(config));
    expect(identity).toMatchObject({ suppressed: false, username: 'Alice' });
    const answer = await flow.api(credentials, startWikiDeadline(config)).get({
      action: 'query',
      meta: 'userinfo',
    });
    expect(answer.query).toMatchObject({ userinfo: { name: 'Alice' } });
    // 1.0a tokens do not expire: refresh hands them back as they are.
    expect(await flow.refresh(credentials, startWikiDeadline(config))).toBe(credentials);
  });

  it('should say revoked for a revoked token, and keep for other failures', async () => {
    const flow = oauth1Flow(config);
    const credentials = await logIn('Eve');
    devwiki.revoke('Eve', consumer.key);
    const error: unknown = await flow.identify(credentials, startWikiDeadline(config)).catch((e) => e);
    expect(error).toMatchObject({
      code: 'mediawiki',
      mediawikiCode: 'mwoauthdatastore-access-token-not-found',
    });
    expect(flow.verdict(error)).toBe('revoked');
    expect(flow.verdict(new MWOAuthError('timeout', 'slow'))).toBe('keep');
    expect(flow.verdict(new Error('x'))).toBe('keep');
  });

  it('should end a session made with another protocol instead of using it', async () => {
    const flow = oauth1Flow(config);
    const other: Credentials = { protocol: '2.0', accessToken: 'x', refreshToken: null, expiresAt: null };
    let error: unknown = null;
    try {
      flow.api(other, startWikiDeadline(config));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect(flow.verdict(error)).toBe('revoked');
  });

  it('should give each API call what is left of one deadline, not a deadline each', async () => {
    const slow = configWith({ MW_TIMEOUT_MS: '2000' });
    const credentials = await logIn('Ivan');
    devwiki.setFault('api', { kind: 'latency', ms: 1500 });
    try {
      const api = oauth1Flow(slow).api(credentials, startWikiDeadline(slow));
      const started = performance.now();
      await api.getToken('csrf'); // 1.5 s of the 2 s
      await expect(api.get({ action: 'query', meta: 'userinfo' })).rejects.toMatchObject({ code: 'timeout' });
      expect(performance.now() - started).toBeLessThan(2000 + 1000);
    } finally {
      devwiki.setFault('api', null);
    }
  });
});
