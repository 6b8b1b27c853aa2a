import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FLASH_COOKIE, FLASH_TTL_S, readSandboxFlash, writeSandboxFlash } from '@/app/sandbox/_lib/flash';
import {
  appendToSandboxPage,
  cleanLine,
  latestRevision,
  MAX_LINE_LENGTH,
  savedRevision,
} from '@/app/sandbox/_lib/sandbox';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { cookieWriter, type CookieAttributes } from '@/lib/server/session/cookies';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { readRevisionThroughApi, SESSION_SECRET } from '@/tests/support/app-harness';
import { sessionConfig } from '@/tests/support/session-config';
import { PROTOCOLS, startWikiUsers, type WikiUsers } from '@/tests/support/wiki-users';

// The sandbox demo (app/sandbox): what its server action does with the wiki, in both protocols,
// against an in-process devwiki; the line it accepts; and the flash cookie behind "Saved". Deleted
// with the demo (README, "Make it yours").

describe.each(PROTOCOLS)('the sandbox edit (OAuth %s)', (protocol) => {
  let wiki: WikiUsers;

  beforeAll(async () => {
    wiki = await startWikiUsers(protocol);
  });
  afterAll(async () => {
    await wiki?.close();
  });

  it('should append a line as the user, tagged with the consumer, and return the new revision', async () => {
    const { devwiki, consumer } = wiki;
    const user = await wiki.userFor('Alice');
    const base = await user.withWiki((api) => latestRevision(api, 'User:Alice/sandbox'));
    const result = await appendToSandboxPage(user, `first line (${protocol})`, base);
    expect(result.ok).toBe(true);
    // Read back through the wiki's API, as anyone would see it (fixtures 11, o2-12b).
    const saved = await readRevisionThroughApi(devwiki.apiUrl, 'User:Alice/sandbox');
    expect(saved).toMatchObject({ user: 'Alice', revid: result.ok ? result.revid : -1 });
    expect(saved?.tags).toContain(`OAuth CID: ${consumer.id}`);
    expect(saved?.content.split('\n')).toContain(`* first line (${protocol})`);
    expect(await user.withWiki((api) => latestRevision(api, 'User:Alice/sandbox'))).toBe(saved?.revid);
  });

  it('should spend one deadline on the token and the edit together, not one each', async () => {
    const user = await wiki.userFor('Ivan', { MW_TIMEOUT_MS: '2000' });
    // Each API answer takes 1.5 s: the token fits in the 2 s deadline, the edit then cannot.
    wiki.devwiki.setFault('api', { kind: 'latency', ms: 1500 });
    try {
      const started = performance.now();
      const result = await appendToSandboxPage(user, 'x', null);
      const elapsed = performance.now() - started;
      expect(result).toMatchObject({ ok: false, outcome: 'unreachable' });
      expect(elapsed).toBeLessThan(2000 + 1000);
    } finally {
      wiki.devwiki.setFault('api', null);
    }
  });

  it('should report an edit conflict when the page changed since the user saw it', async () => {
    const user = await wiki.userFor('Frank');
    const seen = await user.withWiki((api) => latestRevision(api, 'User:Frank/sandbox'));
    expect(await appendToSandboxPage(user, 'one', seen)).toMatchObject({ ok: true });
    expect(await appendToSandboxPage(user, 'two', seen === null ? 1 : seen)).toMatchObject({
      ok: false,
      outcome: 'editconflict',
      mediawikiCode: 'editconflict',
    });
  });

  it('should report a block', async () => {
    expect(await appendToSandboxPage(await wiki.userFor('Blocked'), 'x', null)).toMatchObject({
      ok: false,
      outcome: 'blocked',
      mediawikiCode: 'blocked',
    });
  });

  it('should report a protected page', async () => {
    wiki.devwiki.protectPage('User:Grace/sandbox');
    expect(await appendToSandboxPage(await wiki.userFor('Grace'), 'x', null)).toMatchObject({
      ok: false,
      outcome: 'protectedpage',
      mediawikiCode: 'protectedpage',
    });
  });

  it("should leave a revoked token to withWiki's session handling, not report it as an outcome", async () => {
    const user = await wiki.userFor('Heidi');
    wiki.devwiki.revoke('Heidi', wiki.consumer.key);
    // The flow's verdict, not a list of codes: the user's onEnded runs (here the default, AppError
    // session_ended; requireUserForAction's user redirects to the revocation check or ends there).
    await expect(appendToSandboxPage(user, 'x', null)).rejects.toMatchObject({ code: 'session_ended' });
  });
});

describe('the sandbox line', () => {
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

/** A cookie jar standing in for next/headers' cookies(). */
class Jar {
  readonly values = new Map<string, string>();
  readonly attributes = new Map<string, CookieAttributes>();
  get(name: string): { value: string } | undefined {
    const value = this.values.get(name);
    return value === undefined ? undefined : { value };
  }
  set(name: string, value: string, options: CookieAttributes): void {
    this.values.set(name, value);
    this.attributes.set(name, options);
  }
}

describe('the sandbox flash cookie', () => {
  const config = sessionConfig(SESSION_SECRET);
  const saved = { sub: '3', revid: 42, wiki: 'meta.wikimedia.org' };

  afterEach(() => {
    vi.useRealTimers();
  });

  it('should carry who saved which revision for 60 s, sealed and HttpOnly', async () => {
    const jar = new Jar();
    await writeSandboxFlash(cookieWriter(jar, true), saved, config);
    expect(FLASH_TTL_S).toBe(60);
    expect(jar.attributes.get(FLASH_COOKIE)).toMatchObject({ httpOnly: true, secure: true, maxAge: 60 });
    expect(jar.values.get(FLASH_COOKIE)).toMatch(/^Fe26\.2\*/);
    expect(await readSandboxFlash(jar, config)).toEqual(saved);
  });

  it("should be gone once its minute (and iron's minute of clock skew) is over", async () => {
    const jar = new Jar();
    await writeSandboxFlash(cookieWriter(jar, true), saved, config);
    vi.useFakeTimers({ now: Date.now() + 121_000 });
    expect(await readSandboxFlash(jar, config)).toBeNull();
  });

  it.each([
    ['absent', null],
    ['garbage', 'a*b*c*d*e*f*g*h'],
  ])('should read nothing when it is %s', async (_what, value) => {
    const jar = new Jar();
    if (value !== null) jar.values.set(FLASH_COOKIE, value);
    expect(await readSandboxFlash(jar, config)).toBeNull();
  });

  it('should read nothing from a well-sealed value of another shape (a login cookie copied over)', async () => {
    const jar = new Jar();
    const store = cookieStore(config);
    await store.create(await store.open(jar), cookieWriter(jar, true), {
      sub: '3',
      username: 'Alice',
      credentials: { protocol: '1.0a', accessToken: { key: 'a'.repeat(32), secret: 'b'.repeat(40) } },
    });
    jar.values.set(FLASH_COOKIE, jar.values.get(LOGIN_COOKIE) ?? '');
    expect(await readSandboxFlash(jar, config)).toBeNull();
  });
});
