// Section 3, bytes: the JavaScript each page makes a browser load (First Load JS, gzip), against the
// framework floor's page served the same way; and the size of the cookies a login leaves.
// Next 16's `next build` no longer prints First Load JS, so it is read from running production
// servers: every script a page's HTML loads, fetched and gzipped here.
import { gzipSync, constants } from 'node:zlib';
import { NAV } from '@/app/_components/nav';
import { ADMIN_RIGHTS } from '@/devwiki/rights';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { loadFixture } from '@/tests/support/fixtures';
import type { BenchOptions, Row, Section } from './report';
import { assetUrls } from './assets';
import { startFloor } from './builds';
import { formatBytes } from './format';
import { logIn, type SentCookie } from './login';
import { oauth2TokensFor, startOAuth2Server } from './oauth2';

/** Each page's First Load JS at most 5 KB over the floor's. */
const OVER_FLOOR_BUDGET = 5 * 1024;
const LOGIN_COOKIE_BUDGET = 1024;
const HANDSHAKE_COOKIE_BUDGET = 600;
/** An OAuth 2.0 login cookie stays under 4 KB with every attribute (browsers' limit). */
const LOGIN_COOKIE_2_BUDGET = 4096;

/** A devwiki user given 200 rights (devwiki's setUserRights). */
const MANY_RIGHTS_USER = 'Bench Steward';
const MANY_RIGHTS = 200;

/**
 * `count` rights: the Admin's 73 of fixture 31b, then names in the style of extensions' rights. What
 * the names are does not matter to the cookies (the login cookie keeps no rights:
 * lib/server/session/login-record.ts); the count does, if it ever did.
 */
function manyRights(count: number): string[] {
  const made = Array.from({ length: Math.max(0, count - ADMIN_RIGHTS.length) }, (_, i) => {
    return `bench-extension-right-${String(i + 1).padStart(3, '0')}`;
  });
  return [...ADMIN_RIGHTS, ...made].slice(0, count);
}

interface PageJs {
  /** Script URLs the page loads, same-origin, each once. */
  files: number;
  raw: number;
  gzip: number;
  /** Its stylesheets, gzipped the same way (not JS: shown beside, not counted). */
  cssGzip: number;
}

async function fetchOk(url: string, cookie: string): Promise<Response> {
  const response = await fetch(url, {
    headers: cookie === '' ? {} : { cookie },
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`${new URL(url).pathname} answered ${response.status}, not 200`);
  }
  return response;
}

/** Raw and gzipped (level 9, file by file) bytes of `urls`, summed. */
async function sizes(urls: readonly string[]): Promise<{ raw: number; gzip: number }> {
  let raw = 0;
  let gzip = 0;
  for (const url of urls) {
    const bytes = Buffer.from(await (await fetchOk(url, '')).arrayBuffer());
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;
  }
  return { raw, gzip };
}

/** First Load JS of `path`: every script its HTML loads, gzipped one by one at level 9. */
async function firstLoadJs(origin: string, path: string, cookie: string): Promise<PageJs> {
  const html = await (await fetchOk(new URL(path, origin).href, cookie)).text();
  const { scripts, styles } = assetUrls(html, origin);
  if (scripts.length === 0) throw new Error(`${path} loads no script: has the HTML changed shape?`);
  return { files: scripts.length, ...(await sizes(scripts)), cssGzip: (await sizes(styles)).gzip };
}

/** What the browser stores: `name=value` exactly as sent (attributes not counted). */
function storedLength(cookie: SentCookie): number {
  return cookie.name.length + 1 + cookie.value.length;
}

function attributesLength(cookie: SentCookie): number {
  return cookie.header.length - storedLength(cookie);
}

/** The lengths of the access and refresh tokens the recorded wiki issued (fixture o2-06). */
function recordedTokenLengths(): { access: number; refresh: number } {
  const body: unknown = JSON.parse(loadFixture('o2-06-token-authorization-code-success').response.body);
  const length = (name: string): number => {
    const value: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, name) : null;
    if (typeof value !== 'string') throw new Error(`fixture o2-06 has no ${name}`);
    return value.length;
  };
  return { access: length('access_token'), refresh: length('refresh_token') };
}

/**
 * The OAuth 2.0 rows: the login cookie (the access token, an RS256 JWT, and the refresh token in
 * it; budgeted as a whole header) and the handshake cookie (state and PKCE verifier).
 */
async function oauth2CookieRows(): Promise<{ rows: Row[]; note: string }> {
  const app = await startOAuth2Server({ refreshTokenTtlS: 3600 });
  try {
    const alice = await logIn(app.origin.replace('localhost', '127.0.0.1'), app.devwiki);
    const tokens = await oauth2TokensFor(app, app.devwiki);
    const recorded = recordedTokenLengths();
    const ours = { access: tokens.accessToken.length, refresh: tokens.refreshToken?.length ?? 0 };
    // iron-session seals JSON to base64url: 4 characters per 3 bytes more of token.
    const extra = Math.ceil(((recorded.access - ours.access + recorded.refresh - ours.refresh) * 4) / 3);
    const whole = alice.login.header.length;
    const rows: Row[] = [
      {
        name: `OAuth 2.0 login cookie: Alice (${alice.login.name})`,
        value:
          `${formatBytes(storedLength(alice.login))} (+${attributesLength(alice.login)} B of attributes = ${formatBytes(whole)}; ` +
          `about ${formatBytes(whole + extra)} with the recorded wiki's token sizes)`,
        budget: '≤ 4096 B with every attribute',
        verdict: whole + Math.max(0, extra) <= LOGIN_COOKIE_2_BUDGET ? 'met' : 'missed',
      },
      budgetRow(
        `OAuth 2.0 handshake cookie: one login in progress (${alice.handshake.name})`,
        storedLength(alice.handshake),
        ` (+${attributesLength(alice.handshake)} B of attributes)`,
        HANDSHAKE_COOKIE_BUDGET,
        '≤ 600 B',
      ),
    ];
    const note =
      'OAuth 2.0 cookies: the same login through the app with MW_OAUTH_VERSION=2.0 and a confidential client. The ' +
      'login cookie keeps the access token, the refresh token and their expiry beside the user id and name; its ' +
      `budget is the whole Set-Cookie header. devwiki's access and refresh tokens are ${ours.access} and ` +
      `${ours.refresh} characters long, the recorded MediaWiki 1.39's ${recorded.access} and ${recorded.refresh} ` +
      '(fixture o2-06): "with the recorded wiki\'s token sizes" adds 4/3 of the difference (iron-session seals to ' +
      'base64url), an estimate, and the verdict is judged on it. The handshake cookie keeps state and the PKCE verifier.';
    return { rows, note };
  } finally {
    await app.close();
  }
}

function budgetRow(name: string, value: number, detail: string, budget: number, words: string): Row {
  return {
    name,
    value: `${formatBytes(value)}${detail}`,
    budget: words,
    verdict: value <= budget ? 'met' : 'missed',
  };
}

export async function run(options: BenchOptions): Promise<Section> {
  void options.smoke; // every figure here is one exact count: the smoke measures it all the same
  const rows: Row[] = [];
  const notes: string[] = [];
  const floor = await startFloor();
  let app: E2EServer | null = null;
  try {
    app = await startE2EServer();
    app.devwiki.setUserRights(MANY_RIGHTS_USER, manyRights(MANY_RIGHTS));
    const server = app.origin.replace('localhost', '127.0.0.1');
    const alice = await logIn(server, app.devwiki);
    const steward = await logIn(server, app.devwiki, MANY_RIGHTS_USER);

    const base = await firstLoadJs(floor.origin, '/', '');
    rows.push({
      name: 'First Load JS: floor / (empty Next.js app)',
      value: `${formatBytes(base.gzip)} (${base.files} files, ${formatBytes(base.raw)} raw)`,
      budget: null,
      verdict: null,
    });
    const limit = base.gzip + OVER_FLOOR_BUDGET;
    const pages: Array<[string, string, string]> = [
      ['/', 'logged out', ''],
      ['/', 'logged in', alice.cookie],
      // The app's pages as its menu lists them (app/_components/nav.ts): /profile, and the
      // sandbox demo's while it is there.
      ...NAV.map((entry): [string, string, string] => [entry.href, 'logged in', alice.cookie]),
    ];
    for (const [path, who, cookie] of pages) {
      const page = await firstLoadJs(app.origin, path, cookie);
      const over = page.gzip - base.gzip;
      rows.push(
        budgetRow(
          `First Load JS: ${path} (${who})`,
          page.gzip,
          ` (${page.files} files; ${over >= 0 ? '+' : '−'}${formatBytes(Math.abs(over))} against the floor; ` +
            `CSS ${formatBytes(page.cssGzip)} beside)`,
          limit,
          `≤ floor + 5120 B = ${formatBytes(limit)}`,
        ),
      );
    }

    const cookies: Array<[string, SentCookie, number, string]> = [
      ['Login cookie: Alice (typical user)', alice.login, LOGIN_COOKIE_BUDGET, '≤ 1024 B'],
      [`Login cookie: a user with ${MANY_RIGHTS} rights`, steward.login, LOGIN_COOKIE_BUDGET, '≤ 1024 B'],
      ['Handshake cookie: one login in progress', alice.handshake, HANDSHAKE_COOKIE_BUDGET, '≤ 600 B'],
    ];
    for (const [name, cookie, budget, words] of cookies) {
      rows.push(
        budgetRow(
          `${name} (${cookie.name})`,
          storedLength(cookie),
          ` (+${attributesLength(cookie)} B of attributes)`,
          budget,
          words,
        ),
      );
    }
    const oauth2 = await oauth2CookieRows();
    rows.push(...oauth2.rows);

    notes.push(
      'First Load JS: each page fetched from `next start` of the production build (logged in through devwiki where ' +
        'stated), every same-origin `<script src>`, `<link rel=modulepreload>` and `<link rel=preload as=script>` ' +
        'fetched once and gzipped file by file with node:zlib at level 9, then summed. The floor is bench/floor ' +
        '(one layout, one per-request page) built with the same next and react, the same build as section 1 ' +
        'uses (bench/builds.ts: once per run, in a temporary copy). Not counted: `<script nomodule>` ' +
        "(Next's polyfills: browsers with ES modules skip it), inline scripts (the flight data in the HTML), and " +
        'CSS (shown beside each page; the floor has none).',
      'Cookies: the Set-Cookie headers of a real login (initiate, Allow on devwiki, the callback); the figure is ' +
        '`name=value` as the browser stores it, the attributes (Path, Expires, Max-Age, HttpOnly, SameSite) beside ' +
        `it. The ${MANY_RIGHTS}-rights user is devwiki's setUserRights on a new user: identify's JWT carries all ` +
        'of them, the login cookie none (it keeps the access token, user id and name only).',
      oauth2.note,
    );
  } finally {
    await app?.close();
    await floor.server.stop();
  }
  return { title: '3. Bytes', rows, notes };
}
