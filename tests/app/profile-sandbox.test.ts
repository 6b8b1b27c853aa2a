import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki } from '@/devwiki';
import type { OAuth1AppConfig as AppConfig } from '@/lib/server/config';
import { readOAuth1Config } from '@/tests/support/oauth1-config';
import { loadProfile } from '@/app/profile/_lib/profile';
import {
  appendToSandboxPage,
  cleanLine,
  latestRevision,
  MAX_LINE_LENGTH,
  savedRevision,
} from '@/lib/server/sandbox';
import { oauth1Flow } from '@/lib/server/login/oauth1';
import type { LoginSession } from '@/lib/server/session/store';
import { wikiUser, type WikiUser } from '@/lib/server/wiki-user';
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
function userFor(accessToken: { key: string; secret: string }, username = 'test', with_ = config): WikiUser {
  const login: LoginSession = {
    sub: '0',
    username,
    credentials: { protocol: '1.0a', accessToken },
    loggedInAt: 1,
  };
  return wikiUser(login, oauth1Flow(with_), with_);
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
    const user = userFor(await accessTokenFor(devwiki, consumer, 'Alice'), 'Alice');
    const base = await user.withWiki((api) => latestRevision(api, 'User:Alice/sandbox'));
    const result = await appendToSandboxPage(user, 'first line', base);
    expect(result.ok).toBe(true);
    // Read back through the wiki's API, as anyone would see it.
    const saved = await readRevisionThroughApi(devwiki.apiUrl, 'User:Alice/sandbox');
    expect(saved).toMatchObject({ user: 'Alice', revid: result.ok ? result.revid : -1 });
    expect(saved?.tags).toContain(`OAuth CID: ${consumer.id}`);
    expect(saved?.content.split('\n')).toContain('* first line');
    expect(await user.withWiki((api) => latestRevision(api, 'User:Alice/sandbox'))).toBe(saved?.revid);
  });

  it('should spend one deadline on the token and the edit together, not one each', async () => {
    const slow = readOAuth1Config({
      MW_INDEX_URL: devwiki.indexUrl,
      MW_CONSUMER_KEY: consumer.key,
      MW_CONSUMER_SECRET: consumer.secret,
      SESSION_SECRET,
      MW_TIMEOUT_MS: '2000',
    });
    const user = userFor(await accessTokenFor(devwiki, consumer, 'Ivan'), 'Ivan', slow);
    // Each API answer takes 1.5 s: the token fits in the 2 s deadline, the edit then cannot.
    devwiki.setFault('api', { kind: 'latency', ms: 1500 });
    try {
      const started = performance.now();
      const result = await appendToSandboxPage(user, 'x', null);
      const elapsed = performance.now() - started;
      expect(result).toMatchObject({ ok: false, outcome: 'unreachable' });
      expect(elapsed).toBeLessThan(2000 + 1000);
    } finally {
      devwiki.setFault('api', null);
    }
  });

  it('should report an edit conflict when the page changed since the user saw it', async () => {
    const user = userFor(await accessTokenFor(devwiki, consumer, 'Frank'), 'Frank');
    const seen = await user.withWiki((api) => latestRevision(api, 'User:Frank/sandbox'));
    expect(await appendToSandboxPage(user, 'one', seen)).toMatchObject({ ok: true });
    expect(await appendToSandboxPage(user, 'two', seen === null ? 1 : seen)).toMatchObject({
      ok: false,
      outcome: 'editconflict',
      mediawikiCode: 'editconflict',
    });
  });

  it('should report a block', async () => {
    const user = userFor(await accessTokenFor(devwiki, consumer, 'Blocked'), 'Blocked');
    expect(await appendToSandboxPage(user, 'x', null)).toMatchObject({
      ok: false,
      outcome: 'blocked',
      mediawikiCode: 'blocked',
    });
  });

  it('should report a protected page', async () => {
    devwiki.protectPage('User:Grace/sandbox');
    const user = userFor(await accessTokenFor(devwiki, consumer, 'Grace'), 'Grace');
    expect(await appendToSandboxPage(user, 'x', null)).toMatchObject({
      ok: false,
      outcome: 'protectedpage',
      mediawikiCode: 'protectedpage',
    });
  });

  it("should leave a revoked token to withWiki's session handling, not report it as an outcome", async () => {
    const user = userFor(await accessTokenFor(devwiki, consumer, 'Heidi'), 'Heidi');
    devwiki.revoke('Heidi', consumer.key);
    await expect(appendToSandboxPage(user, 'x', null)).rejects.toMatchObject({ code: 'session_ended' });
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
  const flash = { sub: '3', revid: 123, wiki: 'meta.wikimedia.org' };

  it('should show the revision the flash cookie says this user just saved', () => {
    expect(savedRevision('123', flash, '3', 'meta.wikimedia.org')).toBe(123);
  });

  it.each([
    ['a crafted link, without the flash cookie', '123', null, '3'],
    ["another user's flash", '123', flash, '4'],
    ['another revision than the flash names', '124', flash, '3'],
    ['a value that is not a revision id', '12x', flash, '3'],
    ['no saved parameter', null, flash, '3'],
  ])('should not say Saved for %s', (_what, param, cookie, sub) => {
    expect(savedRevision(param, cookie, sub, 'meta.wikimedia.org')).toBeNull();
  });

  it('should not say Saved on another wiki than the one the revision was saved on', () => {
    // Revision ids are per wiki: the same number on another wiki is another edit.
    expect(savedRevision('123', flash, '3', 'commons.wikimedia.org')).toBeNull();
  });
});
