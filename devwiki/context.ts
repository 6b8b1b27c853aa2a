// What every handler gets: the wiki (state, server URL, clock) and the parsed request.
import type { IncomingHttpHeaders } from 'node:http';
import type { Pair } from './oauth1';
import type { OAuth2Settings } from './oauth2';
import type { Store } from './store';
import type { WikimediaMode } from './wikimedia';
import type { DevwikiForgery } from './types';

export interface WikiContext {
  store: Store;
  /** $wgServer = $wgCanonicalServer, e.g. http://127.0.0.1:8181 */
  origin: string;
  /** WikiMap::getCurrentWikiId() ($wgDBname): 'devwiki', or the id a farm gave it (devwiki/farm.ts). */
  wikiId: string;
  /** The wiki's clock in ms (the injected clock plus any offset). */
  nowMs(): number;
  /** Set when tests asked identify to forge its JWT. */
  forgery: DevwikiForgery | null;
  /** The OAuth 2.0 signing key and token lifetimes (mutable: Devwiki.setTokenLifetimes). */
  oauth2: OAuth2Settings;
  /** The Wikimedia-like mode (devwiki/wikimedia.ts), or null: the recorded 1.39 behaviour. */
  wikimedia?: WikimediaMode | null;
}

export interface WikiRequest {
  method: string;
  /** The path as sent, without the query string. */
  path: string;
  query: Pair[];
  /** Form fields of an application/x-www-form-urlencoded POST; [] otherwise. */
  body: Pair[];
  headers: IncomingHttpHeaders;
  cookies: ReadonlyMap<string, string>;
}

export function nowSeconds(ctx: WikiContext): number {
  return Math.floor(ctx.nowMs() / 1000);
}

/** WebRequest::getVal: POST fields override query ones. */
export function param(req: WikiRequest, name: string): string | null {
  for (const [k, v] of req.body) if (k === name) return v;
  for (const [k, v] of req.query) if (k === name) return v;
  return null;
}

/** MediaWiki timestamps: YYYYMMDDHHMMSS (the JWT's `registered`). */
export function mwTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** ISO 8601 as the API writes it: 2026-11-22T07:12:57Z. */
export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** PHP's urlencode(), which MediaWiki's wfArrayToCgi uses: spaces become '+'. */
export function phpUrlencode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}
