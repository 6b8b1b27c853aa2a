// Which files an HTML page makes a current browser fetch before it runs: the First Load JS of
// section 3 (bench/bytes.ts), read from the HTML Next serves.

function attribute(tag: string, name: string): string | null {
  return new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag)?.[1] ?? null;
}

function hasAttribute(tag: string, name: string): boolean {
  return new RegExp(`\\s${name}(?:=|\\s|/?>)`, 'i').test(tag);
}

/**
 * The same-origin script and stylesheet URLs an HTML page makes a current browser load, each once.
 * Scripts: `<script src>` and `<link>`s that fetch one ahead (rel=modulepreload, rel=preload
 * as=script), but not `<script nomodule>` (Next's polyfills, which only browsers without ES modules
 * load). Inline scripts (React's flight data) are part of the HTML, not counted.
 */
export function assetUrls(html: string, base: string): { scripts: string[]; styles: string[] } {
  const scripts = new Set<string>();
  const styles = new Set<string>();
  const origin = new URL(base).origin;
  const add = (set: Set<string>, url: string | null): void => {
    if (url === null) return;
    const resolved = new URL(url.replace(/&amp;/g, '&'), base);
    if (resolved.origin === origin) set.add(resolved.href);
  };
  for (const [tag] of html.matchAll(/<(?:script|link)\b[^>]*>/gi)) {
    if (/^<script/i.test(tag)) {
      if (!hasAttribute(tag, 'nomodule')) add(scripts, attribute(tag, 'src'));
      continue;
    }
    const rel = attribute(tag, 'rel')?.toLowerCase() ?? '';
    const as = attribute(tag, 'as')?.toLowerCase() ?? '';
    if (rel === 'modulepreload' || (rel === 'preload' && as === 'script'))
      add(scripts, attribute(tag, 'href'));
    if (rel === 'stylesheet') add(styles, attribute(tag, 'href'));
  }
  return { scripts: [...scripts], styles: [...styles] };
}
