import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type E2EServer } from '@/tests/support/e2e-app';
import {
  Browser,
  expectCleanLog,
  PROTOCOL_FACTS,
  PROTOCOLS,
  Secrets,
  send,
  startFor,
  type Protocol,
  type Reply,
} from './support';

// The consumer secret, SESSION_SECRET and every token secret of the run appear in
// no built client asset, no page or error page, no API answer and no server log line; every response
// the app produces carries the security headers and none says X-Powered-By (Next's own 308
// redirects for '//' and trailing slashes carry none: SECURITY.md). All of it in both
// protocols (MW_OAUTH_VERSION 1.0a and 2.0), one server each, one after the other.
// Both protocols, the cookie store only: the secrets scanned for are learnt from the login cookies,
// which hold no token with Redis (redis-store.test.ts dumps Redis for them).

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Names only server code uses: finding one in a client asset means server code was bundled for the browser. */
const SERVER_MARKERS = [
  'MW_CONSUMER_SECRET',
  'SESSION_SECRET',
  'oauth_token_secret',
  'unsealData',
  'Fe26',
  'accessToken',
];

function suite(protocol: Protocol): void {
  const facts = PROTOCOL_FACTS[protocol];
  let app: E2EServer;
  let secrets: Secrets;
  /** Every answer the app gave in this file, with what was asked. */
  const seen: Array<{ what: string; reply: Reply }> = [];

  beforeAll(async () => {
    app = await startFor(protocol, {
      env: { MW_TIMEOUT_MS: '2000', INITIATE_RATE_LIMIT: '10/60', TRUST_PROXY: 'true' },
    });
    secrets = new Secrets(app);
    await visitEverything();
  });

  afterAll(async () => {
    try {
      if (app !== undefined) expectCleanLog(`leaks-headers${facts.label}`, app, secrets);
    } finally {
      await app?.close();
    }
  });

  async function visit(
    browser: Browser,
    what: string,
    path: string,
    init: Parameters<Browser['send']>[1] = {},
  ): Promise<Reply> {
    const reply = await browser.send(path, init);
    seen.push({ what, reply });
    return reply;
  }

  /** Pages, answers and error pages, logged out and in, with the wiki well and unwell. */
  async function visitEverything(): Promise<void> {
    const anon = new Browser(app, secrets);
    for (const path of [
      '/',
      '/?notice=revoked',
      '/?notice=loggedout',
      '/profile',
      '/action-fixture',
      '/no-such-page',
    ]) {
      await visit(anon, `logged out ${path}`, path);
    }
    await visit(anon, 'logged out RSC /', '/', { headers: { rsc: '1' } });
    await visit(anon, 'identify logged out', '/api/mwoauth/identify');
    await visit(anon, 'GET logout', '/api/mwoauth/logout');
    await visit(anon, 'cross-site logout', '/api/mwoauth/logout', {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    });
    await visit(anon, 'POST callback', '/api/mwoauth/callback', { method: 'POST' });
    await visit(anon, 'forged callback', facts.forgedCallback);
    await visit(anon, 'revoked, logged out', '/api/mwoauth/revoked');
    const home = seen[0]?.reply.body ?? '';
    const asset = /\/_next\/static\/[^"]+\.js/.exec(home)?.[0];
    if (asset !== undefined) seen.push({ what: `static ${asset}`, reply: await send(app, asset) });

    const alice = new Browser(app, secrets);
    const back = await alice.startLogin('Alice');
    seen.push({ what: 'callback', reply: await alice.send(back) });
    for (const path of ['/', '/profile', '/action-fixture', '/no-such-page', '/api/mwoauth/identify']) {
      await visit(alice, `logged in ${path}`, path);
    }
    await visit(alice, 'logged in RSC /profile', '/profile', { headers: { rsc: '1' } });
    const edit = await alice.submitFixture(await alice.fixtureActionField(), 'A line from the leak scan');
    seen.push({ what: 'server action (the test build fixture)', reply: edit });
    if (edit.location !== null) await visit(alice, 'page after the action', edit.location.href);

    // Error pages with the wiki unwell.
    // (The identity endpoint: identify's JWT in 1.0a, rest.php's profile in 2.0.)
    app.devwiki.setFault(facts.identityEndpoint, { kind: 'garbage' });
    await visit(alice, 'profile, identify garbage', '/profile');
    await visit(alice, 'identify, identify garbage', '/api/mwoauth/identify');
    await visit(alice, 'revoked, identify garbage', '/api/mwoauth/revoked');
    app.devwiki.setFault(facts.identityEndpoint, null);
    // 2.0's initiate asks the wiki nothing (a redirect to authorize): its wiki error is the token's 500.
    app.devwiki.setFault(facts.initiateEndpoint ?? 'token', { kind: 'status', status: 500 });
    if (facts.initiateEndpoint !== null) {
      await visit(alice, 'initiate, wiki 500', '/api/mwoauth/initiate?next=/profile');
    } else {
      const approved = await alice.startLogin('Alice');
      seen.push({ what: 'callback, token 500', reply: await alice.send(approved) });
    }
    app.devwiki.setFault(facts.initiateEndpoint ?? 'token', null);
    const pending = await alice.startLogin('Alice');
    app.devwiki.setFault('token', { kind: 'hang' });
    seen.push({ what: 'callback, token hangs', reply: await alice.send(pending) });
    app.devwiki.setFault('token', null);
    // The 429 page: one client (by X-Forwarded-For, TRUST_PROXY=true) starting logins in a loop.
    const looper = new Browser(app, secrets);
    for (let i = 0; i < 11; i++) {
      await visit(looper, 'initiate in a loop', '/api/mwoauth/initiate', {
        headers: { 'x-forwarded-for': '198.51.100.7' },
      });
    }
    await visit(alice, 'logout', '/api/mwoauth/logout', {
      method: 'POST',
      headers: { origin: app.origin },
    });
  }

  describe('secrets', () => {
    it('should have visited pages, error pages and answers, and learnt the token secrets of the run', () => {
      const statuses = new Set(seen.map((s) => s.reply.status));
      for (const status of [200, 303, 307, 400, 401, 403, 404, 405, 429, 502, 504])
        expect(statuses).toContain(status);
      const kinds = secrets.kinds();
      expect(kinds[facts.handshakeSecretKind]).toBeGreaterThanOrEqual(3);
      expect(kinds[facts.accessSecretKind]).toBeGreaterThanOrEqual(1);
    });

    it('should appear in no page, error page or answer (bodies and headers)', () => {
      const leaks = seen.flatMap(({ what, reply }) =>
        secrets
          .foundIn(`${[...reply.headers].join('\n')}\n${reply.body}`)
          .map((name) => `${name} in ${what}`),
      );
      const errorPages = seen.filter((s) => s.reply.status >= 400).length;
      console.log(
        `[security] leaks in answers: ${seen.length} answers (${errorPages} error pages) scanned for ${secrets.size} secrets ${JSON.stringify(secrets.kinds())}, ${leaks.length} found`,
      );
      expect(leaks).toEqual([]);
    });

    it('should appear in no built client asset, and no server code should be bundled for the browser', () => {
      const files = [
        ...filesUnder(join(ROOT, '.next', 'static')),
        // Prerendered pages are sent to browsers as they are.
        ...filesUnder(join(ROOT, '.next', 'server', 'app')).filter((f) => /\.(html|rsc|body|meta)$/.test(f)),
      ];
      let bytes = 0;
      const leaks: string[] = [];
      const markers: string[] = [];
      for (const file of files) {
        const text = readFileSync(file, 'latin1');
        bytes += text.length;
        for (const name of secrets.foundIn(text)) leaks.push(`${name} in ${file}`);
        if (file.includes(`${join('.next', 'static')}`)) {
          for (const marker of SERVER_MARKERS)
            if (text.includes(marker)) markers.push(`${marker} in ${file}`);
        }
      }
      console.log(
        `[security] leaks in build: ${files.length} client asset files (${(bytes / 1024).toFixed(0)} KiB) scanned for ${secrets.size} secrets, ${leaks.length} found; ${markers.length} server-code markers`,
      );
      expect(files.length).toBeGreaterThan(5);
      expect(leaks).toEqual([]);
      expect(markers).toEqual([]);
    });
  });

  describe('security headers', () => {
    it('should be on every response the app produces, with no X-Powered-By', () => {
      const missing = { nosniff: 0, framing: 0, referrer: 0, poweredBy: 0 };
      const problems: string[] = [];
      for (const { what, reply } of seen) {
        const h = reply.headers;
        const framing =
          /frame-ancestors\s+('none'|'self')/.test(h.get('content-security-policy') ?? '') ||
          /^(deny|sameorigin)$/i.test(h.get('x-frame-options') ?? '');
        const checks: Array<[keyof typeof missing, boolean]> = [
          ['nosniff', h.get('x-content-type-options') === 'nosniff'],
          ['framing', framing],
          // The value next.config.mjs sets: our URLs (with ?next=) go to no other site.
          ['referrer', h.get('referrer-policy') === 'same-origin'],
          ['poweredBy', !h.has('x-powered-by')],
        ];
        for (const [name, ok] of checks) {
          if (!ok) {
            missing[name]++;
            problems.push(`${what} (${reply.status}): ${name}`);
          }
        }
      }
      console.log(
        `[security] headers: ${seen.length} responses, ${missing.nosniff} without nosniff, ${missing.framing} without frame-ancestors/X-Frame-Options, ${missing.referrer} without Referrer-Policy: same-origin, ${missing.poweredBy} with X-Powered-By`,
      );
      expect(problems).toEqual([]);
    });
  });

  describe('logout from another site (CSRF)', () => {
    it.each([
      ['Origin: https://evil.example', { origin: 'https://evil.example' }],
      ['Origin: null', { origin: 'null' }],
      ['Sec-Fetch-Site: cross-site without Origin', { 'sec-fetch-site': 'cross-site' }],
      ['neither Origin nor Sec-Fetch-Site', {}],
    ])(
      'should refuse %s with 403, clear no cookie and leave the browser logged in',
      async (_what, headers) => {
        const browser = new Browser(app, secrets);
        await browser.logIn('Alice');
        await expect(browser.whoAmI()).resolves.toBe('Alice');
        const reply = await browser.send('/api/mwoauth/logout', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: 'next=%2F',
        });
        expect(reply.status).toBe(403);
        expect(reply.setCookies).toEqual([]);
        const identify = await browser.send('/api/mwoauth/identify');
        expect(identify.status).toBe(200);
        await expect(browser.whoAmI()).resolves.toBe('Alice');
      },
    );
  });
}

describe.each(PROTOCOLS)('OAuth %s', suite);
