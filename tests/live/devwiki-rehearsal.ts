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

export async function startRehearsalWiki(): Promise<Devwiki> {
  return startDevwiki({ consumers: [REHEARSAL_APP_CONSUMER, rehearsalOwnerOnlyConsumer()] });
}
