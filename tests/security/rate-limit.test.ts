import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/server/core/errors';
import { DEFAULT_INITIATE_RATE_LIMIT, readConfig } from '@/lib/server/config';
import { clientKey } from '@/lib/server/rate-limit/initiate';
import { MAX_TRACKED_CLIENTS, MemoryWindows } from '@/lib/server/rate-limit/memory';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { expectCleanLog, Secrets, send, type Reply } from './support';

// Each GET /api/mwoauth/initiate makes the wiki create a request token and keep it
// 600 s. INITIATE_RATE_LIMIT (default 10 per 60 s) caps how many a client may start: beyond it, 429
// with Retry-After, before the wiki is asked; other clients go on as before. Who "a client" is
// depends on TRUST_PROXY (lib/server/rate-limit/initiate.ts; SECURITY.md).

function initiateRequests(app: E2EServer): number {
  return app.devwiki.requests.filter((r) => r.endpoint === 'initiate').length;
}

function initiate(app: E2EServer, forwardedFor?: string): Promise<Reply> {
  return send(app, '/api/mwoauth/initiate?next=/profile', {
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  });
}

const h = (xff: string | null): Headers => new Headers(xff === null ? {} : { 'x-forwarded-for': xff });

describe('the limiter', () => {
  it('should allow max requests per window, refuse the next with the seconds left, and start again after it', () => {
    let now = 1_000_000;
    const limiter = new MemoryWindows(() => now);
    const limit = { max: 3, windowS: 60 };
    expect([1, 2, 3].map(() => limiter.take('a', limit).allowed)).toEqual([true, true, true]);
    expect(limiter.take('a', limit)).toEqual({ allowed: false, retryAfterS: 60 });
    expect(limiter.take('b', limit).allowed).toBe(true);
    now += 59_500;
    expect(limiter.take('a', limit)).toEqual({ allowed: false, retryAfterS: 1 });
    now += 500;
    expect(limiter.take('a', limit).allowed).toBe(true);
  });

  it('should remember at most MAX_TRACKED_CLIENTS clients, however many addresses an attacker uses', () => {
    const limiter = new MemoryWindows(() => 0);
    for (let i = 0; i < MAX_TRACKED_CLIENTS + 500; i++) limiter.take(`client ${i}`, { max: 1, windowS: 60 });
    expect(limiter.size).toBeLessThanOrEqual(MAX_TRACKED_CLIENTS);
  });

  it('should take the last X-Forwarded-For entry by default, and the first with TRUST_PROXY', () => {
    expect(clientKey(h('203.0.113.5'), false)).toBe('203.0.113.5');
    expect(clientKey(h('1.2.3.4, 203.0.113.5'), false)).toBe('203.0.113.5');
    expect(clientKey(h('203.0.113.5, 10.0.0.1'), true)).toBe('203.0.113.5');
    expect(clientKey(h(null), false)).toBe('unknown');
    expect(clientKey(h(' , '), true)).toBe('unknown');
  });

  it('should count one IPv6 /64 as one client, and an IPv4-mapped address as its IPv4 address', () => {
    expect(clientKey(h('2001:db8:1:2::a'), false)).toBe(clientKey(h('2001:db8:1:2:ffff::b'), false));
    expect(clientKey(h('2001:db8:1:2::a'), false)).not.toBe(clientKey(h('2001:db8:1:3::a'), false));
    expect(clientKey(h('[2001:DB8:1:2::1]:443'), false)).toBe('2001:db8:1:2::/64');
    expect(clientKey(h('::ffff:127.0.0.1'), false)).toBe('127.0.0.1');
    expect(clientKey(h('192.0.2.1:8080'), false)).toBe('192.0.2.1');
    expect(clientKey(h('x'.repeat(500)), false)).toHaveLength(64);
  });
});

describe('the settings', () => {
  const base = {
    MW_INDEX_URL: 'https://meta.wikimedia.org/w/index.php',
    MW_CONSUMER_KEY: 'key',
    MW_CONSUMER_SECRET: 'secret',
    SESSION_SECRET: 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1',
  };
  const problems = (env: Record<string, string>): readonly string[] => {
    try {
      readConfig({ ...base, ...env });
      return [];
    } catch (error) {
      return error instanceof AppError ? error.problems : ['not an AppError'];
    }
  };

  it('should default to 10 logins per 60 s per client, the socket address, and a 10 s wiki deadline', () => {
    const config = readConfig(base);
    expect(config.initiateRateLimit).toEqual(DEFAULT_INITIATE_RATE_LIMIT);
    expect(config.initiateRateLimit).toEqual({ max: 10, windowS: 60 });
    expect(config.trustProxy).toBe(false);
    expect(config.wikiTimeoutMs).toBe(10_000);
  });

  it('should read INITIATE_RATE_LIMIT, TRUST_PROXY and MW_TIMEOUT_MS', () => {
    expect(readConfig({ ...base, INITIATE_RATE_LIMIT: ' 5 / 30 ' }).initiateRateLimit).toEqual({
      max: 5,
      windowS: 30,
    });
    expect(readConfig({ ...base, INITIATE_RATE_LIMIT: 'OFF' }).initiateRateLimit).toBeNull();
    for (const yes of ['true', '1', 'yes', 'TRUE'])
      expect(readConfig({ ...base, TRUST_PROXY: yes }).trustProxy).toBe(true);
    for (const no of ['false', '0', 'no', ''])
      expect(readConfig({ ...base, TRUST_PROXY: no }).trustProxy).toBe(false);
    expect(readConfig({ ...base, MW_TIMEOUT_MS: '2500' }).wikiTimeoutMs).toBe(2500);
  });

  it('should refuse bad values, naming the variable and the fix', () => {
    for (const bad of ['10', '0/60', '10/0', 'ten/60', '-1/60', '10/60/2']) {
      expect(problems({ INITIATE_RATE_LIMIT: bad }), bad).toEqual([
        expect.stringMatching(/^INITIATE_RATE_LIMIT must be .*10\/60.*"off"/),
      ]);
    }
    expect(problems({ TRUST_PROXY: 'maybe' })).toEqual([
      expect.stringMatching(/^TRUST_PROXY must be "true"/),
    ]);
    for (const bad of ['999', '120001', '10s', '1e4', '-5']) {
      expect(problems({ MW_TIMEOUT_MS: bad }), bad).toEqual([
        expect.stringMatching(/^MW_TIMEOUT_MS must be .* 1000 to 120000/),
      ]);
    }
  });
});

describe('over HTTP, with the default limit (10 per 60 s, the socket address)', () => {
  let app: E2EServer;
  let secrets: Secrets;

  beforeAll(async () => {
    // '' = unset: the app's own default.
    app = await startE2EServer({ env: { INITIATE_RATE_LIMIT: '', TRUST_PROXY: '' } });
    secrets = new Secrets(app);
  });

  afterAll(async () => {
    try {
      if (app !== undefined) expectCleanLog('rate-limit', app, secrets);
    } finally {
      await app?.close();
    }
  });

  it('should answer the 11th initiate of a client with 429 and Retry-After, without asking the wiki; others go on', async () => {
    const before = initiateRequests(app);
    const replies: Reply[] = [];
    for (let i = 0; i < 11; i++) replies.push(await initiate(app));
    expect(replies.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(303));
    const refused = replies[10] as Reply;
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(refused.body).toContain('Too many logins started');
    const asked = initiateRequests(app) - before;
    expect(asked).toBe(10);

    // A client cannot escape by claiming another address in front: the socket's is the last entry.
    const spoofed = await initiate(app, '192.0.2.99');
    // ... but Next keeps a client's own X-Forwarded-For when it sends one, so an address a proxy
    // appended (or a client chose: see SECURITY.md) is another client.
    expect(spoofed.status).toBe(303);
    const prefixed = await initiate(app, '192.0.2.99, 127.0.0.1');
    expect(prefixed.status).toBe(429);

    // The limited client can still use everything else.
    expect((await send(app, '/')).status).toBe(200);
    expect((await send(app, '/api/mwoauth/callback?oauth_verifier=v&oauth_token=t')).status).toBe(400);
    console.log(
      `[security] rate-limit default: 10/60 per client; 11th initiate → ${refused.status} Retry-After ${retryAfter} s, wiki asked ${asked} times for 11 initiates; another client → ${spoofed.status}`,
    );
  });
});

describe('over HTTP, behind a proxy (TRUST_PROXY=true, 3 per 2 s)', () => {
  let app: E2EServer;
  let secrets: Secrets;

  beforeAll(async () => {
    app = await startE2EServer({ env: { INITIATE_RATE_LIMIT: '3/2', TRUST_PROXY: 'true' } });
    secrets = new Secrets(app);
  });

  afterAll(async () => {
    try {
      if (app !== undefined) expectCleanLog('rate-limit (proxy)', app, secrets);
    } finally {
      await app?.close();
    }
  });

  it('should limit each visitor the proxy names, leave the others alone, and let them in again after the window', async () => {
    const visitor = '203.0.113.5, 10.0.0.1';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await initiate(app, visitor)).status);
    expect(statuses).toEqual([303, 303, 303, 429]);
    expect((await initiate(app, '203.0.113.6, 10.0.0.1')).status).toBe(303);
    // One IPv6 /64 is one visitor.
    const v6 = await Promise.all(
      ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2::c', '2001:db8:1:2::d'].map((a) =>
        initiate(app, a),
      ),
    );
    expect(v6.map((r) => r.status).sort()).toEqual([303, 303, 303, 429]);
    const started = Date.now();
    let again = (await initiate(app, visitor)).status;
    // Bounded: the window is 2 s.
    while (again === 429 && Date.now() - started < 4000) {
      await new Promise((r) => setTimeout(r, 250));
      again = (await initiate(app, visitor)).status;
    }
    expect(again).toBe(303);
    console.log(
      `[security] rate-limit TRUST_PROXY=true 3/2: 4th initiate of a visitor → 429, another visitor → 303, same /64 counted once, allowed again after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
