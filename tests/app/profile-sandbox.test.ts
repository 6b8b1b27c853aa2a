import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki } from '@/devwiki';
import type { OAuth1AppConfig as AppConfig } from '@/lib/server/config';
import { readOAuth1Config } from '@/tests/support/oauth1-config';
import { loadProfile } from '@/lib/server/profile';
import {
  appendToSandboxPage,
  cleanLine,
  latestRevision,
  MAX_LINE_LENGTH,
  savedRevision,
} from '@/lib/server/sandbox';
import { apiClientFor, oauth1Flow } from '@/lib/server/login/oauth1';
import type { LoginSession } from '@/lib/server/session/store';
import { wikiUser, type WikiUser } from '@/lib/server/wiki-user';
import { startWikiDeadline } from '@/lib/server/wiki';
import {
  accessTokenFor,
  APP_ORIGIN,
  readRevisionThroughApi,
  SESSION_SECRET,
  testConsumer,
} from '@/tests/support/app-harness';

// What /profile and /sandbox do with the wiki, against an in-process devwiki (the pages themselves
// are server components; the browser tests render them).

const consumer = testConsumer();
let devwiki: Devwiki;
let config: AppConfig;

beforeAll(async () => {
  devwiki = await startDevwiki({ consumers: [consumer] });
  config = readOAuth1Config({
    MW_INDEX_URL: devwiki.indexUrl,
    MW_CONSUMER_KEY: consumer.key,
    MW_CONSUMER_SECRET: consumer.secret,
    SESSION_SECRET,
    APP_URL: APP_ORIGIN,
    USER_AGENT: 'next-mwoauth-tests/1.0 (tests/app; nobody@example.org)',
  });
});
afterAll(async () => {
  await devwiki.close();
});

/** What requireUser() hands /profile for a user holding `accessToken` (here: no redirect). */
function userFor(accessToken: { key: string; secret: string }): WikiUser {
  const login: LoginSession = {
    sub: '0',
    username: 'test',
    credentials: { protocol: '1.0a', accessToken },
    loggedInAt: 1,
  };
  return wikiUser(login, oauth1Flow(config), config);
}

describe('loadProfile', () => {
  it('should ask identify and userinfo at the same time, and return both', async () => {
    const token = await accessTokenFor(devwiki, consumer, 'Alice');
    const before = devwiki.requests.length;
    // Each answer takes 300 ms, so requests made one after the other are easy to tell apart.
    devwiki.setFault('*', { kind: 'latency', ms: 300 });
    const profile = await loadProfile(userFor(token)).finally(() => devwiki.setFault('*', null));
    const asked = devwiki.requests.slice(before);
    expect(asked.map((r) => r.endpoint).sort()).toEqual(['api', 'identify']);
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
    const profile = await loadProfile(userFor(await accessTokenFor(devwiki, consumer, 'Blocked')));
    expect(profile.kind).toBe('ok');
    if (profile.kind !== 'ok') return;
    expect(profile.identity.blocked).toBe(true);
    expect(profile.info?.block).not.toBeNull();
  });

  it('should say revoked once the user revoked access on the wiki', async () => {
    const token = await accessTokenFor(devwiki, consumer, 'Eve');
    devwiki.revoke('Eve', consumer.key);
    expect(await loadProfile(userFor(token))).toEqual({ kind: 'revoked' });
  });
});

describe('the sandbox edit', () => {
  it('should append a line as the user, tagged with the consumer, and return the new revision', async () => {
    const token = await accessTokenFor(devwiki, consumer, 'Alice');
    const api = apiClientFor(config, token);
    const base = await latestRevision(api, 'User:Alice/sandbox');
    const result = await appendToSandboxPage(() => api, 'Alice', 'first line', base);
    expect(result.ok).toBe(true);
    // Read back through the wiki's API, as anyone would see it.
    const saved = await readRevisionThroughApi(devwiki.apiUrl, 'User:Alice/sandbox');
    expect(saved).toMatchObject({ user: 'Alice', revid: result.ok ? result.revid : -1 });
    expect(saved?.tags).toContain(`OAuth CID: ${consumer.id}`);
    expect(saved?.content.split('\n')).toContain('* first line');
    expect(await latestRevision(api, 'User:Alice/sandbox')).toBe(saved?.revid);
  });

  it('should spend one deadline on the token and the edit together, not one each', async () => {
    const slow = readOAuth1Config({
      MW_INDEX_URL: devwiki.indexUrl,
      MW_CONSUMER_KEY: consumer.key,
      MW_CONSUMER_SECRET: consumer.secret,
      SESSION_SECRET,
      MW_TIMEOUT_MS: '2000',
    });
    const token = await accessTokenFor(devwiki, consumer, 'Ivan');
    // Each API answer takes 1.5 s: the token fits in the 2 s deadline, the edit then cannot.
    devwiki.setFault('api', { kind: 'latency', ms: 1500 });
    try {
      const deadline = startWikiDeadline(slow);
      const started = performance.now();
      const result = await appendToSandboxPage(() => apiClientFor(slow, token, deadline), 'Ivan', 'x', null);
      const elapsed = performance.now() - started;
      expect(result).toMatchObject({ ok: false, outcome: 'unreachable' });
      expect(elapsed).toBeLessThan(2000 + 1000);
    } finally {
      devwiki.setFault('api', null);
    }
  });

  it('should report an edit conflict when the page changed since the user saw it', async () => {
    const api = apiClientFor(config, await accessTokenFor(devwiki, consumer, 'Frank'));
    const seen = await latestRevision(api, 'User:Frank/sandbox');
    expect(await appendToSandboxPage(() => api, 'Frank', 'one', seen)).toMatchObject({ ok: true });
    expect(await appendToSandboxPage(() => api, 'Frank', 'two', seen === null ? 1 : seen)).toMatchObject({
      ok: false,
      outcome: 'editconflict',
      mediawikiCode: 'editconflict',
    });
  });

  it('should report a block', async () => {
    const api = apiClientFor(config, await accessTokenFor(devwiki, consumer, 'Blocked'));
    expect(await appendToSandboxPage(() => api, 'Blocked', 'x', null)).toMatchObject({
      ok: false,
      revoked: false,
      outcome: 'blocked',
      mediawikiCode: 'blocked',
    });
  });

  it('should report a protected page', async () => {
    devwiki.protectPage('User:Grace/sandbox');
    const api = apiClientFor(config, await accessTokenFor(devwiki, consumer, 'Grace'));
    expect(await appendToSandboxPage(() => api, 'Grace', 'x', null)).toMatchObject({
      ok: false,
      outcome: 'protectedpage',
      mediawikiCode: 'protectedpage',
    });
  });

  it('should report a revoked token as revoked', async () => {
    const api = apiClientFor(config, await accessTokenFor(devwiki, consumer, 'Heidi'));
    devwiki.revoke('Heidi', consumer.key);
    expect(await appendToSandboxPage(() => api, 'Heidi', 'x', null)).toMatchObject({
      ok: false,
      revoked: true,
    });
  });

  it.each([
    ['empty', '', null],
    ['only spaces', '   \n\t ', null],
    ['too long', 'x'.repeat(MAX_LINE_LENGTH + 1), null],
    ['several lines', 'a\nb\r\nc', 'a b c'],
    ['not text', 42, null],
    ['control characters (NUL, BEL, ESC, DEL)', 'a\u0000b\u0007c\u001b[31md\u007f', 'abc[31md'],
    ['a NEL line break', 'a\u0085b', 'a b'],
    [
      'bidi overrides and isolates',
      '\u202aa\u202bb\u202cc\u202dd\u202ee\u2066f\u2067g\u2068h\u2069',
      'abcdefgh',
    ],
    ['nothing but control characters', '\u0000\u001b\u202e', null],
  ])('should clean a line that is %s', (_what, value, expected) => {
    expect(cleanLine(value)).toBe(expected);
  });
});

describe('the "Saved" message', () => {
  const flash = { sub: '3', revid: 123 };

  it('should show the revision the flash cookie says this user just saved', () => {
    expect(savedRevision('123', flash, '3')).toBe(123);
  });

  it.each([
    ['a crafted link, without the flash cookie', '123', null, '3'],
    ["another user's flash", '123', flash, '4'],
    ['another revision than the flash names', '124', flash, '3'],
    ['a value that is not a revision id', '12x', flash, '3'],
    ['no saved parameter', null, flash, '3'],
  ])('should not say Saved for %s', (_what, param, cookie, sub) => {
    expect(savedRevision(param, cookie, sub)).toBeNull();
  });
});
