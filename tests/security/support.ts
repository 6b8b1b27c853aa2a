// Shared by tests/security: a browser stand-in (cookie jar + fetch, redirects not followed) talking
// to the built app over real HTTP, the login walk through devwiki, a seeded PRNG, bounded
// concurrency, and the secrets of a run (unsealed from the cookies the app set) to scan for.
import { expect } from 'vitest';
import type { DevwikiConsumer } from '@/devwiki';
import type { SessionConfig } from '@/lib/server/config';
import { LOGIN_COOKIE } from '@/lib/server/session/store';
import { HANDSHAKE_COOKIE } from '@/lib/server/session/handshakes';
import { seal, unsealOrNull, type SealPurpose } from '@/lib/server/session/seal';
import { CookieJar, type SetCookie } from '@/tests/support/app-harness';
import { sessionConfig } from '@/tests/support/session-config';
import { freePort, startE2EServer, type E2EServer, type E2EServerOptions } from '@/tests/support/e2e-app';
import { storeEnv, type Cell, type Protocol } from '@/tests/support/matrix';
import type { TestRedis } from '@/tests/support/redis-server';

export { HANDSHAKE_COOKIE, LOGIN_COOKIE };

export interface Reply {
  status: number;
  headers: Headers;
  body: string;
  /** Milliseconds from sending to the end of the body. */
  ms: number;
  setCookies: SetCookie[];
  /** The Location header resolved against the app's origin, or null. */
  location: URL | null;
}

export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  /** A raw Cookie header, sent as is (the jar's cookies are not added). */
  cookie?: string;
  signal?: AbortSignal;
}

/** The secrets of a run: none may appear in a page, an asset or a log. */
export class Secrets {
  readonly #named = new Map<string, string>();
  readonly #session: SessionConfig;

  constructor(app: E2EServer) {
    this.#named.set(app.sessionSecret, 'SESSION_SECRET');
    this.#named.set(app.consumer.secret, 'the consumer secret');
    this.#session = sessionConfig(app.sessionSecret);
  }

  add(value: string, name: string): void {
    if (value.length >= 8 && !this.#named.has(value)) this.#named.set(value, name);
  }

  get size(): number {
    return this.#named.size;
  }

  /** How many secrets of each kind are known, e.g. "access token secret: 3". */
  kinds(): Record<string, number> {
    const kinds: Record<string, number> = {};
    for (const name of this.#named.values()) {
      const kind = name.replace(/ #\d+$/, '');
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    return kinds;
  }

  /** The NAMES (never the values) of the secrets found in `text`. */
  foundIn(text: string): string[] {
    return [...this.#named].filter(([value]) => text.includes(value)).map(([, name]) => name);
  }

  /** Unseals our cookies in a response and remembers the token secrets inside. */
  async learnFrom(setCookies: readonly SetCookie[]): Promise<void> {
    for (const c of setCookies) {
      if ((c.name !== LOGIN_COOKIE && c.name !== HANDSHAKE_COOKIE) || c.value === '') continue;
      const data = await this.unseal(c.value, c.name === LOGIN_COOKIE ? 'login-cookie' : 'handshake-cookie');
      for (const token of tokensIn(data)) {
        this.add(token.secret, `${token.kind} secret #${this.size}`);
        if (token.kind === 'access token') this.add(token.key, `access token key #${this.size}`);
      }
    }
  }

  /** A cookie value as the app would read it for `purpose` (null when it does not unseal). */
  async unseal(value: string, purpose: SealPurpose): Promise<unknown> {
    return unsealOrNull(value, this.#session, purpose);
  }

  /** `data` sealed as the app seals it for `purpose` (lib/server/session/seal.ts). */
  async seal(data: object, purpose: SealPurpose, ttlS: number): Promise<string> {
    return seal(data, this.#session, ttlS, purpose);
  }
}

function tokensIn(data: unknown): Array<{ kind: string; key: string; secret: string }> {
  const found: Array<{ kind: string; key: string; secret: string }> = [];
  const token = (value: unknown, kind: string): void => {
    if (typeof value !== 'object' || value === null) return;
    const key: unknown = Reflect.get(value, 'key');
    const secret: unknown = Reflect.get(value, 'secret');
    if (typeof key === 'string' && typeof secret === 'string') found.push({ kind, key, secret });
  };
  const bearer = (value: unknown, kind: string): void => {
    if (typeof value === 'string') found.push({ kind, key: '', secret: value });
  };
  if (typeof data !== 'object' || data === null) return found;
  token(Reflect.get(data, 'accessToken'), 'access token');
  // The login as sealed since the two seams: { credentials: { protocol, accessToken } }.
  const credentials: unknown = Reflect.get(data, 'credentials');
  if (typeof credentials === 'object' && credentials !== null) {
    token(Reflect.get(credentials, 'accessToken'), 'access token');
    // OAuth 2.0: { protocol: '2.0', accessToken, refreshToken, expiresAt }, the tokens as strings.
    bearer(Reflect.get(credentials, 'accessToken'), 'OAuth 2.0 access token');
    bearer(Reflect.get(credentials, 'refreshToken'), 'OAuth 2.0 refresh token');
  }
  const pending: unknown = Reflect.get(data, 'pending');
  if (Array.isArray(pending)) {
    for (const p of pending) {
      if (typeof p !== 'object' || p === null) continue;
      token(Reflect.get(p, 'requestToken'), 'request token');
      // Since the two seams: { key, handshake: { protocol, requestToken }, next, startedAt }.
      const handshake: unknown = Reflect.get(p, 'handshake');
      if (typeof handshake === 'object' && handshake !== null) {
        token(Reflect.get(handshake, 'requestToken'), 'request token');
        // OAuth 2.0: { protocol: '2.0', state, codeVerifier } (state travels in the URL; the verifier must not).
        bearer(Reflect.get(handshake, 'codeVerifier'), 'PKCE code verifier');
      }
    }
  }
  return found;
}

/** One HTTP request to the app (or any absolute URL), redirects not followed. */
export async function send(app: E2EServer, path: string, init: SendInit = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (init.cookie !== undefined) headers.set('cookie', init.cookie);
  const started = performance.now();
  const response = await fetch(new URL(path, app.origin), {
    method: init.method ?? 'GET',
    headers,
    body: init.body,
    redirect: 'manual',
    signal: init.signal ?? AbortSignal.timeout(60_000),
  });
  const body = await response.text();
  const ms = performance.now() - started;
  const raw = response.headers.get('location');
  return {
    status: response.status,
    headers: response.headers,
    body,
    ms,
    setCookies: new CookieJar().update(response),
    location: raw === null ? null : new URL(raw, app.origin),
  };
}

/** A browser: a cookie jar for the app's origin, every Set-Cookie applied as it arrives. */
export class Browser {
  readonly jar = new CookieJar();

  constructor(
    readonly app: E2EServer,
    readonly secrets: Secrets,
  ) {}

  async send(path: string, init: Omit<SendInit, 'cookie'> = {}): Promise<Reply> {
    const cookie = this.jar.header();
    const reply = await send(this.app, path, { ...init, ...(cookie === '' ? {} : { cookie }) });
    for (const c of reply.setCookies) {
      if (c.value === '' || c.attributes['max-age'] === '0') this.jar.cookies.delete(c.name);
      else this.jar.cookies.set(c.name, c.value);
    }
    await this.secrets.learnFrom(reply.setCookies);
    return reply;
  }

  /** POST /api/mwoauth/logout from our own page (Origin: ours), as the Log out button does. */
  logout(next = '/'): Promise<Reply> {
    return this.send('/api/mwoauth/logout', {
      method: 'POST',
      headers: { origin: this.app.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ next }).toString(),
    });
  }

  /** initiate → the wiki's authorize page, logged in as `username`, Allow; returns the callback URL. */
  async startLogin(username: string, next = '/profile'): Promise<string> {
    const start = await this.send(`/api/mwoauth/initiate?next=${encodeURIComponent(next)}`);
    if (start.status !== 303 || start.location === null) {
      throw new Error(`initiate answered ${start.status}, not 303 to the wiki: ${start.body.slice(0, 300)}`);
    }
    const back = await this.app.devwiki.approve(start.location.href, username);
    // OAuth 2.0: the authorization code is a credential too (one use, but until then it is a login).
    const code = new URL(back).searchParams.get('code');
    if (code !== null) this.secrets.add(code, `OAuth 2.0 authorization code #${this.secrets.size}`);
    return back;
  }

  /** The whole login; returns the callback's reply. */
  async logIn(username: string, next = '/profile'): Promise<Reply> {
    return this.send(await this.startLogin(username, next));
  }

  /**
   * The test build's server-action form (app/action-fixture, in no product build): its hidden
   * server-action field (`$ACTION_ID_…`), read from the page as a browser without JavaScript would
   * submit it.
   */
  async fixtureActionField(): Promise<string> {
    const page = await this.send('/action-fixture');
    const field = /name="(\$ACTION_ID_[0-9a-f]+)"/.exec(page.body)?.[1];
    if (field === undefined) throw new Error(`/action-fixture (${page.status}) has no server-action form`);
    return field;
  }

  /** Submits that form (the fixture's server action appendLine), from `origin` (default ours). */
  submitFixture(actionField: string, line: string, origin = this.app.origin): Promise<Reply> {
    const form = new FormData();
    form.set(actionField, '');
    form.set('line', line);
    return this.send('/action-fixture', { method: 'POST', headers: { origin }, body: form });
  }

  /** Who /api/mwoauth/identify says this browser is (null when it is not logged in). */
  async whoAmI(): Promise<string | null> {
    const reply = await this.send('/api/mwoauth/identify');
    if (reply.status !== 200) return null;
    const body: unknown = JSON.parse(reply.body);
    const name = typeof body === 'object' && body !== null ? Reflect.get(body, 'username') : null;
    return typeof name === 'string' ? name : null;
  }
}

/** The two protocols the app speaks (MW_OAUTH_VERSION); the protocol-independent files run in both. */
export { MATRIX, PROTOCOLS, type Cell, type Protocol } from '@/tests/support/matrix';

/** What differs between the protocols for a security file; everything else it asserts is shared. */
export interface ProtocolFacts {
  protocol: Protocol;
  /** Appended to a file's figure labels: '' for 1.0a (the labels as they were), ' (OAuth 2.0)'. */
  label: string;
  /** A callback carrying made-up protocol parameters and no login behind them. */
  forgedCallback: string;
  /** The devwiki endpoint the app asks who the user is (identify JWT / rest.php profile). */
  identityEndpoint: 'identify' | 'profile';
  /** The wiki endpoint initiate asks, or null when initiate asks the wiki nothing (2.0: a redirect). */
  initiateEndpoint: 'initiate' | null;
  /** Secrets.kinds() names of what a pending login and a login hold. */
  handshakeSecretKind: string;
  accessSecretKind: string;
}

export const PROTOCOL_FACTS: Record<Protocol, ProtocolFacts> = {
  '1.0a': {
    protocol: '1.0a',
    label: '',
    forgedCallback: '/api/mwoauth/callback?oauth_verifier=v&oauth_token=t',
    identityEndpoint: 'identify',
    initiateEndpoint: 'initiate',
    handshakeSecretKind: 'request token secret',
    accessSecretKind: 'access token secret',
  },
  '2.0': {
    protocol: '2.0',
    label: ' (OAuth 2.0)',
    forgedCallback: '/api/mwoauth/callback?code=c0de&state=5tate',
    identityEndpoint: 'profile',
    initiateEndpoint: null,
    handshakeSecretKind: 'PKCE code verifier secret',
    accessSecretKind: 'OAuth 2.0 access token secret',
  },
};

/**
 * `next start` against devwiki speaking `protocol`: 1.0a with E2E_CONSUMER (as every security file
 * always ran), 2.0 with a confidential client registered for this server's exact callback.
 */
export async function startFor(protocol: Protocol, options: E2EServerOptions = {}): Promise<E2EServer> {
  if (protocol === '1.0a') return startE2EServer(options);
  const port = options.port ?? (await freePort());
  const client: DevwikiConsumer = {
    id: 47,
    name: 'next-mwoauth security (OAuth 2.0)',
    key: 'e2ee2ee2ee2ee2ee2ee2ee2ee2e00047',
    secret: 'e2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee2ee200047',
    oauthVersion: '2.0',
    confidential: true,
    callbackUrl: `http://localhost:${port}/api/mwoauth/callback`,
    callbackIsPrefix: false,
    grants: ['basic', 'editpage', 'createeditmovepage'],
    ownerOnly: false,
  };
  // Refresh tokens that outlive a file (MediaWiki 1.39's default is PT1M, o2-15).
  return startE2EServer({
    ...options,
    port,
    consumer: client,
    devwiki: { refreshTokenTtlS: 3600, ...options.devwiki },
  });
}

/**
 * startFor in one cell of the matrix: `cell.protocol`, and the Redis store at `redis` for a Redis
 * cell (one redis-server per file, started and stopped by the file).
 */
export function startForCell(
  cell: Cell,
  redis: TestRedis | null,
  options: E2EServerOptions = {},
): Promise<E2EServer> {
  return startFor(cell.protocol, { ...options, env: { ...storeEnv(cell.store, redis), ...options.env } });
}

/** The login cookie a reply set: its value, '' when it cleared it, null when it did not touch it. */
export function loginCookieSet(reply: Reply): string | null {
  const c = reply.setCookies.find((s) => s.name === LOGIN_COOKIE);
  if (c === undefined) return null;
  return c.attributes['max-age'] === '0' ? '' : c.value;
}

/** Mulberry32: a small seeded PRNG, so a failing fuzz case can be reproduced from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The value at fraction `p` (0..1) of sorted `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

/** Counts of each status, e.g. { 200: 3, 401: 9 }. */
export function tally(statuses: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/** Stack-trace lines and crash markers in a server log. */
export function crashesIn(log: string): string[] {
  return log
    .split('\n')
    .filter((line) =>
      /unhandledRejection|uncaughtException|UnhandledPromiseRejection|^\s+at .+[:(]\d+:\d+\)?\s*$/.test(line),
    );
}

/**
 * The end of every security file: the app's own log (stdout and stderr, the whole file's run) holds
 * no secret of the run and no crash; prints the figure.
 */
export function expectCleanLog(label: string, app: E2EServer, secrets: Secrets): void {
  const log = app.serverLog();
  const leaked = secrets.foundIn(log);
  const crashes = crashesIn(log);
  console.log(
    `[security] ${label} log: ${log.length} bytes scanned for ${secrets.size} secrets, ${leaked.length} found, ${crashes.length} stack/crash lines`,
  );
  expect(leaked, 'secrets in the app log').toEqual([]);
  expect(crashes, 'stack traces or crashes in the app log').toEqual([]);
}
