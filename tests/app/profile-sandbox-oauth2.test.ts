import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki } from '@/devwiki';
import { createAuthorization, exchangeCode, type OAuth2Tokens } from 'mwoauth';
import { readConfig, type OAuth2AppConfig } from '@/lib/server/config';
import type { Credentials } from '@/lib/server/login/credentials';
import { oauth2Flow } from '@/lib/server/login/oauth2';
import { loadProfile } from '@/app/profile/_lib/profile';
import { appendToSandboxPage, latestRevision } from '@/lib/server/sandbox';
import type { LoginSession } from '@/lib/server/session/store';
import { wikiUser, type WikiUser } from '@/lib/server/wiki-user';
import {
  APP_ORIGIN,
  readRevisionThroughApi,
  SESSION_SECRET,
  testOAuth2Client,
} from '@/tests/support/app-harness';

// What /profile and /sandbox do with the wiki when the app uses OAuth 2.0 (resource/profile and
// api.php with a Bearer token), against an in-process devwiki.

const client = testOAuth2Client();
const userAgent = 'next-mwoauth-tests/1.0 (tests/app; nobody@example.org)';
let devwiki: Devwiki;
let config: OAuth2AppConfig;

beforeAll(async () => {
  devwiki = await startDevwiki({ consumers: [client], refreshTokenTtlS: 3600 });
  const read = readConfig({
    MW_OAUTH_VERSION: '2.0',
    MW_INDEX_URL: devwiki.indexUrl,
    MW_CONSUMER_KEY: client.key,
    MW_CONSUMER_SECRET: client.secret,
    SESSION_SECRET,
    APP_URL: APP_ORIGIN,
    USER_AGENT: userAgent,
  });
  if (read.protocol !== '2.0') throw new Error(`expected an OAuth 2.0 configuration, got ${read.protocol}`);
  config = read;
});
afterAll(async () => {
  await devwiki.close();
});

/** A user's OAuth 2.0 tokens through the whole authorization code flow. */
async function tokensFor(username: string): Promise<OAuth2Tokens> {
  const redirectUri = `${APP_ORIGIN}/api/mwoauth/callback`;
  const oauthClient = { clientId: client.key, clientSecret: client.secret };
  const started = await createAuthorization(devwiki.indexUrl, oauthClient, { redirectUri });
  const back = new URL(await devwiki.approve(started.redirectUrl, username));
  return exchangeCode(devwiki.indexUrl, oauthClient, started, back.searchParams, { redirectUri, userAgent });
}

function credentialsOf(tokens: OAuth2Tokens): Credentials {
  return {
    protocol: '2.0',
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
  };
}

function userFor(tokens: OAuth2Tokens, username: string): WikiUser {
  const login: LoginSession = { sub: '0', username, credentials: credentialsOf(tokens), loggedInAt: 1 };
  return wikiUser(login, oauth2Flow(config), config);
}

describe('loadProfile with OAuth 2.0', () => {
  it('should ask resource/profile and userinfo (Bearer) at the same time, and return both', async () => {
    const tokens = await tokensFor('Alice');
    const before = devwiki.requests.length;
    const profile = await loadProfile(userFor(tokens, 'Alice'));
    expect(
      devwiki.requests
        .slice(before)
        .map((r) => r.endpoint)
        .sort(),
    ).toEqual(['api', 'profile']);
    expect(profile.kind).toBe('ok');
    if (profile.kind !== 'ok') return;
    expect(profile.identity).toMatchObject({ username: 'Alice', blocked: false, grants: client.grants });
    expect(profile.info?.name).toBe('Alice');
    expect(profile.info?.rights).toContain('edit');
  });

  it("should show a blocked user's block", async () => {
    const profile = await loadProfile(userFor(await tokensFor('Blocked'), 'Blocked'));
    expect(profile.kind).toBe('ok');
    if (profile.kind !== 'ok') return;
    expect(profile.identity.blocked).toBe(true);
    expect(profile.info?.block).not.toBeNull();
  });

  it('should say revoked once the user revoked access on the wiki', async () => {
    const tokens = await tokensFor('Eve');
    devwiki.revoke('Eve', client.key);
    expect(await loadProfile(userFor(tokens, 'Eve'))).toEqual({ kind: 'revoked' });
  });
});

describe('the sandbox edit with OAuth 2.0', () => {
  it('should append a line as the user with a Bearer token, tagged with the client (o2-12b)', async () => {
    const user = userFor(await tokensFor('Alice'), 'Alice');
    const base = await user.withWiki((api) => latestRevision(api, 'User:Alice/sandbox'));
    const result = await appendToSandboxPage(user, 'a line through OAuth 2.0', base);
    expect(result.ok).toBe(true);
    const saved = await readRevisionThroughApi(devwiki.apiUrl, 'User:Alice/sandbox');
    expect(saved).toMatchObject({ user: 'Alice', revid: result.ok ? result.revid : -1 });
    expect(saved?.tags).toContain(`OAuth CID: ${client.id}`);
    expect(saved?.content.split('\n')).toContain('* a line through OAuth 2.0');
  });

  it('should report a block and a protected page', async () => {
    expect(
      await appendToSandboxPage(userFor(await tokensFor('Blocked'), 'Blocked'), 'x', null),
    ).toMatchObject({
      ok: false,
      outcome: 'blocked',
    });
    devwiki.protectPage('User:Grace/sandbox');
    expect(await appendToSandboxPage(userFor(await tokensFor('Grace'), 'Grace'), 'x', null)).toMatchObject({
      ok: false,
      outcome: 'protectedpage',
      mediawikiCode: 'protectedpage',
    });
  });

  it("should leave a revoked token to withWiki's session handling, not report it as an outcome", async () => {
    const tokens = await tokensFor('Heidi');
    devwiki.revoke('Heidi', client.key);
    // The flow's verdict, not a list of 1.0a codes: the user's onEnded runs (here the default,
    // AppError session_ended; requireUserForAction's user redirects to the revocation check).
    await expect(appendToSandboxPage(userFor(tokens, 'Heidi'), 'x', null)).rejects.toMatchObject({
      code: 'session_ended',
    });
  });
});
