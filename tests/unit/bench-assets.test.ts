// bench/assets.ts: what counts as a page's First Load JS, read from HTML as Next 16 serves it.
import { describe, expect, it } from 'vitest';
import { assetUrls } from '@/bench/assets';

const ORIGIN = 'http://127.0.0.1:3000';

// The tags of a page as `next start` served it (Next 16.4, Turbopack), plus a cross-origin script.
const PAGE = [
  '<link rel="stylesheet" href="/_next/static/chunks/1z8c2iyflxj7c.css" data-precedence="next"/>',
  '<link rel="preload" as="script" fetchPriority="low" href="/_next/static/chunks/0j1we3cwg31qe.js"/>',
  '<link rel="preload" as="font" href="/_next/static/media/font.woff2"/>',
  '<link rel="modulepreload" href="/_next/static/chunks/mod.js"/>',
  '<script src="/_next/static/chunks/13wy106u40mzg.js" async=""></script>',
  '<script src="/_next/static/chunks/0cz1d0mv5g_q7.js" noModule=""></script>',
  '<script id="_R_">self.__next_f=self.__next_f||[]</script>',
  '<script src="/_next/static/chunks/0j1we3cwg31qe.js" async=""></script>',
  '<script src="https://cdn.example.org/tracker.js"></script>',
].join('');

describe('assetUrls', () => {
  it('should list each same-origin script once, preloaded or not, without nomodule polyfills or inline scripts', () => {
    expect(assetUrls(PAGE, ORIGIN).scripts.map((u) => new URL(u).pathname)).toEqual([
      '/_next/static/chunks/0j1we3cwg31qe.js',
      '/_next/static/chunks/mod.js',
      '/_next/static/chunks/13wy106u40mzg.js',
    ]);
  });

  it('should list stylesheets apart, and nothing for a font preload', () => {
    expect(assetUrls(PAGE, ORIGIN).styles).toEqual([`${ORIGIN}/_next/static/chunks/1z8c2iyflxj7c.css`]);
  });
});
