import { createServer } from 'node:http';
import { NextRequest } from 'next/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { GET as callback } from '@/app/api/mwoauth/callback/route';
import { GET as identifyRoute } from '@/app/api/mwoauth/identify/route';
import { GET as initiateRoute, HEAD as initiateHead } from '@/app/api/mwoauth/initiate/route';
import { GET as logoutGet, POST as logout } from '@/app/api/mwoauth/logout/route';
import { GET as revokedRoute } from '@/app/api/mwoauth/revoked/route';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { HANDSHAKE_COOKIE } from '@/lib/server/session/handshakes';
import { APP_ORIGIN, configureFor, CookieJar, request, testConsumer } from '@/tests/support/app-harness';

let devwiki: Devwiki;
const consumer: DevwikiConsumer = testConsumer();
const exactConsumer: DevwikiConsumer = testConsumer({
  id: 8,
  key: '7e57a99c0ffee7e57a99c0ffee000008',
  secret: '7e57a99c0ffee7e57a99c0ffee7e57a99c0f0008',
  callbackUrl: 'http://localhost:3000/api/mwoauth/callback',
  callbackIsPrefix: false,
});
const savedEnv = { ...process.env };

beforeAll(async () => {
  devwiki = await startDevwiki({ consumers: [consumer, exactConsumer] });
});
afterAll(async () => {
  await devwiki.close();
});
beforeEach(() => {
  configureFor(devwiki, consumer);
});
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

function tokenRequests(): number {
  return devwiki.requests.filter((r) => r.endpoint === 'token').length;
}

/** initiate → the wiki's authorize page; returns where the wiki sent the browser back after Allow. */
async function startLogin(jar: CookieJar, username: string, next = '/profile'): Promise<string> {
  const response = await initiateRoute(
    request(`/api/mwoauth/initiate?next=${encodeURIComponent(next)}`, jar),
  );
  expect(response.status).toBe(303);
  jar.update(response);
  return devwiki.approve(response.headers.get('location') ?? '', username);
}

async function logIn(jar: CookieJar, username: string, next = '/profile'): Promise<Response> {
  const back = await startLogin(jar, username, next);
  const response = await callback(request(back, jar));
  jar.update(response);
  return response;
}

describe('GET /api/mwoauth/initiate', () => {
  it("should send the browser to the wiki's authorize page with a sealed, HttpOnly, SameSite=Lax handshake cookie", async () => {
    const jar = new CookieJar();
    const response = await initiateRoute(request('/api/mwoauth/initiate?next=/sandbox', jar));
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(devwiki.indexUrl);
    expect(location.searchParams.get('title')).toBe('Special:OAuth/authorize');
    expect(location.searchParams.get('oauth_consumer_key')).toBe(consumer.key);
    expect(response.headers.get('cache-control')).toBe('no-store');

    const [cookie] = jar.update(response);
    expect(cookie?.name).toBe(HANDSHAKE_COOKIE);
    expect(cookie?.attributes).toMatchObject({ httponly: '', samesite: 'lax', path: '/', 'max-age': '600' });
    // localhost over http: not Secure (it would be dropped); everywhere else Secure.
    expect(cookie?.attributes).not.toHaveProperty('secure');
    expect(cookie?.value).toMatch(/^Fe26\.2\*/);
    expect(cookie?.value).not.toContain(location.searchParams.get('oauth_token') ?? 'x');
  });

  it('should make the cookies Secure when the app is served over https', async () => {
    configureFor(devwiki, consumer, { APP_URL: 'https://tool.example' });
    const [cookie] = new CookieJar().update(await initiateRoute(request('/api/mwoauth/initiate', null)));
    expect(cookie?.attributes).toHaveProperty('secure');
  });

  it('should explain a consumer registered with another callback, with its MediaWiki key and no secret', async () => {
    configureFor(devwiki, exactConsumer);
    const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('mwoauth-callback-not-oob');
    expect(html).toContain('MW_CALLBACK');
    expect(html).not.toContain(exactConsumer.secret);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('should say the wiki could not be reached when nothing listens there', async () => {
    configureFor(devwiki, consumer, { MW_INDEX_URL: 'http://127.0.0.1:1/w/index.php' });
    const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
    expect(response.status).toBe(502);
    expect(await response.text()).toContain('could not be reached');
  });

  it('should say the wiki gave an unexpected answer when it fails with a 500', async () => {
    devwiki.setFault('initiate', { kind: 'status', status: 500 });
    try {
      const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
      expect(response.status).toBe(502);
      expect(await response.text()).not.toMatch(/at .*\.ts:\d+/);
    } finally {
      devwiki.setFault('initiate', null);
    }
  });

  it('should name MW_INDEX_URL when the wiki redirects (http to https), with the details in development', async () => {
    // What an http:// MW_INDEX_URL meets on a wiki served over https.
    const redirector = createServer((req, res) => {
      res.writeHead(301, { Location: `https://wiki.example.org${req.url ?? '/'}` }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const address = redirector.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      configureFor(devwiki, consumer, { MW_INDEX_URL: `http://127.0.0.1:${port}/w/index.php` });
      const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
      expect(response.status).toBe(502);
      const html = await response.text();
      expect(html).toContain('MW_INDEX_URL');
      expect(html).not.toContain('Wait a minute');
      // NODE_ENV is 'test' here: lib/mwoauth's own message, which names where the wiki redirects to.
      expect(html).toMatch(/<details>[\s\S]*https:\/\/wiki\.example\.org\/w\/index\.php/);
    } finally {
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    }
  });

  it('should name MW_INDEX_URL and MW_API_URL when the wiki answers with a web page', async () => {
    devwiki.setFault('initiate', { kind: 'html' });
    try {
      const response = await initiateRoute(request('/api/mwoauth/initiate', new CookieJar()));
      expect(response.status).toBe(502);
      const html = await response.text();
      expect(html).toContain('MW_INDEX_URL');
      expect(html).toContain('MW_API_URL');
    } finally {
      devwiki.setFault('initiate', null);
    }
  });

  it('should answer with a 500 page naming the problem when the configuration is broken', async () => {
    delete process.env.SESSION_SECRET;
    const response = await initiateRoute(request('/api/mwoauth/initiate', null));
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('SESSION_SECRET');
  });
});

describe('HEAD /api/mwoauth/initiate', () => {
  it('should answer 405 with Allow: GET, set no cookie and ask the wiki for nothing', () => {
    const before = devwiki.requests.length;
    const response = initiateHead();
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(devwiki.requests.length - before).toBe(0);
  });
});

describe('GET /api/mwoauth/callback', () => {
  it('should log in: 303 to next on our own origin, a fresh login cookie, the handshake used up', async () => {
    const jar = new CookieJar();
    const response = await logIn(jar, 'Alice', '/sandbox?x=1');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox?x=1`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
    expect(jar.cookies.has(HANDSHAKE_COOKIE)).toBe(false);

    const who = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({ username: 'Alice', grants: consumer.grants });
  });

  it('should refuse a callback with no login in progress, without asking the wiki', async () => {
    const other = new CookieJar();
    const back = await startLogin(other, 'Alice');
    const before = tokenRequests();
    const response = await callback(request(back, new CookieJar()));
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Log in again');
    expect(html).toContain('/api/mwoauth/initiate');
    expect(tokenRequests()).toBe(before);
  });

  it("should refuse another browser's callback (login CSRF), without asking the wiki", async () => {
    const victim = new CookieJar();
    await startLogin(victim, 'Alice');
    const attackersCallback = await startLogin(new CookieJar(), 'Mallory');
    const before = tokenRequests();
    const response = await callback(request(attackersCallback, victim));
    expect(response.status).toBe(400);
    expect(tokenRequests()).toBe(before);
    expect(new CookieJar().update(response).some((c) => c.name === LOGIN_COOKIE)).toBe(false);
  });

  it('should refuse a replayed callback: each handshake is used once', async () => {
    const jar = new CookieJar();
    const back = await startLogin(jar, 'Alice');
    const cookiesBefore = jar.header();
    expect((await callback(request(back, jar))).status).toBe(303);
    // Replay with the cookie as it was before the callback: the wiki refuses the used request token.
    const replay = new CookieJar();
    for (const part of cookiesBefore.split('; ')) {
      const [n = '', v = ''] = part.split('=');
      replay.cookies.set(n, decodeURIComponent(v));
    }
    const again = await callback(request(back, replay));
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('mwoauthdatastore-request-token-already-used');
    // And with the cookie as the first callback left it: no handshake at all.
    expect((await callback(request(back, jar))).status).toBe(400);
  });

  it('should refuse duplicated or missing oauth_token without asking the wiki', async () => {
    const jar = new CookieJar();
    const back = new URL(await startLogin(jar, 'Alice'));
    const token = back.searchParams.get('oauth_token') ?? '';
    const before = tokenRequests();
    back.searchParams.append('oauth_token', token);
    expect((await callback(request(back.href, jar))).status).toBe(400);
    back.searchParams.delete('oauth_token');
    expect((await callback(request(back.href, jar))).status).toBe(400);
    expect(tokenRequests()).toBe(before);
  });

  it('should let two tabs log in at once, in either order', async () => {
    const jar = new CookieJar();
    const first = await startLogin(jar, 'Alice', '/profile');
    const second = await startLogin(jar, 'Alice', '/sandbox');
    const r2 = await callback(request(second, jar));
    jar.update(r2);
    expect(r2.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox`);
    const r1 = await callback(request(first, jar));
    jar.update(r1);
    expect(r1.headers.get('location')).toBe(`${APP_ORIGIN}/profile`);
    expect(jar.cookies.has(HANDSHAKE_COOKIE)).toBe(false);
  });

  it('should not carry anything over from a session planted before the login (fixation)', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Mallory');
    const planted = jar.cookies.get(LOGIN_COOKIE);
    await logIn(jar, 'Alice');
    expect(jar.cookies.get(LOGIN_COOKIE)).not.toBe(planted);
    const who = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(await who.json()).toMatchObject({ username: 'Alice' });
  });

  it.each([
    ['another origin', 'https://evil.example/'],
    ['protocol-relative', '//evil.example'],
    ['a backslash', '/\\evil.example'],
    ['the logout route', '/api/mwoauth/logout'],
  ])('should send the browser home, on our origin, when next is %s', async (_what, next) => {
    const response = await logIn(new CookieJar(), 'Alice', next);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
  });

  it('should end within MW_TIMEOUT_MS + 1 s in all, though the token exchange used most of it and identify hangs', async () => {
    // One deadline for the whole request: complete() and identify() share it, instead of each
    // having MW_TIMEOUT_MS of its own (which would let the request take twice as long).
    configureFor(devwiki, consumer, { MW_TIMEOUT_MS: '2000' });
    const jar = new CookieJar();
    const back = await startLogin(jar, 'Alice');
    devwiki.setFault('token', { kind: 'latency', ms: 1500 });
    devwiki.setFault('identify', { kind: 'hang' });
    try {
      const started = performance.now();
      const response = await callback(request(back, jar));
      const elapsed = performance.now() - started;
      expect(response.status).toBe(504);
      expect(elapsed).toBeGreaterThanOrEqual(1500);
      expect(elapsed).toBeLessThan(2000 + 1000);
    } finally {
      devwiki.setFault('token', null);
      devwiki.setFault('identify', null);
    }
  });

  it('should log a blocked user in (the profile says so; edits are refused by the wiki)', async () => {
    const jar = new CookieJar();
    expect((await logIn(jar, 'Blocked')).status).toBe(303);
    const who = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(await who.json()).toMatchObject({ username: 'Blocked', blocked: true });
  });
});

describe("a wiki whose canonical server is not MW_INDEX_URL's origin", () => {
  // devwiki's wrong-iss answer is a correctly signed JWT whose iss is https://evil.example.org: what
  // a wiki reached through another host name than its $wgCanonicalServer sends.
  afterEach(() => devwiki.setFault('identify', null));

  it('should refuse the login and tell whoever runs the app to set MW_ISSUER', async () => {
    const jar = new CookieJar();
    const back = await startLogin(jar, 'Alice');
    devwiki.setFault('identify', { kind: 'forged-identify', forgery: 'wrong-iss' });
    const response = await callback(request(back, jar));
    expect(response.status).toBe(502);
    const html = await response.text();
    expect(html).toContain('MW_ISSUER');
    expect(html).toContain('MW_INDEX_URL');
    expect(html).not.toContain('clock');
    expect(html).not.toContain(consumer.secret);
    expect(new CookieJar().update(response).some((c) => c.name === LOGIN_COOKIE && c.value !== '')).toBe(
      false,
    );
  });

  it('should log in when MW_ISSUER names that canonical server, and use it for every identify', async () => {
    configureFor(devwiki, consumer, { MW_ISSUER: 'https://evil.example.org' });
    devwiki.setFault('identify', { kind: 'forged-identify', forgery: 'wrong-iss' });
    const jar = new CookieJar();
    const response = await logIn(jar, 'Alice');
    expect(response.status).toBe(303);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(true);
    const who = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(who.status).toBe(200);
    // The JWT was verified against MW_ISSUER; the answer carries the user fields only (no iss).
    const body: unknown = await who.json();
    expect(body).toMatchObject({ username: 'Alice' });
    expect(body).not.toHaveProperty('iss');
    const check = await revokedRoute(request('/api/mwoauth/revoked', jar));
    expect(check.headers.get('location')).toBe(`${APP_ORIGIN}/`);
    expect(new CookieJar().update(check)).toEqual([]);
  });
});

describe('GET /api/mwoauth/identify', () => {
  it('should answer 401 when logged out, private and not stored', async () => {
    const response = await identifyRoute(request('/api/mwoauth/identify', new CookieJar()));
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    ['garbage', 'a*b*c*d*e*f*g*h'],
    ['a constructor password id', 'Fe26.2*constructor*c2FsdA*aXY*ZW5j*0*c2FsdA*aG1hYw~2'],
    ['percent garbage', '%E0%A4%A'],
  ])('should answer 401 and clear a login cookie that is %s', async (_what, value) => {
    const jar = new CookieJar();
    jar.cookies.set(LOGIN_COOKIE, value);
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(401);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should answer private, no-store and never include the access token', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const text = await response.text();
    expect(text).not.toMatch(/oauth_token|accessToken|secret/i);
  });

  it('should end the session when the user revoked access on the wiki', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Carol');
    devwiki.revoke('Carol', consumer.key);
    const response = await identifyRoute(request('/api/mwoauth/identify', jar));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'revoked' });
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });
});

describe('GET /api/mwoauth/revoked', () => {
  it('should end the session and say why when the wiki confirms the revocation', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Dave');
    devwiki.revoke('Dave', consumer.key);
    const response = await revokedRoute(request('/api/mwoauth/revoked', jar));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/?notice=revoked`);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should keep a session whose access still works (a link from elsewhere logs nobody out)', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const response = await revokedRoute(request('/api/mwoauth/revoked', jar));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('POST /api/mwoauth/logout', () => {
  function post(jar: CookieJar, headers: Record<string, string>, body = 'next=%2Fsandbox'): NextRequest {
    return request('/api/mwoauth/logout', jar, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
  }

  it('should end the session and 303 to next, from our own origin', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const response = await logout(post(jar, { origin: APP_ORIGIN }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox`);
    jar.update(response);
    expect(jar.cookies.has(LOGIN_COOKIE)).toBe(false);
  });

  it('should accept Sec-Fetch-Site: same-origin when Origin is absent, and go home without next', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const response = await logout(post(jar, { 'sec-fetch-site': 'same-origin' }, ''));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
  });

  it.each([
    ['another origin', { origin: 'https://evil.example' }],
    ['the null origin', { origin: 'null' }],
    ['a cross-site fetch without Origin', { 'sec-fetch-site': 'cross-site' }],
    ['neither header', {}],
  ])('should change nothing for %s', async (_what, headers) => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const response = await logout(post(jar, headers));
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('should log a hint naming both origins and APP_URL when the Origin is not ours (a proxy without APP_URL)', async () => {
    // Behind a proxy without APP_URL, the app takes its origin from the internal request URL, so the
    // browser's genuine Origin does not match and every logout is refused: the operator must learn why.
    configureFor(devwiki, consumer, { APP_URL: '' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const jar = new CookieJar();
      await logIn(jar, 'Alice');
      const response = await logout(post(jar, { origin: 'https://tool.example.org' }));
      expect(response.status).toBe(403);
      const logged = warn.mock.calls.map((args) => args.map(String).join(' ')).join('\n');
      expect(logged).toContain('https://tool.example.org');
      expect(logged).toContain(APP_ORIGIN);
      expect(logged).toContain('APP_URL');
      expect(logged).not.toContain(consumer.secret);
      expect(logged).not.toContain(jar.cookies.get(LOGIN_COOKIE) ?? 'no cookie');
    } finally {
      warn.mockRestore();
    }
  });

  it('should send an off-site next home', async () => {
    const jar = new CookieJar();
    const response = await logout(post(jar, { origin: APP_ORIGIN }, 'next=%2F%2Fevil.example'));
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/`);
  });

  it('should refuse a body declared over 4 KB with 413 and leave the session alone', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const response = await logout(
      post(
        jar,
        { origin: APP_ORIGIN, 'content-length': String(1024 ** 3) },
        `next=%2F&pad=${'a'.repeat(5000)}`,
      ),
    );
    expect(response.status).toBe(413);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await identifyRoute(request('/api/mwoauth/identify', jar))).status).toBe(200);
  });

  it('should stop reading a streamed body without Content-Length after 4 KB (413, session unchanged)', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    // Offers 1 GB in 64 KB chunks; counts what the route actually pulled.
    const chunk = new TextEncoder().encode('a'.repeat(64 * 1024));
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 1024 ** 3) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const headers = new Headers({ origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' });
    headers.set('cookie', jar.header());
    const response = await logout(
      new NextRequest(new URL('/api/mwoauth/logout', APP_ORIGIN), {
        method: 'POST',
        headers,
        body,
        duplex: 'half',
      }),
    );
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(4 * chunk.byteLength);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await identifyRoute(request('/api/mwoauth/identify', jar))).status).toBe(200);
  });

  it('should ignore a large body when next is in the query, and log out', async () => {
    const jar = new CookieJar();
    await logIn(jar, 'Alice');
    const response = await logout(
      request('/api/mwoauth/logout?next=%2Fsandbox', jar, {
        method: 'POST',
        headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a'.repeat(100_000),
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/sandbox`);
  });

  it('should change nothing on GET (405, Allow: POST)', () => {
    const response = logoutGet();
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});
