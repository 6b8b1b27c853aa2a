// The default transport (node:http, wire.ts viaNode) against a real server on 127.0.0.1: what fetch
// did for the library before must still hold (decoded bodies, no redirect followed, Set-Cookie
// headers kept apart, the cap counted on the decoded body, errors that name the cause), and an
// injected fetch is still what sends when one is given.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from 'mwoauth';
import { resolveTransport, send, startDeadline, type WikiCookieJar } from '../../../lib/mwoauth/http';

const UA = 'tests/1.0 (tests@example.org)';
let server: Server;
let base = '';
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/gzip') {
      const body = gzipSync(JSON.stringify({ query: { userinfo: { name: 'Zoë' } } }));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(body);
    } else if (path === '/bomb') {
      // 64 KB on the wire, 8 MB once decoded: the cap is on what the caller would hold.
      res
        .writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })
        .end(gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)));
    } else if (path === '/garbled') {
      res.writeHead(200, { 'Content-Encoding': 'gzip' }).end('this is not gzip at all');
    } else if (path === '/redirect') {
      res.writeHead(302, { Location: 'https://elsewhere.example/w/api.php' }).end();
    } else if (path === '/cookies') {
      res.setHeader('Set-Cookie', ['sessionJwt=abc; Path=/; HttpOnly', 'other=1; Path=/']);
      res.end(`cookie=${req.headers.cookie ?? ''}`);
    } else if (path === '/declared') {
      res.writeHead(200, { 'Content-Length': String(50 * 1024 * 1024) });
      res.write('x'); // and never the rest
    } else if (path === '/cut') {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write('{"partial":');
      setTimeout(() => res.destroy(), 20);
    } else {
      res.end('ok');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const transport = (extra: object = {}) => resolveTransport({ userAgent: UA, timeoutMs: 3000, ...extra });

function get(path: string, extra: object = {}, cookies: WikiCookieJar | null = null) {
  return send(
    { method: 'GET', url: `${base}${path}`, headers: {}, cookies },
    transport(extra),
    startDeadline(3000),
  );
}

describe('the default transport (node:http)', () => {
  it('should decode a gzip answer and send the User-Agent', async () => {
    const api = new ApiClient({
      apiUrl: `${base}/gzip`,
      consumer: { key: 'ck', secret: 'cs' },
      accessToken: { key: 'ak', secret: 'as' },
      userAgent: UA,
    });
    await expect(api.get({ action: 'query', meta: 'userinfo' })).resolves.toMatchObject({
      query: { userinfo: { name: 'Zoë' } },
    });
    const request = seen.at(-1);
    expect(request?.headers['user-agent']).toBe(UA);
    expect(request?.headers['accept-encoding']).toContain('gzip');
  });

  it('should count the cap on the decoded body, not on the bytes on the wire', async () => {
    await expect(get('/bomb', { maxResponseBytes: 1024 * 1024 })).rejects.toMatchObject({
      code: 'response_too_large',
    });
  });

  it('should refuse a declared Content-Length over the cap without waiting for the body', async () => {
    const start = performance.now();
    await expect(get('/declared', { maxResponseBytes: 1024 })).rejects.toMatchObject({
      code: 'response_too_large',
    });
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('should not follow a redirect: the 302 is the answer', async () => {
    const before = seen.length;
    const answer = await get('/redirect');
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('https://elsewhere.example/w/api.php');
    expect(seen.length).toBe(before + 1);
  });

  it('should give the jar each Set-Cookie apart and send its Cookie header', async () => {
    const stored: string[] = [];
    const jar: WikiCookieJar = {
      getCookieString: async () => 'sessionJwt=old',
      setCookie: async (cookie) => stored.push(cookie),
      removeAllCookies: async () => undefined,
    };
    const answer = await get('/cookies', {}, jar);
    expect(answer.text).toBe('cookie=sessionJwt=old');
    expect(stored).toEqual(['sessionJwt=abc; Path=/; HttpOnly', 'other=1; Path=/']);
  });

  it('should say that a compressed answer does not decode, not that the wiki was unreachable', async () => {
    const error = await get('/garbled').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network' });
    expect(String((error as Error).message)).toMatch(
      /^The answer from http:\/\/127\.0\.0\.1:\d+\/garbled says Content-Encoding: gzip but does not decode \(/,
    );
  });

  it('should report an answer cut off mid-body as network', async () => {
    await expect(get('/cut')).rejects.toMatchObject({ code: 'network' });
  });

  it('should name the cause of an unreachable wiki', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await send(
      { method: 'POST', url: `http://127.0.0.1:${port}/w/index.php`, headers: {} },
      transport(),
      startDeadline(3000),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network' });
    expect(String((error as Error).message)).toMatch(
      new RegExp(`^Could not reach http://127.0.0.1:${port}: .*ECONNREFUSED`),
    );
  });

  it('should refuse a URL of another scheme as network, naming it', async () => {
    await expect(
      send(
        { method: 'GET', url: 'ftp://127.0.0.1/w/api.php', headers: {} },
        transport(),
        startDeadline(3000),
      ),
    ).rejects.toMatchObject({ code: 'network', message: expect.stringContaining('ftp:') });
  });
});

describe('an injected fetch', () => {
  it('should send with it, not with node:http', async () => {
    const calls: string[] = [];
    const fake = async (url: string): Promise<Response> => {
      calls.push(url);
      return new Response('from the fake');
    };
    const before = seen.length;
    const answer = await get('/gzip', { fetch: fake });
    expect(answer.text).toBe('from the fake');
    expect(calls).toEqual([`${base}/gzip`]);
    expect(seen.length).toBe(before);
  });

  it('should refuse a fetch that is not a function, naming the fix', () => {
    expect(() => transport({ fetch: 'yes' })).toThrow(/options\.fetch must be a function.*leave it out/);
  });
});
