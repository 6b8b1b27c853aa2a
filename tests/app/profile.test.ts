import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '@/app/profile/_lib/profile';
import { PROTOCOLS, startWikiUsers, type WikiUsers } from '@/tests/support/wiki-users';

// What /profile does with the wiki, against an in-process devwiki, in both protocols: OAuth 1.0a
// asks Special:OAuth/identify, 2.0 rest.php's resource/profile (Bearer); both ask api.php's
// meta=userinfo. The page itself is a server component; the browser tests render it. The store
// does not enter here (a WikiUser calls the wiki with the credentials it was given).

describe.each(PROTOCOLS)('loadProfile (OAuth %s)', (protocol) => {
  let wiki: WikiUsers;
  const identityEndpoint = protocol === '2.0' ? 'profile' : 'identify';

  beforeAll(async () => {
    wiki = await startWikiUsers(protocol);
  });
  afterAll(async () => {
    await wiki?.close();
  });

  it(`should ask ${identityEndpoint} and userinfo at the same time, and return both`, async () => {
    const { devwiki, consumer } = wiki;
    const user = await wiki.userFor('Alice');
    const before = devwiki.requests.length;
    // Each answer takes 300 ms, so requests made one after the other are easy to tell apart.
    devwiki.setFault('*', { kind: 'latency', ms: 300 });
    const profile = await loadProfile(user).finally(() => devwiki.setFault('*', null));
    const asked = devwiki.requests.slice(before);
    expect(asked.map((r) => r.endpoint).sort()).toEqual(['api', identityEndpoint].sort());
    // Sequential requests would arrive at least 300 ms apart (the latency of the first answer).
    const [first, second] = asked;
    expect(Math.abs((second?.time ?? 0) - (first?.time ?? 0))).toBeLessThan(200);

    expect(profile.kind).toBe('ok');
    if (profile.kind !== 'ok') return;
    expect(profile.identity).toMatchObject({ username: 'Alice', blocked: false, grants: consumer.grants });
    expect(profile.info?.name).toBe('Alice');
    expect(profile.info?.rights).toContain('edit');
    // userinfo's rights are limited by the grants; identify's are all the user's rights.
    expect(profile.info?.rights.length).toBeLessThanOrEqual(profile.identity.rights.length);
    expect(profile.info?.registrationdate).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("should show a blocked user's block", async () => {
    const profile = await loadProfile(await wiki.userFor('Blocked'));
    expect(profile.kind).toBe('ok');
    if (profile.kind !== 'ok') return;
    expect(profile.identity.blocked).toBe(true);
    expect(profile.info?.block).not.toBeNull();
  });

  it('should say revoked once the user revoked access on the wiki', async () => {
    const user = await wiki.userFor('Eve');
    wiki.devwiki.revoke('Eve', wiki.consumer.key);
    expect(await loadProfile(user)).toEqual({ kind: 'revoked' });
  });
});
