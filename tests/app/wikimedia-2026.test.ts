// The app against both devwiki modes: the recorded MediaWiki 1.39 and the Wikimedia-like one
// (devwiki/wikimedia.ts). A page (proxy.ts, requireUser, loadProfile, and the revocation check it
// redirects to), the identify route and a server action (the test build's, app/action-fixture) each survive an access token the wiki
// refuses before its time, with exactly one refresh and no logout; two OAuth 1.0a users' page loads
// under a small per-IP budget for anonymous requests all succeed with their own wiki cookies, and
// fail without them (WIKI_COOKIES=off).
import { NextRequest } from 'next/server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDevwiki, type Devwiki } from '@/devwiki';
import { GET as callback } from '@/app/api/mwoauth/callback/route';
import { GET as identifyRoute } from '@/app/api/mwoauth/identify/route';
import { GET as initiateRoute } from '@/app/api/mwoauth/initiate/route';
import { POST as logout } from '@/app/api/mwoauth/logout/route';
import { GET as revokedRoute } from '@/app/api/mwoauth/revoked/route';
import { appendLine } from '@/app/action-fixture/actions.fixture';
import { requireUser } from '@/lib/server/auth';
import { loadProfile, type ProfileResult } from '@/app/profile/_lib/profile';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { toLoginSession } from '@/lib/server/session/login-record';
import { unsealOrNull } from '@/lib/server/session/seal';
import { translator } from '@/lib/server/i18n';
import { describeWikiError } from '@/lib/server/failures/describe';
import { proxy } from '@/proxy';
import {
  APP_ORIGIN,
  configureFor,
  CookieJar,
  request,
  SESSION_SECRET,
  testConsumer,
  testOAuth2Client,
} from '@/tests/support/app-harness';
import { sessionConfig } from '@/tests/support/session-config';

// Pages and actions read next/headers: here, the cookies of the browser (jar) being served.
const browser = vi.hoisted(() => ({ jar: null as null | { cookies: Map<string, string> } }));
vi.mock('next/headers', () => ({
  cookies: async () => ({
    get(name: string): { value: string } | undefined {
      const value = browser.jar?.cookies.get(name);
      return value === undefined ? undefined : { value };
    },
    set(name: string, value: string, options: { maxAge?: number } = {}): void {
      if (value === '' || options.maxAge === 0) browser.jar?.cookies.delete(name);
      else browser.jar?.cookies.set(name, value);
    },
  }),
  headers: async () => new Headers({ origin: APP_ORIGIN, host: 'localhost:3000' }),
}));

const client = testOAuth2Client();
const consumer = testConsumer();
const savedEnv = { ...process.env };

/** Where a redirect() thrown by a page or an action sends the browser (Next's NEXT_REDIRECT digest). */
function redirectTarget(error: unknown): string | null {
  const digest: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'digest') : null;
  if (typeof digest !== 'string' || !digest.startsWith('NEXT_REDIRECT;')) return null;
  return digest.split(';')[2] ?? null;
}

type PageLoad = { kind: 'rendered'; profile: ProfileResult } | { kind: 'redirect'; to: string };

/** A browser's GET of /profile: proxy.ts, then the page (requireUser + loadProfile). */
async function loadProfilePage(jar: CookieJar): Promise<PageLoad> {
  const incoming = request('/profile', jar);
  const response = await proxy(incoming);
  jar.update(response);
  const location = response.headers.get('location');
  if (location !== null) return { kind: 'redirect', to: location };
  browser.jar = jar;
  try {
    return { kind: 'rendered', profile: await loadProfile(await requireUser('/profile')) };
  } catch (error) {
    const to = redirectTarget(error);
    if (to === null) throw error;
    return { kind: 'redirect', to };
  }
}

async function logIn(devwiki: Devwiki, jar: CookieJar, username: string): Promise<void> {
  const started = await initiateRoute(request('/api/mwoauth/initiate?next=%2Fprofile', jar));
  jar.update(started);
  const back = await devwiki.approve(started.headers.get('location') ?? '', username);
  const done = await callback(request(back, jar));
  jar.update(done);
  expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
}

async function sealedLogin(jar: CookieJar): Promise<ReturnType<typeof toLoginSession>> {
  return toLoginSession(
    await unsealOrNull(jar.cookies.get(LOGIN_COOKIE) ?? '', sessionConfig(SESSION_SECRET), 'login-cookie'),
  );
}

const refreshes = (devwiki: Devwiki): number =>
  devwiki.requests.filter((r) => r.endpoint === 'token' && r.grantType === 'refresh_token').length;

afterEach(() => {
  browser.jar = null;
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

for (const mode of ['mediawiki-1.39', 'wikimedia'] as const) {
  describe(`an access token refused before its time, devwiki ${mode}`, () => {
    let devwiki: Devwiki;
    beforeAll(async () => {
      devwiki = await startDevwiki({
        consumers: [client],
        // 1.39's refresh tokens live a minute (o2-15): longer here, so the skewed clock below leaves them.
        ...(mode === 'wikimedia' ? { wikimedia: true } : { refreshTokenTtlS: 24 * 3600 }),
      });
    });
    afterAll(async () => {
      await devwiki.close();
    });
    afterEach(() => {
      devwiki.setClockOffset(0);
    });

    /**
     * Makes the wiki refuse the user's access token now, while the app still thinks it good: on the
     * Wikimedia-like wiki, as updating the authorization does (Extension:OAuth 0bdc100a: the edge
     * then answers 401 invalid_token); on 1.39, by moving the wiki's clock past the token's hour (the
     * API then says mwoauth-invalid-authorization, o2-13).
     */
    function invalidate(username: string): void {
      if (devwiki.wikimedia !== null) {
        expect(devwiki.wikimedia.invalidateAccessTokens(username, client.key)).toBeGreaterThan(0);
      } else {
        devwiki.setClockOffset(3700);
      }
    }

    async function loggedIn(username: string): Promise<CookieJar> {
      configureFor(devwiki, client);
      const jar = new CookieJar();
      await logIn(devwiki, jar, username);
      return jar;
    }

    it('should keep a page working: one trip through the revocation check, one refresh, no logout', async () => {
      const jar = await loggedIn('Alice');
      expect((await loadProfilePage(jar)).kind).toBe('rendered');
      invalidate('Alice');
      const before = refreshes(devwiki);

      const first = await loadProfilePage(jar);
      expect(first).toEqual({ kind: 'redirect', to: '/api/mwoauth/revoked?next=%2Fprofile' });
      const checked = await revokedRoute(request(first.kind === 'redirect' ? first.to : '', jar));
      jar.update(checked);
      expect(checked.status).toBe(303);
      expect(new URL(checked.headers.get('location') ?? '').pathname).toBe('/profile');
      const again = await loadProfilePage(jar);
      expect(again.kind === 'rendered' ? again.profile.kind : again).toBe('ok');

      expect(refreshes(devwiki) - before).toBe(1);
      expect((await sealedLogin(jar))?.username).toBe('Alice');
    });

    it('should keep the identify route working: one refresh, no logout', async () => {
      const jar = await loggedIn('Bob');
      invalidate('Bob');
      const before = refreshes(devwiki);
      const answer = await identifyRoute(request('/api/mwoauth/identify', jar));
      jar.update(answer);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ username: 'Bob' });
      expect(refreshes(devwiki) - before).toBe(1);
      expect((await sealedLogin(jar))?.username).toBe('Bob');
    });

    it('should end the session with the revoked message when the user revoked the grant (refresh: 1.39 invalid_request, Wikimedia invalid_grant)', async () => {
      const jar = await loggedIn('Grace');
      devwiki.revoke('Grace', client.key);
      const before = devwiki.requests.length;
      const answer = await identifyRoute(request('/api/mwoauth/identify', jar));
      jar.update(answer);
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ error: 'revoked' });
      expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
      // profile refused, one refresh refused, nothing more: no loop.
      expect(devwiki.requests.slice(before).map((r) => r.endpoint)).toEqual(['profile', 'token']);
    });

    it('should let a server action save its edit: one refresh in place, no logout', async () => {
      const jar = await loggedIn('Carol');
      invalidate('Carol');
      const before = refreshes(devwiki);
      browser.jar = jar;
      const form = new FormData();
      form.set('line', `saved through a refused token (${mode})`);
      let to: string | null = null;
      try {
        await appendLine(form);
      } catch (error) {
        to = redirectTarget(error);
        if (to === null) throw error;
      }
      expect(to).toMatch(/^\/action-fixture\?saved=\d+$/);
      expect(devwiki.readPage('User:Carol/action-fixture')?.content).toContain(
        `saved through a refused token (${mode})`,
      );
      expect(refreshes(devwiki) - before).toBe(1);
      expect((await sealedLogin(jar))?.username).toBe('Carol');
    });
  });
}

describe('OAuth 1.0a under a per-IP budget for anonymous requests (the Wikimedia-like devwiki)', () => {
  let devwiki: Devwiki;
  beforeAll(async () => {
    devwiki = await startDevwiki({
      consumers: [consumer],
      wikimedia: { anonymousBudget: { requests: 20, windowS: 60 } },
    });
  });
  afterAll(async () => {
    await devwiki.close();
  });

  /** 2 users × `loads` page loads of /profile, interleaved; how many did not render the profile. */
  async function interleaved(
    loads: number,
  ): Promise<{ failures: number; jars: CookieJar[]; errors: unknown[] }> {
    const jars = [new CookieJar(), new CookieJar()];
    for (const [i, jar] of jars.entries()) await logIn(devwiki, jar, i === 0 ? 'Dave' : 'Erin');
    let failures = 0;
    const errors: unknown[] = [];
    for (let n = 0; n < loads; n++) {
      for (const jar of jars) {
        const load = await loadProfilePage(jar);
        if (load.kind !== 'rendered' || load.profile.kind !== 'ok') failures++;
        if (load.kind === 'rendered' && load.profile.kind === 'error') errors.push(load.profile.error);
      }
    }
    return { failures, jars, errors };
  }

  it("should render all 2 × 50 page loads, each user with their own sessionJwt, none with another user's", async () => {
    configureFor(devwiki, consumer);
    const counted = devwiki.wikimedia?.counted.length ?? 0;
    const { failures, jars } = await interleaved(50);
    expect(failures).toBe(0);
    expect(devwiki.wikimedia?.crossUserCookies).toBe(0);
    expect(devwiki.wikimedia?.refusals).toBe(0);
    const since = devwiki.wikimedia?.counted.slice(counted) ?? [];
    // One request each before the wiki had set its cookie (proxy.ts asking for it); the rest the users' own.
    expect(since.filter((c) => c.kind === 'anonymous')).toHaveLength(2);
    expect(since.filter((c) => c.kind === 'user')).toHaveLength(100);
    const [dave, erin] = await Promise.all(jars.map(sealedLogin));
    expect(dave?.wikiCookies?.list).toHaveLength(1);
    expect(dave?.wikiCookies?.list[0]?.[1]).toMatch(/^sessionJwt=/);
    expect(dave?.wikiCookies?.list[0]?.[1]).not.toBe(erin?.wikiCookies?.list[0]?.[1]);

    // Logout drops the login, its wiki cookies with it.
    const [first] = jars;
    if (first === undefined) throw new Error('no jar');
    const out = await logout(
      request('/api/mwoauth/logout', first, { method: 'POST', headers: { origin: APP_ORIGIN } }),
    );
    first.update(out);
    expect(first.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should fail once the budget is spent when the jar is off (WIKI_COOKIES=off): all count as one IP', async () => {
    devwiki.wikimedia?.setBudgets({ anonymousBudget: { requests: 20, windowS: 60 } });
    configureFor(devwiki, consumer, { WIKI_COOKIES: 'off' });
    const { failures, errors } = await interleaved(50);
    // 20 of the 100 userinfo calls fit the anonymous budget; the other 80 are refused with 429.
    expect(failures).toBe(80);
    expect(devwiki.wikimedia?.refusals).toBe(80);
    // What the visitor reads: the wiki is limiting requests, and when to try again (Retry-After ≤ 60 s).
    const page = (lang: 'en' | 'fr' | 'ar') =>
      describeWikiError(errors[0], undefined, 'profile', translator(lang));
    expect(page('en')).toMatchObject({
      status: 429,
      title: 'The wiki is limiting requests',
      todo: 'Try again in 1 minute.',
    });
    expect(page('fr')).toMatchObject({
      title: 'Le wiki limite les requêtes',
      todo: 'Réessayez dans 1 minute.',
    });
    expect(page('ar')).toMatchObject({
      title: 'الويكي يحدّ من الطلبات',
      todo: 'حاول مرة أخرى بعد دقيقة واحدة.',
    });
  });
});

describe('the sessionJwt comes with the 1.0a login, and proxy.ts renews it shortly before it expires', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('should store it at the callback, renew it from proxy.ts when due, and store nothing when the ask fails', async () => {
    // The wiki's clock follows the test's (faked) Date.
    const devwiki = await startDevwiki({
      consumers: [consumer],
      wikimedia: { sessionJwtTtlS: 1200 },
      now: () => Date.now(),
    });
    try {
      configureFor(devwiki, consumer);
      const jar = new CookieJar();
      await logIn(devwiki, jar, 'Heidi');
      const first = (await sealedLogin(jar))?.wikiCookies?.list[0]?.[1] ?? '';
      expect(first).toMatch(/^sessionJwt=/);
      // Not due: the page writes nothing.
      const quiet = await proxy(request('/profile', jar));
      expect(quiet.cookies.get(LOGIN_COOKIE)).toBeUndefined();
      // 400 s later the cookie expires within 15 minutes: proxy.ts asks the wiki and stores the new one.
      vi.useFakeTimers({ now: Date.now() + 400_000, toFake: ['Date'] });
      devwiki.setFault('api', { kind: 'status', status: 503 });
      const failed = await proxy(request('/profile', jar));
      expect(failed.cookies.get(LOGIN_COOKIE)).toBeUndefined();
      devwiki.setFault('api', null);
      // The failed ask keeps this wiki from being asked again for a minute.
      vi.setSystemTime(Date.now() + 61_000);
      const renewed = await proxy(request('/profile', jar));
      jar.update(renewed);
      const second = (await sealedLogin(jar))?.wikiCookies?.list[0]?.[1] ?? '';
      expect(second).toMatch(/^sessionJwt=/);
      expect(second).not.toBe(first);
    } finally {
      await devwiki.close();
    }
  });
});

describe('a wiki that sets no cookie (MediaWiki 1.39) is not asked for one at every 1.0a login', () => {
  it('should ask at the first login, then log in with 3 wiki requests; a Wikimedia-like wiki is asked at each', async () => {
    /** The app's wiki requests in one login, by endpoint, sorted (identify and the ask run at once; not the browser's pages). */
    async function loginRequests(devwiki: Devwiki, username: string): Promise<string[]> {
      const before = devwiki.requests.length;
      await logIn(devwiki, new CookieJar(), username);
      const browser = new Set(['login', 'authorize']);
      return devwiki.requests
        .slice(before)
        .map((r) => r.endpoint)
        .filter((e) => !browser.has(e))
        .sort();
    }
    const plain = await startDevwiki({ consumers: [consumer] });
    try {
      configureFor(plain, consumer);
      // initiate, token, identify, and api.php for the sessionJwt: the wiki sets none.
      expect(await loginRequests(plain, 'Alice')).toEqual(['api', 'identify', 'initiate', 'token']);
      expect(await loginRequests(plain, 'Bob')).toEqual(['identify', 'initiate', 'token']);
      expect(await loginRequests(plain, 'Carol')).toEqual(['identify', 'initiate', 'token']);
    } finally {
      await plain.close();
    }
    const wikimedia = await startDevwiki({ consumers: [consumer], wikimedia: {} });
    try {
      configureFor(wikimedia, consumer);
      for (const username of ['Alice', 'Bob']) {
        expect(await loginRequests(wikimedia, username)).toEqual(['api', 'identify', 'initiate', 'token']);
      }
    } finally {
      await wikimedia.close();
    }
  });
});

describe("a sessionJwt of another user in a login's jar (Extension:OAuth a87d4516)", () => {
  it('should be cleared and the call made once more; the action stores the right one', async () => {
    const devwiki = await startDevwiki({ consumers: [consumer], wikimedia: true });
    try {
      configureFor(devwiki, consumer);
      const jar = new CookieJar();
      await logIn(devwiki, jar, 'Frank');
      // Frank's login made to hold Mallory's cookie (only a bug could put it there).
      const store = cookieStore(sessionConfig(SESSION_SECRET));
      const session = await store.open({
        get: (name) => {
          const value = jar.cookies.get(name);
          return value === undefined ? undefined : { value };
        },
      });
      if (session.login === null) throw new Error('not logged in');
      const wrong = `sessionJwt=${devwiki.wikimedia?.sessionJwtFor('Mallory') ?? ''}; Path=/`;
      const origin = `${new URL(devwiki.origin).protocol}//127.0.0.1/`;
      await session.save({ set: (name, value) => jar.cookies.set(name, value) }, session.login.credentials, {
        at: Math.floor(Date.now() / 1000),
        exp: null,
        list: [[origin, wrong]],
      });
      browser.jar = jar;
      const form = new FormData();
      form.set('line', 'with a cleared jar');
      let to: string | null = null;
      try {
        await appendLine(form);
      } catch (error) {
        to = redirectTarget(error);
        if (to === null) throw error;
      }
      expect(to).toMatch(/^\/action-fixture\?saved=\d+$/);
      expect(devwiki.wikimedia?.crossUserCookies).toBe(1);
      const kept = (await sealedLogin(jar))?.wikiCookies?.list ?? [];
      expect(kept).toHaveLength(1);
      expect(kept[0]?.[1]).not.toContain(wrong.split(';')[0] ?? '');
      expect(kept[0]?.[1]).toMatch(/^sessionJwt=/);
    } finally {
      await devwiki.close();
    }
  });
});

describe('the consent screen in the language of our pages', () => {
  it('should send uselang (1.0a) and ui_locales (2.0) from ?uselang, the language cookie or Accept-Language', async () => {
    const devwiki = await startDevwiki({ consumers: [consumer, client], wikimedia: true });
    try {
      for (const [app, param] of [
        [consumer, 'uselang'],
        [client, 'ui_locales'],
      ] as const) {
        configureFor(devwiki, app);
        const asked = async (path: string, headers: Record<string, string> = {}): Promise<string | null> => {
          const response = await initiateRoute(request(path, null, { headers }));
          expect(response.status).toBe(303);
          return new URL(response.headers.get('location') ?? '').searchParams.get(param);
        };
        expect(await asked('/api/mwoauth/initiate?uselang=ar')).toBe('ar');
        expect(await asked('/api/mwoauth/initiate', { 'accept-language': 'fr-CH, fr;q=0.9' })).toBe('fr');
        expect(await asked('/api/mwoauth/initiate', { cookie: 'mwoauth_uselang=ar' })).toBe('ar');
        expect(await asked('/api/mwoauth/initiate')).toBe('en');
      }
      // MediaWiki 1.47 (the Wikimedia-like devwiki) passes ui_locales on to Special:OAuth/approve.
      configureFor(devwiki, client);
      const started = await initiateRoute(request('/api/mwoauth/initiate?uselang=ar', null));
      const login = await fetch(`${devwiki.indexUrl}?title=Special:UserLogin`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'wpName=Alice&wpPassword=x',
        redirect: 'manual',
      });
      const wikiCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const consent = await fetch(started.headers.get('location') ?? '', {
        headers: { cookie: wikiCookie },
        redirect: 'manual',
      });
      expect(new URL(consent.headers.get('location') ?? '').searchParams.get('uselang')).toBe('ar');
    } finally {
      await devwiki.close();
    }
  });
});

describe('NextRequest', () => {
  it('is what the harness hands proxy.ts', () => {
    expect(request('/profile', null)).toBeInstanceOf(NextRequest);
  });
});
