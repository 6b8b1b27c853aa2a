import { createAuthorization, exchangeCode } from 'mwoauth';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { readConfig, type AppConfig, type Env } from '@/lib/server/config';
import type { Credentials } from '@/lib/server/login/credentials';
import { oauth1Flow } from '@/lib/server/login/oauth1';
import { oauth2Flow } from '@/lib/server/login/oauth2';
import type { LoginSession } from '@/lib/server/session/store';
import { wikiUser, type WikiUser } from '@/lib/server/wiki-user';
import { accessTokenFor, APP_ORIGIN, SESSION_SECRET, testConsumer, testOAuth2Client } from './app-harness';

// WikiUsers (what requireUser() hands a page) of an in-process devwiki, for either protocol: the
// whole login (OAuth 1.0a's handshake, or 2.0's authorization code flow) through devwiki's approve,
// then the user's own credentials. For tests of what pages do with the wiki (tests/app/profile and
// the sandbox demo's), one definition over both protocols (describe.each).

export type Protocol = '1.0a' | '2.0';
export const PROTOCOLS: readonly Protocol[] = ['1.0a', '2.0'];

const USER_AGENT = 'next-mwoauth-tests/1.0 (tests/app; nobody@example.org)';

export interface WikiUsers {
  readonly protocol: Protocol;
  readonly devwiki: Devwiki;
  /** The consumer (1.0a) or client (2.0) the app uses. */
  readonly consumer: DevwikiConsumer;
  /** `username` logged in (a new login each time); `env` is added to the app's configuration. */
  userFor(username: string, env?: Env): Promise<WikiUser>;
  close(): Promise<void>;
}

function configFor(protocol: Protocol, devwiki: Devwiki, consumer: DevwikiConsumer, env: Env): AppConfig {
  return readConfig({
    ...(protocol === '2.0' ? { MW_OAUTH_VERSION: '2.0' } : {}),
    MW_INDEX_URL: devwiki.indexUrl,
    MW_CONSUMER_KEY: consumer.key,
    MW_CONSUMER_SECRET: consumer.secret,
    SESSION_SECRET,
    APP_URL: APP_ORIGIN,
    USER_AGENT,
    ...env,
  });
}

async function credentialsFor(
  protocol: Protocol,
  devwiki: Devwiki,
  consumer: DevwikiConsumer,
  username: string,
): Promise<Credentials> {
  if (protocol === '1.0a') {
    return { protocol, accessToken: await accessTokenFor(devwiki, consumer, username) };
  }
  const redirectUri = `${APP_ORIGIN}/api/mwoauth/callback`;
  const client = { clientId: consumer.key, clientSecret: consumer.secret };
  const started = await createAuthorization(devwiki.indexUrl, client, { redirectUri });
  const back = new URL(await devwiki.approve(started.redirectUrl, username));
  const tokens = await exchangeCode(devwiki.indexUrl, client, started, back.searchParams, {
    redirectUri,
    userAgent: USER_AGENT,
  });
  return {
    protocol,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
  };
}

/** A devwiki with the app's consumer (1.0a) or client (2.0) registered, and its users. */
export async function startWikiUsers(protocol: Protocol): Promise<WikiUsers> {
  const consumer = protocol === '2.0' ? testOAuth2Client() : testConsumer();
  const devwiki = await startDevwiki({ consumers: [consumer], refreshTokenTtlS: 3600 });
  return {
    protocol,
    devwiki,
    consumer,
    async userFor(username, env = {}) {
      const config = configFor(protocol, devwiki, consumer, env);
      const credentials = await credentialsFor(protocol, devwiki, consumer, username);
      const login: LoginSession = { sub: '0', username, credentials, loggedInAt: 1 };
      const flow = config.protocol === '2.0' ? oauth2Flow(config) : oauth1Flow(config);
      return wikiUser(login, flow, config);
    },
    close: () => devwiki.close(),
  };
}
