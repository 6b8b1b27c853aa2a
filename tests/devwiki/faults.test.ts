// devwiki's failure controls: 5xx, HTML error pages, garbage, a hang, a trickle, a huge body,
// latency, and forged identify answers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki, type DevwikiForgery } from '../../devwiki';
import { decodeJwtPart, handshake, signedFetch, type KeyPair } from './helpers';

const [PREFIX_C] = defaultConsumers();
if (PREFIX_C === undefined) throw new Error('defaults');
const PREFIX: KeyPair = PREFIX_C;

let wiki: Devwiki;
beforeEach(async () => {
  wiki = await startDevwiki();
});
afterEach(async () => {
  await wiki.close();
});

const initiateUrl = (): string => `${wiki.indexUrl}?title=Special:OAuth/initiate`;
const initiate = (): ReturnType<typeof signedFetch> =>
  signedFetch({ url: initiateUrl(), consumer: PREFIX, oauth: { oauth_callback: 'oob' } });

describe('faults', () => {
  it('should answer a status fault with that status and an HTML body, then recover when cleared', async () => {
    wiki.setFault('initiate', { kind: 'status', status: 503 });
    const down = await initiate();
    expect(down.status).toBe(503);
    expect(down.contentType).toMatch(/^text\/html/);
    expect(down.body).toContain('Service Unavailable');
    wiki.setFault('initiate', null);
    expect((await initiate()).body).toMatch(/^oauth_token=/);
  });

  it('should serve an HTML error page with HTTP 200, and garbage with the usual content type', async () => {
    wiki.setFault('token', { kind: 'html' });
    const html = await signedFetch({ url: `${wiki.indexUrl}?title=Special:OAuth/token`, consumer: PREFIX });
    expect(html.status).toBe(200);
    expect(html.body).toContain('<title>Internal error - devwiki</title>');
    wiki.setFault('initiate', { kind: 'garbage' });
    const garbage = await initiate();
    expect(garbage.contentType).toBe('text/plain;charset=UTF-8');
    expect(garbage.body).not.toMatch(/oauth_token=|^Error: /);
  });

  it("should apply '*' to every endpoint without a fault of its own", async () => {
    wiki.setFault('*', { kind: 'status', status: 502 });
    wiki.setFault('initiate', { kind: 'status', status: 500 });
    expect((await fetch(wiki.apiUrl)).status).toBe(502);
    expect((await initiate()).status).toBe(500);
  });

  it('should hang until the client gives up', async () => {
    wiki.setFault('identify', { kind: 'hang' });
    const started = Date.now();
    await expect(
      fetch(`${wiki.indexUrl}?title=Special:OAuth/identify`, {
        method: 'POST',
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('should trickle the real answer a few bytes a second', async () => {
    wiki.setFault('initiate', { kind: 'trickle', bytesPerSecond: 4 });
    const res = await fetch(initiateUrl(), { method: 'POST', signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    const started = Date.now();
    let received = 0;
    while (Date.now() - started < 2200) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value.length;
    }
    await reader.cancel();
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(12);
  });

  it('should stream a huge body without holding it', async () => {
    const bytes = 5 * 1024 * 1024;
    wiki.setFault('api', { kind: 'huge', bytes });
    const res = await fetch(wiki.apiUrl);
    expect((await res.arrayBuffer()).byteLength).toBe(bytes);
  });

  it('should add latency from the fault and from the latencyMs option', async () => {
    wiki.setFault('api', { kind: 'latency', ms: 250 });
    let started = Date.now();
    expect((await fetch(`${wiki.apiUrl}?action=query&meta=userinfo&format=json`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    const slow = await startDevwiki({ latencyMs: 200 });
    try {
      started = Date.now();
      await (await fetch(slow.indexUrl)).text();
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    } finally {
      await slow.close();
    }
  });
});

describe('forged identify answers', () => {
  const forgeries: Array<
    [DevwikiForgery, (h: Record<string, unknown>, c: Record<string, unknown>, sent: string) => void]
  > = [
    ['alg-none', (h) => expect(h.alg).toBe('none')],
    ['hs512', (h) => expect(h.alg).toBe('HS512')],
    ['wrong-key', (h) => expect(h.alg).toBe('HS256')],
    ['wrong-aud', (_, c) => expect(c.aud).not.toBe(PREFIX.key)],
    ['wrong-iss', (_, c) => expect(c.iss).not.toBe(wiki.origin)],
    ['wrong-nonce', (_, c, sent) => expect(c.nonce).not.toBe(sent)],
    ['expired', (_, c) => expect(Number(c.exp)).toBeLessThan(Date.now() / 1000)],
    ['stale', (_, c) => expect(Number(c.iat)).toBeLessThan(Date.now() / 1000 - 3000)],
    ['future-iat', (_, c) => expect(Number(c.iat)).toBeGreaterThan(Date.now() / 1000 + 3000)],
    ['missing-claims', (_, c) => expect(c).not.toHaveProperty('sub')],
  ];

  it.each(forgeries)('should serve a %s JWT when asked', async (forgery, check) => {
    const { accessToken } = await handshake(wiki, PREFIX, 'Alice');
    wiki.setFault('identify', { kind: 'forged-identify', forgery });
    const nonce = `nonce-${forgery}`;
    const r = await signedFetch({
      url: `${wiki.indexUrl}?title=Special:OAuth/identify`,
      consumer: PREFIX,
      token: accessToken,
      nonce,
    });
    check(decodeJwtPart(r.body, 0), decodeJwtPart(r.body, 1), nonce);
  });
});
