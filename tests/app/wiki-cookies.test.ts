// lib/server/wiki/cookies.ts: one login's wiki cookies kept in its session record, replayed into a
// tough-cookie jar per request, and what the cookie store does when they do not fit.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NewLogin } from '@/lib/server/login/credentials';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { cookieWriter } from '@/lib/server/session/cookies';
import { MAX_COOKIE_VALUE_LENGTH } from '@/lib/server/session/seal';
import { LoginJar, RENEW_MARGIN_S, wikiCookiesDue, type WikiCookies } from '@/lib/server/wiki/cookies';
import { SESSION_SECRET } from '@/tests/support/app-harness';
import { productionSizedSessionJwt } from '@/tests/support/session-jwt';
import { sessionConfig } from '@/tests/support/session-config';

const META = 'https://meta.wikimedia.org/w/api.php';
const nowS = (): number => Math.floor(Date.now() / 1000);

class Browser {
  readonly values = new Map<string, string>();
  readonly attributes = new Map<string, unknown>();
  get(name: string): { value: string } | undefined {
    const value = this.values.get(name);
    return value === undefined ? undefined : { value };
  }
  set(name: string, value: string, attributes: unknown): void {
    this.values.set(name, value);
    this.attributes.set(name, attributes);
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LoginJar', () => {
  it("should keep the wiki's cookie with an absolute expiry and give it back to that wiki only", async () => {
    const jar = await LoginJar.open(null);
    await jar.jar.setCookie('sessionJwt=abc; Max-Age=3600; path=/; secure; HttpOnly', META);
    const stored = await jar.changed();
    expect(stored?.list).toHaveLength(1);
    expect(stored?.list[0]?.[0]).toBe('https://meta.wikimedia.org/');
    expect(stored?.list[0]?.[1]).toMatch(/^sessionJwt=abc; Expires=[^;]+ GMT; Path=\/; Secure; HttpOnly$/);
    expect(stored?.exp).toBeGreaterThanOrEqual(nowS() + 3599);

    // An hour later the replayed cookie has expired: Max-Age did not start again.
    const later = await LoginJar.open(stored);
    expect(await later.jar.getCookieString(META)).toBe('sessionJwt=abc');
    expect(await later.jar.getCookieString('https://commons.wikimedia.org/w/api.php')).toBe('');
    expect(await later.changed()).toBeNull();
    vi.useFakeTimers({ now: Date.now() + 3601_000, toFake: ['Date'] });
    const expired = await LoginJar.open(stored);
    expect(await expired.jar.getCookieString(META)).toBe('');
    expect((await expired.snapshot()).list).toEqual([]);
  });

  it('should drop what is not a cookie of the wiki that set it (a cookie for another domain)', async () => {
    const jar = await LoginJar.open(null);
    await jar.jar.setCookie('evil=1; Domain=example.org; path=/', META).catch(() => undefined);
    expect((await jar.snapshot()).list).toEqual([]);
    const forged: WikiCookies = {
      at: nowS(),
      exp: null,
      list: [['https://meta.wikimedia.org/', 'x=1; Domain=example.org']],
    };
    expect(await (await LoginJar.open(forged)).jar.getCookieString('https://example.org/')).toBe('');
  });
});

describe('wikiCookiesDue (when proxy.ts asks the wiki to renew them)', () => {
  it('should ask only to renew a cookie about to expire, never for a login without any', () => {
    const now = nowS();
    const cookie: [string, string] = ['https://meta.wikimedia.org/', 'sessionJwt=x'];
    expect(wikiCookiesDue(null, now)).toBe(false);
    expect(wikiCookiesDue({ at: now - 3600, exp: null, list: [] }, now)).toBe(false);
    expect(wikiCookiesDue({ at: now - 3600, exp: now + 4 * 3600, list: [cookie] }, now)).toBe(false);
    expect(wikiCookiesDue({ at: now - 3600, exp: now + RENEW_MARGIN_S - 1, list: [cookie] }, now)).toBe(true);
    // Never twice a minute, whatever the wiki answered.
    expect(wikiCookiesDue({ at: now - 10, exp: now, list: [cookie] }, now)).toBe(false);
  });
});

describe('the login cookie with the wiki cookies (SESSION_STORE=cookie)', () => {
  const config = sessionConfig(SESSION_SECRET);
  const login: NewLogin = {
    sub: '123456789',
    username: 'A user with a name of some length',
    credentials: { protocol: '1.0a', accessToken: { key: 'a'.repeat(32), secret: 'b'.repeat(40) } },
  };

  async function withCookies(list: WikiCookies['list']): Promise<{ browser: Browser; bytes: number }> {
    const browser = new Browser();
    const store = cookieStore(config);
    await store.create(await store.open(browser), cookieWriter(browser, true), login);
    const session = await store.open(browser);
    await session.save(cookieWriter(browser, true), login.credentials, { at: nowS(), exp: null, list });
    const value = browser.values.get(LOGIN_COOKIE) ?? '';
    // The Set-Cookie a browser gets: name=value and every attribute we set.
    const header = `${LOGIN_COOKIE}=${value}; Path=/; Expires=Mon, 14 Dec 2026 01:00:00 GMT; Max-Age=604740; HttpOnly; Secure; SameSite=Lax`;
    return { browser, bytes: Buffer.byteLength(header) };
  }

  it('should fit a production-sized sessionJwt with every attribute well under 4 KB', async () => {
    const jwt = productionSizedSessionJwt();
    const cookie = `sessionJwt=${jwt}; Expires=Mon, 07 Dec 2026 05:00:00 GMT; Path=/; Secure; HttpOnly`;
    const { browser, bytes } = await withCookies([['https://meta.wikimedia.org/', cookie]]);
    expect(bytes).toBeLessThan(4096);
    const read = (await cookieStore(config).open(browser)).login;
    expect(read?.wikiCookies?.list).toEqual([['https://meta.wikimedia.org/', cookie]]);
  });

  it('should drop the other cookies, then sessionJwt, before the login does not fit', async () => {
    const jwt = productionSizedSessionJwt();
    const session = ['https://meta.wikimedia.org/', `sessionJwt=${jwt}; Path=/; Secure`] as const;
    const big = (n: number): readonly [string, string] => [
      'https://meta.wikimedia.org/',
      `other${n}=${'x'.repeat(1500)}; Path=/`,
    ];
    const trimmed = await withCookies([session, big(1), big(2)]);
    expect((await cookieStore(config).open(trimmed.browser)).login?.wikiCookies?.list).toEqual([session]);
    expect(trimmed.browser.values.get(LOGIN_COOKIE)?.length).toBeLessThanOrEqual(MAX_COOKIE_VALUE_LENGTH);

    const huge = ['https://meta.wikimedia.org/', `sessionJwt=${'y'.repeat(3500)}; Path=/`] as const;
    const none = await withCookies([huge]);
    const read = (await cookieStore(config).open(none.browser)).login;
    expect(read?.username).toBe(login.username);
    expect(read?.wikiCookies?.list).toEqual([]);
  });
});
