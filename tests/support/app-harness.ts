// For tests/app: calls the /api/mwoauth/* route handlers as plain functions of a Request (they
// read cookies from the Request and set them on the NextResponse: no next/headers, no Next server),
// with a cookie jar standing in for the browser, against an in-process devwiki.
import { NextRequest, type NextResponse } from 'next/server';
import type { DevwikiConsumer } from '@/devwiki';

export const APP_ORIGIN = 'http://localhost:3000';
export const SESSION_SECRET = 'k8Jz2QvR4mWc7XpL9sTbN3yFhD6gAeU1';

/** A callback-is-prefix consumer registered on port 1: devwiki accepts the callback on any port. */
export function testConsumer(overrides: Partial<DevwikiConsumer> = {}): DevwikiConsumer {
  return {
    id: 7,
    name: 'next-mwoauth app tests',
    key: '7e57a99c0ffee7e57a99c0ffee000007',
    secret: '7e57a99c0ffee7e57a99c0ffee7e57a99c0f0007',
    callbackUrl: 'http://localhost:1/api/mwoauth/callback',
    callbackIsPrefix: true,
    grants: ['basic', 'editpage', 'createeditmovepage'],
    ownerOnly: false,
    ...overrides,
  };
}

/**
 * An OAuth 2.0 client registered for APP_ORIGIN's callback exactly (as Special:OAuthConsumerRegistration/
 * propose/oauth2 registers one); `confidential: false` makes a public client (PKCE only).
 */
export function testOAuth2Client(overrides: Partial<DevwikiConsumer> = {}): DevwikiConsumer {
  return {
    id: 17,
    name: 'next-mwoauth app tests (OAuth 2.0)',
    key: '7e57a99c0ffee7e57a99c0ffee000017',
    secret: '7e57a99c0ffee7e57a99c0ffee7e57a99c0f0017',
    oauthVersion: '2.0',
    confidential: true,
    callbackUrl: `${APP_ORIGIN}/api/mwoauth/callback`,
    callbackIsPrefix: false,
    grants: ['basic', 'editpage', 'createeditmovepage'],
    ownerOnly: false,
    ...overrides,
  };
}

/**
 * Points lib/server's configuration at devwiki, as the environment would: OAuth 1.0a by default;
 * with a 2.0 client (`oauthVersion: '2.0'`), MW_OAUTH_VERSION=2.0 and the client ID and secret
 * (none for a public client) in MW_CONSUMER_KEY and MW_CONSUMER_SECRET.
 */
export function configureFor(
  devwiki: { indexUrl: string },
  consumer: DevwikiConsumer,
  extra: Record<string, string> = {},
): void {
  const oauth2 = consumer.oauthVersion === '2.0';
  Object.assign(process.env, {
    MW_OAUTH_VERSION: oauth2 ? '2.0' : '1.0a',
    MW_INDEX_URL: devwiki.indexUrl,
    MW_CONSUMER_KEY: consumer.key,
    MW_CONSUMER_SECRET: oauth2 && consumer.confidential === false ? '' : consumer.secret,
    MW_CALLBACK: `${APP_ORIGIN}/api/mwoauth/callback`,
    SESSION_SECRET,
    USER_AGENT: 'next-mwoauth-tests/1.0 (tests/app; nobody@example.org)',
    APP_URL: APP_ORIGIN,
    // Every route-handler test is one client (no X-Forwarded-For): the initiate limit is tested on
    // its own (tests/security/rate-limit.test.ts), so it is off unless a test passes it in `extra`.
    INITIATE_RATE_LIMIT: 'off',
    ...extra,
  });
}

export interface SetCookie {
  name: string;
  value: string;
  /** Lower-cased attribute names to their values ('' for flags). */
  attributes: Record<string, string>;
  raw: string;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair = '', ...attrs] = raw.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attributes: Record<string, string> = {};
  for (const a of attrs) {
    const i = a.indexOf('=');
    attributes[(i === -1 ? a : a.slice(0, i)).toLowerCase()] = i === -1 ? '' : a.slice(i + 1);
  }
  return { name: pair.slice(0, eq), value: decodeURIComponent(pair.slice(eq + 1)), attributes, raw };
}

/** A browser's cookie jar, for one origin. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Applies a response's Set-Cookie headers; returns them parsed. */
  update(response: Response): SetCookie[] {
    const set = response.headers.getSetCookie().map(parseSetCookie);
    for (const c of set) {
      if (c.value === '' || c.attributes['max-age'] === '0') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return set;
  }

  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('; ');
  }
  /**
   * fetch() as this browser over HTTP: sends the jar's cookies, keeps what the answer sets; redirects
   * are not followed; bounded (30 s).
   */
  async send(
    url: string | URL,
    init: { method?: string; headers?: Record<string, string>; body?: string | FormData } = {},
  ): Promise<Response> {
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { ...init.headers, cookie: this.header() },
      body: init.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    this.update(response);
    return response;
  }
}

export function request(
  url: string,
  jar: CookieJar | null,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): NextRequest {
  const headers = new Headers(init.headers);
  const cookie = jar?.header() ?? '';
  if (cookie !== '') headers.set('cookie', cookie);
  return new NextRequest(new URL(url, APP_ORIGIN), {
    method: init.method ?? 'GET',
    headers,
    body: init.body,
  });
}

export type Handler = (request: NextRequest) => Promise<NextResponse> | NextResponse;

/** A user's access token for `consumer`, through the whole handshake (initiate, Allow, complete). */
export async function accessTokenFor(
  devwiki: { indexUrl: string; approve(url: string, user: string): Promise<string> },
  consumer: DevwikiConsumer,
  username: string,
): Promise<{ key: string; secret: string }> {
  const { complete, initiate } = await import('mwoauth');
  const options = { userAgent: 'next-mwoauth-tests/1.0 (tests/app; nobody@example.org)' };
  const { redirectUrl, requestToken } = await initiate(devwiki.indexUrl, consumer, {
    ...options,
    callback: `${APP_ORIGIN}/api/mwoauth/callback`,
  });
  const back = new URL(await devwiki.approve(redirectUrl, username));
  return complete(devwiki.indexUrl, consumer, requestToken, back.searchParams, options);
}

/** The latest revision of a page as the wiki's API shows it to anyone. */
export interface ApiRevision {
  revid: number;
  user: string;
  tags: string[];
  content: string;
}

function recordOf(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : null;
}

/**
 * Reads the latest revision of `title` back through api.php with an unauthenticated GET (what
 * anyone, or a reviewer, sees), not from devwiki's memory: prop=revisions with ids, user, tags and
 * the main slot's content. Null when the page does not exist.
 */
export async function readRevisionThroughApi(apiUrl: string, title: string): Promise<ApiRevision | null> {
  const url = new URL(apiUrl);
  url.search = new URLSearchParams({
    action: 'query',
    prop: 'revisions',
    titles: title,
    rvprop: 'ids|user|tags|content',
    rvslots: 'main',
    format: 'json',
    formatversion: '2',
  }).toString();
  const response = await fetch(url, {
    headers: { 'User-Agent': 'next-mwoauth-tests/1.0 (tests; nobody@example.org)' },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`api.php answered HTTP ${response.status}`);
  const body: unknown = await response.json();
  const pages = recordOf(recordOf(body)?.query)?.pages;
  const page = Array.isArray(pages) ? recordOf(pages[0]) : null;
  const revisions = page?.revisions;
  const revision = Array.isArray(revisions) ? recordOf(revisions[0]) : null;
  if (revision === null) return null;
  const main = recordOf(recordOf(revision.slots)?.main);
  const { revid, user, tags } = revision;
  const content = main?.content;
  if (
    typeof revid !== 'number' ||
    typeof user !== 'string' ||
    !Array.isArray(tags) ||
    typeof content !== 'string'
  ) {
    throw new Error(`api.php answered an unexpected revision: ${JSON.stringify(revision)}`);
  }
  return { revid, user, tags: tags.filter((t): t is string => typeof t === 'string'), content };
}
