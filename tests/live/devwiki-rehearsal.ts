// A rehearsal of the live tests against devwiki (`npm run test:live -- --devwiki`, and
// tests/e2e/live-rehearsal.test.ts): a local stand-in that keeps the real wiki's form ids, field and
// button names, so the live suite's every step runs here without a network. It shows the suite
// works and can fail; it does not show a real wiki behaves like devwiki.
import { defaultConsumers, startDevwiki, type Devwiki, type DevwikiConsumer } from '../../devwiki';

/** The app's consumer, registered as the docs ask: callback-is-prefix on port 1 (any port). */
export const REHEARSAL_APP_CONSUMER: DevwikiConsumer = {
  id: 61,
  name: 'next-mwoauth live rehearsal',
  key: 'feedfacefeedfacefeedface00000061',
  secret: 'feedfacefeedfacefeedfacefeedfacefeed0061',
  callbackUrl: 'http://localhost:1/api/mwoauth/callback',
  callbackIsPrefix: true,
  grants: ['basic', 'editpage', 'createeditmovepage'],
  ownerOnly: false,
};

/** devwiki's default owner-only consumer 3, owned by Admin, with its fixed access token. */
export function rehearsalOwnerOnlyConsumer(): DevwikiConsumer {
  const consumer = defaultConsumers().find((c) => c.ownerOnly);
  if (consumer === undefined) throw new Error('devwiki has no default owner-only consumer');
  return consumer;
}

/** The LIVE_* variables that point the live suite at `devwiki`, as a tester would set them for a real wiki. */
export function rehearsalEnv(devwiki: Devwiki): Record<string, string> {
  const owner = rehearsalOwnerOnlyConsumer();
  if (owner.accessToken === undefined) throw new Error('devwiki consumer 3 has no access token');
  return {
    LIVE_MW_INDEX_URL: devwiki.indexUrl,
    LIVE_MW_API_URL: devwiki.apiUrl,
    LIVE_OWNER_CONSUMER_KEY: owner.key,
    LIVE_OWNER_CONSUMER_SECRET: owner.secret,
    LIVE_OWNER_ACCESS_TOKEN: owner.accessToken.key,
    LIVE_OWNER_ACCESS_SECRET: owner.accessToken.secret,
    LIVE_CONSUMER_KEY: REHEARSAL_APP_CONSUMER.key,
    LIVE_CONSUMER_SECRET: REHEARSAL_APP_CONSUMER.secret,
    // Typed as a person might: the wiki (and the test) normalise it to "Rehearsal tester".
    LIVE_USERNAME: 'rehearsal_tester',
    // devwiki accepts any password; this one is long enough to spot if it ever leaked.
    LIVE_PASSWORD: 'rehearsal-password-7f3a9c-never-printed',
    USER_AGENT: 'next-mwoauth-live-rehearsal/1.0 (npm run test:live -- --devwiki; devwiki only)',
  };
}

/**
 * The app's OAuth 2.0 client, registered as the docs ask: exactly the callback on `port` (2.0 has no
 * prefix rule), confidential.
 */
export function rehearsalOAuth2Client(port: number): DevwikiConsumer {
  return {
    id: 62,
    name: 'next-mwoauth live rehearsal (OAuth 2.0)',
    key: 'feedfacefeedfacefeedface00000062',
    secret: 'feedfacefeedfacefeedfacefeedfacefeed0062',
    oauthVersion: '2.0',
    confidential: true,
    callbackUrl: `http://localhost:${port}/api/mwoauth/callback`,
    callbackIsPrefix: false,
    grants: ['basic', 'editpage', 'createeditmovepage'],
    ownerOnly: false,
  };
}

/** devwiki's default owner-only OAuth 2.0 client 6, owned by Admin. */
export function rehearsalOwnerOnlyClient(): DevwikiConsumer {
  const client = defaultConsumers().find((c) => c.ownerOnly && c.oauthVersion === '2.0');
  if (client === undefined) throw new Error('devwiki has no default owner-only OAuth 2.0 client');
  return client;
}

/**
 * The rehearsal's devwiki: the 1.0a consumers, and with `oauth2CallbackPort` also the 2.0 client
 * registered for the app on that port and the owner-only 2.0 client.
 */
export async function startRehearsalWiki(options: { oauth2CallbackPort?: number } = {}): Promise<Devwiki> {
  const port = options.oauth2CallbackPort;
  return startDevwiki({
    consumers: [
      REHEARSAL_APP_CONSUMER,
      rehearsalOwnerOnlyConsumer(),
      ...(port === undefined ? [] : [rehearsalOAuth2Client(port), rehearsalOwnerOnlyClient()]),
    ],
  });
}

/** The LIVE_* variables for LIVE_MW_OAUTH_VERSION=2.0 against `devwiki` (started with `port`). */
export async function rehearsalEnv2(devwiki: Devwiki, port: number): Promise<Record<string, string>> {
  const app = rehearsalOAuth2Client(port);
  // The wiki, the account and USER_AGENT as for 1.0a; none of 1.0a's owner-only values.
  const common = Object.fromEntries(
    Object.entries(rehearsalEnv(devwiki)).filter(([name]) => !name.startsWith('LIVE_OWNER_')),
  );
  return {
    ...common,
    LIVE_MW_OAUTH_VERSION: '2.0',
    LIVE_OWNER_ACCESS_TOKEN: await devwiki.ownerOnlyAccessToken(rehearsalOwnerOnlyClient().key),
    LIVE_CONSUMER_KEY: app.key,
    LIVE_CONSUMER_SECRET: app.secret,
    LIVE_CALLBACK: app.callbackUrl,
  };
}
