// ApiClient: signed GET and form POST (the signature is checked on the fake wiki's side with an
// independent RFC 5849 base-string implementation), maxlag and Retry-After retries bounded,
// continuation followed, assert=user added when asked, API errors with their code.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiClient, type ApiClientOptions, type ApiResponse, signRequest } from 'mwoauth';
import { loadFixture } from '../../support/fixtures';
import { fakeFetch, parseOAuthHeader, type SeenRequest } from '../../support/mwoauth-fake-fetch';

const CONSUMER = { key: 'consumer-key', secret: 'consumer-secret!' };
const ACCESS = { key: 'access-key', secret: 'access secret&more' };
const API = 'https://en.wikipedia.org/w/api.php';

function json(body: unknown, headers: Record<string, string> = {}, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function client(fetch: ApiClientOptions['fetch'], extra: Partial<ApiClientOptions> = {}): ApiClient {
  return new ApiClient({
    apiUrl: API,
    consumer: CONSUMER,
    accessToken: ACCESS,
    userAgent: 'tests/1.0 (t@example.org)',
    fetch,
    ...extra,
  });
}

/** RFC 5849 §3.4.1 and §3.4.2, written independently of lib/mwoauth and oauth-1.0a. */
function expectedSignature(req: SeenRequest): string {
  const enc = (s: string): string =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const url = new URL(req.url);
  const oauth = parseOAuthHeader(req.headers.get('authorization'));
  const pairs: [string, string][] = [...url.searchParams];
  if (req.body) pairs.push(...new URLSearchParams(req.body));
  for (const [k, v] of Object.entries(oauth)) if (k !== 'oauth_signature') pairs.push([k, v]);
  // §3.4.1.3.2: sorted by name, then value, in byte order. The encoded strings are ASCII, so `<`
  // (UTF-16 code units) is byte order; localeCompare is not ('a' before 'Z').
  const byBytes = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const normalized = pairs
    .map(([k, v]): [string, string] => [enc(k), enc(v)])
    .sort(([a, b], [c, d]) => byBytes(a, c) || byBytes(b, d))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const base = [req.method, enc(`${url.protocol}//${url.host}${url.pathname}`), enc(normalized)].join('&');
  return createHmac('sha1', `${enc(CONSUMER.secret)}&${enc(ACCESS.secret)}`)
    .update(base)
    .digest('base64');
}

describe('ApiClient', () => {
  it('should sign a GET with format=json and formatversion=2 in the query', async () => {
    const fetch = fakeFetch(() => json({ batchcomplete: true }));
    await client(fetch).get({ action: 'query', meta: 'userinfo', uiprop: ['groups', 'rights'] });
    const req = fetch.requests[0];
    if (req === undefined) throw new Error('no request');
    expect(req.method).toBe('GET');
    expect(new URL(req.url).searchParams.get('formatversion')).toBe('2');
    expect(new URL(req.url).searchParams.get('uiprop')).toBe('groups|rights');
    expect(parseOAuthHeader(req.headers.get('authorization')).oauth_signature).toBe(expectedSignature(req));
  });

  it('should form-encode and sign a POST body', async () => {
    const fetch = fakeFetch(() => json({ edit: { result: 'Success' } }));
    await client(fetch).post({
      action: 'edit',
      title: 'User:Alice/sandbox',
      appendtext: '\n* 1 + 1 = 2 & more',
      token: 'abc+\\',
    });
    const req = fetch.requests[0];
    if (req === undefined) throw new Error('no request');
    expect(req.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(new URL(req.url).search).toBe('');
    expect(new URLSearchParams(req.body ?? '').get('appendtext')).toBe('\n* 1 + 1 = 2 & more');
    expect(parseOAuthHeader(req.headers.get('authorization')).oauth_signature).toBe(expectedSignature(req));
  });

  it('should sign names that sort differently by byte and by locale (Z, _ and a), in byte order', async () => {
    const fetch = fakeFetch(() => json({}));
    await client(fetch).post({ action: 'query', Zeta: 'Z', _x: '_', alpha: 'a', Alpha: 'A' });
    const req = fetch.requests[0];
    if (req === undefined) throw new Error('no request');
    expect(parseOAuthHeader(req.headers.get('authorization')).oauth_signature).toBe(expectedSignature(req));
  });

  it('should sign a repeated name by its values in byte order (Z before a, A before a)', () => {
    const url = `${API}?list=a&list=Z&list=A&list=_`;
    const signed = signRequest({
      method: 'GET',
      url,
      consumer: CONSUMER,
      token: ACCESS,
      nonce: 'n',
      timestamp: 1,
    });
    const req: SeenRequest = {
      url,
      method: 'GET',
      headers: new Headers({ authorization: signed.authorization }),
      body: null,
    };
    expect(signed.baseString).toContain(encodeURIComponent('list=A&list=Z&list=_&list=a'));
    expect(signed.signature).toBe(expectedSignature(req));
  });

  it('should add assert=user when asked, per client or per request', async () => {
    const fetch = fakeFetch(() => json({}));
    await client(fetch, { assert: 'user' }).get({ action: 'query' });
    await client(fetch).get({ action: 'query' }, { assert: 'user' });
    await client(fetch).get({ action: 'query' });
    expect(fetch.requests.map((r) => new URL(r.url).searchParams.get('assert'))).toEqual([
      'user',
      'user',
      null,
    ]);
  });

  it('should fetch a csrf token through meta=tokens', async () => {
    const fetch = fakeFetch(() => new Response(loadFixture('09-api-csrf-token').response.body));
    expect(await client(fetch).getToken('csrf')).toBe('67065b848ed6049d0da468701be8f8796b0295f9+\\');
    expect(new URL(fetch.requests[0]?.url ?? '').searchParams.get('meta')).toBe('tokens');
  });

  it('should retry a maxlag error after Retry-After with a fresh nonce, a bounded number of times', async () => {
    const maxlag = (): Response =>
      json(
        { error: { code: 'maxlag', info: 'Waiting for db: 7 seconds lagged.' } },
        { 'Retry-After': '2', 'MediaWiki-API-Error': 'maxlag' },
      );
    const waits: number[] = [];
    const fetch = fakeFetch(maxlag);
    const api = client(fetch, { maxlag: 5, maxRetries: 2, sleep: async (ms) => void waits.push(ms) });
    await expect(api.get({ action: 'query' })).rejects.toMatchObject({
      code: 'mediawiki',
      mediawikiCode: 'maxlag',
    });
    expect(fetch.requests).toHaveLength(3);
    expect(waits).toEqual([2000, 2000]);
    expect(new URL(fetch.requests[0]?.url ?? '').searchParams.get('maxlag')).toBe('5');
    const nonces = fetch.requests.map((r) => parseOAuthHeader(r.headers.get('authorization')).oauth_nonce);
    expect(new Set(nonces).size).toBe(3);
  });

  it('should succeed when the wiki recovers after a 503 with Retry-After', async () => {
    const waits: number[] = [];
    const fetch = fakeFetch(
      () => new Response('<html><title>503</title></html>', { status: 503, headers: { 'Retry-After': '1' } }),
      () => json({ query: { ok: true } }),
    );
    const answer = await client(fetch, { sleep: async (ms) => void waits.push(ms) }).get({ action: 'query' });
    expect(answer).toEqual({ query: { ok: true } });
    expect(waits).toEqual([1000]);
  });

  // A 503 may come from a proxy after the wiki saved the edit: re-sending a POST could edit twice.
  // maxlag (refused by ApiMain before the module runs) and 429 (refused, RFC 6585) left nothing done.
  const busy = (status: number) => (): Response =>
    new Response('busy', { status, headers: { 'Retry-After': '1' } });
  const maxlag = (): Response =>
    json({ error: { code: 'maxlag', info: 'Waiting for db: 7 seconds lagged.' } }, { 'Retry-After': '1' });
  const retries: [string, 'GET' | 'POST', () => Response, boolean][] = [
    ['should retry a GET after a 503', 'GET', busy(503), true],
    ['should retry a GET after a 429', 'GET', busy(429), true],
    ['should retry a POST after a 429', 'POST', busy(429), true],
    ['should retry a POST after a maxlag error', 'POST', maxlag, true],
    ['should not retry a POST after a 503 (the edit may have been saved)', 'POST', busy(503), false],
  ];
  for (const [sentence, method, first, retried] of retries) {
    it(sentence, async () => {
      const fetch = fakeFetch(first, () => json({ edit: { result: 'Success' } }));
      const api = client(fetch, { sleep: async () => undefined });
      const call = method === 'GET' ? api.get({ action: 'query' }) : api.post({ action: 'edit', title: 'T' });
      if (retried) expect(await call).toEqual({ edit: { result: 'Success' } });
      else await expect(call).rejects.toMatchObject({ code: 'http_error', status: 503 });
      expect(fetch.requests.map((r) => r.method)).toEqual(retried ? [method, method] : [method]);
    });
  }

  it('should not wait longer than the cap: a Retry-After of 120 s fails at once', async () => {
    const waits: number[] = [];
    const fetch = fakeFetch(() => new Response('busy', { status: 429, headers: { 'Retry-After': '120' } }));
    const api = client(fetch, { maxRetryWaitMs: 5000, sleep: async (ms) => void waits.push(ms) });
    await expect(api.get({ action: 'query' })).rejects.toMatchObject({ code: 'http_error', status: 429 });
    expect(fetch.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  const badRetryOptions: [string, Partial<ApiClientOptions>][] = [
    ['maxRetryWaitMs NaN', { maxRetryWaitMs: Number.NaN }],
    ['maxRetryWaitMs -1', { maxRetryWaitMs: -1 }],
    ['maxRetryWaitMs 0', { maxRetryWaitMs: 0 }],
    ['maxRetryWaitMs Infinity', { maxRetryWaitMs: Number.POSITIVE_INFINITY }],
    ['maxRetries NaN', { maxRetries: Number.NaN }],
    ['maxRetries -1', { maxRetries: -1 }],
    ['maxRetries 1.5', { maxRetries: 1.5 }],
    ['maxlag NaN', { maxlag: Number.NaN }],
    ['maxlag -5', { maxlag: -5 }],
    ['maxlag 2.5', { maxlag: 2.5 }],
  ];
  for (const [what, options] of badRetryOptions) {
    it(`should refuse ${what} with invalid_argument naming the option`, () => {
      const name = what.split(' ')[0] ?? '';
      expect(() =>
        client(
          fakeFetch(() => json({})),
          options,
        ),
      ).toThrow(
        expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining(name) }),
      );
    });
  }

  it('should accept maxRetries 0, maxlag null and the retry options left out', () => {
    for (const options of [{ maxRetries: 0 }, { maxlag: null }, { maxlag: 5, maxRetryWaitMs: 1 }, {}]) {
      expect(
        client(
          fakeFetch(() => json({})),
          options,
        ).apiUrl,
      ).toBe(API);
    }
  });

  it("should not wait when the Retry-After would outlast the call's deadline", async () => {
    const waits: number[] = [];
    const fetch = fakeFetch(() => new Response('busy', { status: 503, headers: { 'Retry-After': '3' } }));
    const api = client(fetch, {
      timeoutMs: 2000,
      maxRetryWaitMs: 5000,
      sleep: async (ms) => void waits.push(ms),
    });
    await expect(api.get({ action: 'query' })).rejects.toMatchObject({ code: 'http_error', status: 503 });
    expect(fetch.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('should follow query continuation until there is none', async () => {
    const pages = [
      { continue: { apcontinue: 'B', continue: '-||' }, query: { allpages: [{ title: 'A' }] } },
      { continue: { apcontinue: 'C', continue: '-||' }, query: { allpages: [{ title: 'B' }] } },
      { batchcomplete: true, query: { allpages: [{ title: 'C' }] } },
    ];
    const fetch = fakeFetch(...pages.map((p) => () => json(p)));
    const seen: ApiResponse[] = [];
    for await (const page of client(fetch).queryAll({ list: 'allpages', aplimit: 1 })) seen.push(page);
    expect(seen).toEqual(pages);
    expect(fetch.requests.map((r) => new URL(r.url).searchParams.get('apcontinue'))).toEqual([
      null,
      'B',
      'C',
    ]);
  });

  it('should send each page only the continue values of the previous answer, not stale ones', async () => {
    // generator=allpages&prop=revisions: the continue keys change from page to page
    // (https://www.mediawiki.org/wiki/API:Continue: merge `continue` into the ORIGINAL request).
    const pages = [
      { continue: { rvcontinue: 'R1', continue: '||' }, query: {} },
      { continue: { gapcontinue: 'G2', continue: 'gapcontinue||' }, query: {} },
      { batchcomplete: true, query: {} },
    ];
    const fetch = fakeFetch(...pages.map((p) => () => json(p)));
    const params = { generator: 'allpages', prop: 'revisions', gaplimit: 2 };
    for await (const page of client(fetch).queryAll(params)) expect(page).toHaveProperty('query');
    const sent = fetch.requests.map((r) => new URL(r.url).searchParams);
    expect(sent.map((q) => [q.get('rvcontinue'), q.get('gapcontinue'), q.get('continue')])).toEqual([
      [null, null, null],
      ['R1', null, '||'],
      [null, 'G2', 'gapcontinue||'],
    ]);
    expect(sent.every((q) => q.get('generator') === 'allpages' && q.get('action') === 'query')).toBe(true);
  });

  it('should stop continuation after maxPages requests', async () => {
    const fetch = fakeFetch(() => json({ continue: { apcontinue: 'X', continue: '-||' }, query: {} }));
    let count = 0;
    for await (const page of client(fetch).queryAll({ list: 'allpages' }, { maxPages: 3 })) {
      expect(page).toHaveProperty('continue');
      count++;
    }
    expect(count).toBe(3);
    expect(fetch.requests).toHaveLength(3);
  });

  it('should turn an API error into code mediawiki with its code', async () => {
    const f = loadFixture('14-api-unknown-access-token');
    const fetch = fakeFetch(() => new Response(f.response.body, { headers: f.response.headers }));
    await expect(client(fetch).get({ action: 'query' })).rejects.toMatchObject({
      code: 'mediawiki',
      mediawikiCode: 'mwoauth-invalid-authorization',
      message: expect.stringMatching(/revoked|log the user in again/),
    });
  });

  it("should report a proxy's 502 page as http_error", async () => {
    const fetch = fakeFetch(
      () => new Response('<html><head><title>502 Bad Gateway</title></head></html>', { status: 502 }),
    );
    await expect(client(fetch, { maxRetries: 0 }).get({ action: 'query' })).rejects.toMatchObject({
      code: 'http_error',
      status: 502,
    });
  });

  it('should accept any wiki api.php, and refuse a URL with a query', () => {
    expect(
      client(
        fakeFetch(() => json({})),
        { apiUrl: 'https://www.wikidata.org/w/api.php' },
      ).apiUrl,
    ).toBe('https://www.wikidata.org/w/api.php');
    expect(() =>
      client(
        fakeFetch(() => json({})),
        { apiUrl: 'https://x.org/w/api.php?action=query' },
      ),
    ).toThrow(expect.objectContaining({ code: 'invalid_url' }));
  });
});
