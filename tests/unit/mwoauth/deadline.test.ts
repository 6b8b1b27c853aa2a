// Every request has one deadline covering connect, headers and body: a wiki that never answers, or
// trickles a byte a second, ends at the deadline with code timeout. Bodies over the cap are refused.
// A local server on 127.0.0.1, port 0, plays the slow wiki.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, identify, initiate } from 'mwoauth';

const CONSUMER = { key: 'ck', secret: 'cs-secret-value' };
const UA = 'tests/1.0 (tests@example.org)';
const open: ServerResponse[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    open.push(res);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/silent/w/index.php') return; // never answers
    if (url.pathname === '/trickle/w/index.php') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('o');
      const timer = setInterval(() => res.write('a'), 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (url.pathname === '/huge/w/api.php') {
      res.writeHead(200, { 'Content-Type': 'application/json' }); // no Content-Length: streamed
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = (): void => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent < 200) res.once('drain', pump);
        else res.end();
      };
      pump();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function elapsed<T>(run: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const start = performance.now();
  try {
    await run();
    return { ms: performance.now() - start, error: null };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

describe('deadlines', () => {
  it('should end a request to a wiki that never answers at the deadline with timeout', async () => {
    const { ms, error } = await elapsed(() =>
      initiate(`${base}/silent/w/index.php`, CONSUMER, { userAgent: UA, timeoutMs: 400 }),
    );
    expect(error).toMatchObject({ code: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(3000);
  });

  it('should end a body trickled one byte a second at the deadline with timeout', async () => {
    const { ms, error } = await elapsed(() =>
      identify(
        `${base}/trickle/w/index.php`,
        CONSUMER,
        { key: 'ak', secret: 'as' },
        { userAgent: UA, timeoutMs: 1500 },
      ),
    );
    expect(error).toMatchObject({ code: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(1490);
    expect(ms).toBeLessThan(4000);
  });

  it('should refuse a body larger than the cap with response_too_large', async () => {
    const api = new ApiClient({
      apiUrl: `${base}/huge/w/api.php`,
      consumer: CONSUMER,
      accessToken: { key: 'ak', secret: 'as' },
      userAgent: UA,
      maxResponseBytes: 1024 * 1024,
    });
    const { error } = await elapsed(() => api.get({ action: 'query' }));
    expect(error).toMatchObject({ code: 'response_too_large' });
  });

  it('should refuse a declared Content-Length over the cap before reading the body', async () => {
    const fetch = async (): Promise<Response> =>
      new Response('{}', { headers: { 'Content-Length': String(50 * 1024 * 1024) } });
    const api = new ApiClient({
      apiUrl: 'https://example.org/w/api.php',
      consumer: CONSUMER,
      accessToken: { key: 'a', secret: 'b' },
      userAgent: UA,
      fetch,
    });
    await expect(api.get({ action: 'query' })).rejects.toMatchObject({ code: 'response_too_large' });
  });

  it('should report an unreachable wiki as network', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      initiate(`http://127.0.0.1:${port}/w/index.php`, CONSUMER, { userAgent: UA, timeoutMs: 2000 }),
    ).rejects.toMatchObject({
      code: 'network',
    });
  });
});
