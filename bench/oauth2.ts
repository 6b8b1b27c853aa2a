// The app in OAuth 2.0 mode for the bench's 2.0 rows (sections 2 and 3): `next start` with
// MW_OAUTH_VERSION=2.0 against an in-process devwiki whose one client is a confidential OAuth 2.0
// client registered with the app's exact redirect URI (the wiki compares it exactly: no
// callback-is-prefix for 2.0), and tokens got by lib/mwoauth itself for the round-trip figure.
import type { DevwikiConsumer, DevwikiOptions } from '@/devwiki';
import type { Devwiki } from '@/devwiki';
import { createAuthorization, exchangeCode, type OAuth2Tokens } from 'mwoauth';
import { freePort, startE2EServer, type E2EServer } from '@/tests/support/e2e-app';

export const BENCH_USER_AGENT = 'next-mwoauth-bench/1.0 (bench; nobody@example.org)';

/** A confidential 2.0 client whose registered callback is the app's on `port`. */
function benchClient(port: number): DevwikiConsumer {
  return {
    id: 43,
    name: 'next-mwoauth bench (OAuth 2.0)',
    key: 'be2cbe2cbe2cbe2cbe2cbe2cbe2c0043',
    secret: 'be2cbe2cbe2cbe2cbe2cbe2cbe2cbe2cbe2c0043',
    oauthVersion: '2.0',
    confidential: true,
    callbackUrl: `http://localhost:${port}/api/mwoauth/callback`,
    callbackIsPrefix: false,
    grants: ['basic', 'editpage', 'createeditmovepage'],
    ownerOnly: false,
  };
}

/** `next start` with MW_OAUTH_VERSION=2.0 against devwiki (`devwiki`: its options). */
export async function startOAuth2Server(devwiki: Omit<DevwikiOptions, 'consumers'> = {}): Promise<E2EServer> {
  const port = await freePort();
  return startE2EServer({
    port,
    consumer: benchClient(port),
    devwiki,
    // startAppServer sets MW_CALLBACK and APP_URL to http://localhost:<port>/api/mwoauth/callback
    // and http://localhost:<port>: the redirect URI registered above.
    env: { MW_OAUTH_VERSION: '2.0' },
  });
}

/** Alice's tokens for `server`'s client, got by lib/mwoauth from the bench process (devwiki presses Allow). */
export async function oauth2TokensFor(server: E2EServer, devwiki: Devwiki): Promise<OAuth2Tokens> {
  const { consumer } = server;
  const client = { clientId: consumer.key, clientSecret: consumer.secret };
  const redirectUri = consumer.callbackUrl;
  const { redirectUrl, state, codeVerifier } = await createAuthorization(devwiki.indexUrl, client, {
    redirectUri,
  });
  const back = new URL(await devwiki.approve(redirectUrl, 'Alice'));
  return exchangeCode(devwiki.indexUrl, client, { state, codeVerifier }, back.searchParams, {
    redirectUri,
    userAgent: BENCH_USER_AGENT,
  });
}
