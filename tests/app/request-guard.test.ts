import { describe, expect, it } from 'vitest';
import { PAGE_BODY_LIMIT, PROXY_BODY_COPY_LIMIT, ROUTE_BODY_LIMIT } from '@/lib/http-policy';
import { earlyRefusal } from '@/lib/server/http/early-guard';
import { fromOrigin } from '@/lib/server/http/origin';

// The pure halves of the request checks (tests/security/hardening.test.ts sends them over HTTP).

describe('fromOrigin', () => {
  it.each([
    ['the same origin', 'https://tool.example.org', null, true],
    ['another scheme of our host', 'http://tool.example.org', null, false],
    ['another port', 'https://tool.example.org:8443', null, false],
    ['another site', 'https://evil.example', 'same-origin', false],
    ['Origin: null', 'null', null, false],
    ['no Origin, same-origin fetch', null, 'same-origin', true],
    ['no Origin, cross-site fetch', null, 'cross-site', false],
    ['no Origin at all', null, null, false],
  ])('should judge %s', (_what, origin, site, expected) => {
    expect(fromOrigin(origin, site, 'https://tool.example.org')).toBe(expected);
  });
});

describe('earlyRefusal', () => {
  it.each([
    ['GET', '/profile', undefined, null],
    ['POST', '/sandbox', String(PAGE_BODY_LIMIT), null],
    ['GET', '//evil.example/', undefined, null], // Next's 308 for it stays on our origin
    ['TRACE', '/', undefined, 405],
    ['TRACK', '/', undefined, 405],
    ['OPTIONS', '*', undefined, 400],
    ['GET', 'http://evil.example/profile', undefined, 400],
    ['POST', '/sandbox', String(PAGE_BODY_LIMIT + 1), 413],
    ['PUT', '/', '20000000', 413],
    ['POST', '/', 'garbage', 413],
    // Route handlers take more (a JSON body of wikitext), up to their own named limit.
    ['POST', '/api/mine', String(PAGE_BODY_LIMIT + 1), null],
    ['POST', '/api/mine', String(ROUTE_BODY_LIMIT), null],
    ['POST', '/api/mine', String(ROUTE_BODY_LIMIT + 1), 413],
    ['POST', '/apiary', String(PAGE_BODY_LIMIT + 1), 413],
  ])('should answer %s %s (Content-Length %s) with %s', (method, target, length, status) => {
    expect(earlyRefusal(method, target, length)?.status ?? null).toBe(status);
  });

  it('should copy enough of a body for proxy.ts to see that it is over the limit (one 64 KiB read past it)', () => {
    expect(PROXY_BODY_COPY_LIMIT - PAGE_BODY_LIMIT).toBeGreaterThanOrEqual(64 * 1024);
  });
});
