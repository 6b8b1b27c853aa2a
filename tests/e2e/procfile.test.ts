import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevwikiConsumer } from '@/devwiki';
import { CookieJar, parseSetCookie } from '@/tests/support/app-harness';
import { freePort, ROOT, startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { startFrontProxy, type FrontProxy } from '@/tests/support/front-proxy';

// The Toolforge deployment, as far as it can be reproduced here (docs/toolforge.md): the Procfile's
// `web:` line run as a buildpack runs it (`bash -c`, PORT set), on the production build, configured
// as the docs say (APP_URL the public https origin, the consumer registered with exactly
// <APP_URL>/api/mwoauth/callback, MW_CALLBACK unset: oob), reached only through a front proxy that
// connects to the machine's non-loopback address (as Toolforge's router reaches a pod) and passes an
// internal Host. The whole login, over real HTTP, through the proxy.
//
// TLS is not simulated: the client below sends what a browser would send to PUBLIC_ORIGIN to the
// proxy's plain-HTTP port instead, as a TLS-terminating proxy would pass it on.

const PUBLIC_ORIGIN = 'https://my-tool.toolforge.test'; // .test: reserved, never resolves (RFC 6761)

/** Registered on devwiki as the docs tell tool authors to register on meta: a fixed callback. */
const TOOLFORGE_CONSUMER: DevwikiConsumer = {
  id: 77,
  name: 'next-mwoauth on Toolforge',
  key: 'f00df00df00df00df00df00df00d0077',
  secret: 'f00df00df00df00df00df00df00df00df00d0077',
  callbackUrl: `${PUBLIC_ORIGIN}/api/mwoauth/callback`,
  callbackIsPrefix: false,
  grants: ['basic', 'editpage', 'createeditmovepage'],
  ownerOnly: false,
};

/** The Procfile's one `web:` command. */
function procfileWeb(): string {
  const lines = readFileSync(join(ROOT, 'Procfile'), 'utf8').split('\n');
  const web = lines.filter((line) => /^web:/.test(line));
  if (web.length !== 1) throw new Error(`Procfile: expected one web: line, found ${web.length}`);
  return (web[0] ?? '').slice('web:'.length).trim();
}

/** An IPv4 address of this machine that is not loopback, as a pod's address is; null if none. */
function nonLoopbackIPv4(): string | null {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

/**
 * A directory holding a `node` that writes the arguments it is given to `args`, one per line, then
 * runs this node with them (exec: same pid), to put first on PATH: the Procfile's `exec node …` runs it.
 */
function recordingNode(): { dir: string; args: string } {
  const dir = mkdtempSync(join(tmpdir(), 'procfile-node-'));
  const args = join(dir, 'args');
  writeFileSync(
    join(dir, 'node'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${args}'\nexec '${process.execPath}' "$@"\n`,
  );
  chmodSync(join(dir, 'node'), 0o755);
  return { dir, args };
}

let app: E2EServer;
let proxy: FrontProxy;
let appHost: string;
let node: { dir: string; args: string };
const jar = new CookieJar();

/** What a browser on PUBLIC_ORIGIN would send, sent to the proxy; redirects are not followed. */
async function browse(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | FormData } = {},
): Promise<Response> {
  const target = new URL(url, PUBLIC_ORIGIN);
  if (target.origin !== PUBLIC_ORIGIN) throw new Error(`not our public origin: ${url}`);
  return jar.send(`${proxy.url}${target.pathname}${target.search}`, init);
}

beforeAll(async () => {
  const port = await freePort();
  appHost = nonLoopbackIPv4() ?? '127.0.0.1';
  if (appHost === '127.0.0.1') console.warn('procfile: no non-loopback IPv4 here; the proxy uses 127.0.0.1');
  node = recordingNode();
  proxy = await startFrontProxy({ host: appHost, port });
  app = await startE2EServer({
    port,
    shellCommand: procfileWeb(),
    consumer: TOOLFORGE_CONSUMER,
    readyPath: '/healthz',
    env: { APP_URL: PUBLIC_ORIGIN, MW_CALLBACK: '', PATH: `${node.dir}:${process.env.PATH ?? ''}` },
  });
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
  if (node !== undefined) rmSync(node.dir, { recursive: true, force: true });
});

describe('the Procfile', () => {
  it('should have one web: line that takes its port from $PORT', () => {
    expect(procfileWeb()).toMatch(/\$\{?PORT\b/);
  });

  it("should start node with no V8 flag before Next's bin (one would cost node its code cache)", () => {
    // The server bounds its heap itself (lib/server/wiring/heap.ts, tests/app/heap.test.ts); README
    // "Deploy" and docs/toolforge.md "Memory" say why no flag is given here.
    expect(readFileSync(node.args, 'utf8').split('\n').slice(0, 2)).toEqual([
      'node_modules/next/dist/bin/next',
      'start',
    ]);
    // app.pid is the shell the line runs in, replaced by node through `exec` (twice: the recording
    // node execs the real one): the server itself, which takes Next's process title.
    expect(readFileSync(`/proc/${app.pid}/cmdline`, 'utf8')).toMatch(/^next-server/);
  });

  it("should start the production build on PORT, listening beyond loopback (the router reaches the pod's address)", async () => {
    const direct = await fetch(`http://${appHost}:${new URL(app.origin).port}/healthz`);
    expect(direct.status).toBe(200);
    await expect(direct.text()).resolves.toBe('ok\n');
    expect(app.serverLog()).toMatch(/Ready in/);
  });
});

describe('/healthz through the front proxy', () => {
  it('should answer 200 ok, not cached, with the security headers, and read no cookie', async () => {
    const response = await fetch(`${proxy.url}/healthz`, { headers: { cookie: 'mwoauth_session=garbage' } });
    expect(response.status).toBe(200);
    await expect(response.text()).resolves.toBe('ok\n');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // proxy.ts would clear a cookie that does not unseal on a page; /healthz is not one.
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('should answer HEAD with 200 and no body', async () => {
    const response = await fetch(`${proxy.url}/healthz`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    await expect(response.text()).resolves.toBe('');
  });
});

describe('logging in on Toolforge, through the front proxy', () => {
  it('should log in as Alice, show her profile, run a server action and log out, on the public origin only', async () => {
    const home = await browse('/');
    expect(home.status).toBe(200);
    await expect(home.text()).resolves.toContain('<h1>Log in with your wiki account</h1>');

    // initiate: 303 to the wiki's authorize page, the handshake cookie Secure (APP_URL is https).
    const start = await browse('/api/mwoauth/initiate?next=/profile');
    expect(start.status).toBe(303);
    const authorize = start.headers.get('location') ?? '';
    expect(`${new URL(authorize).origin}${new URL(authorize).pathname}`).toBe(app.devwiki.indexUrl);
    expect(new URL(authorize).searchParams.get('title')).toBe('Special:OAuth/authorize');
    const handshake = start.headers.getSetCookie().map(parseSetCookie);
    expect(handshake).toEqual([expect.objectContaining({ name: 'mwoauth_handshake' })]);
    expect(handshake[0]?.attributes).toMatchObject({ secure: '', httponly: '', samesite: 'lax', path: '/' });

    // The wiki (oob) sends the browser to the callback registered for the consumer.
    const back = await app.devwiki.approve(authorize, 'Alice');
    expect(back.startsWith(`${PUBLIC_ORIGIN}/api/mwoauth/callback?`)).toBe(true);

    const callback = await browse(back);
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe(`${PUBLIC_ORIGIN}/profile`);
    const session = callback.headers
      .getSetCookie()
      .map(parseSetCookie)
      .find((c) => c.name === 'mwoauth_session');
    expect(session?.attributes).toMatchObject({ secure: '', httponly: '', samesite: 'lax', path: '/' });

    const profile = await browse('/profile');
    expect(profile.status).toBe(200);
    expect(profile.headers.get('cache-control')).toMatch(/no-store/);
    const page = await profile.text();
    expect(page).toContain('<h1><bdi>Alice</bdi></h1>');

    // A server action (the test build's, app/action-fixture): the browser's Origin is APP_URL's
    // while the Host the app sees is the internal address; next.config.mjs allowed that origin
    // because APP_URL was set where the Procfile's command started `next start`.
    const fixture = await (await browse('/action-fixture')).text();
    const field = /name="(\$ACTION_ID_[0-9a-f]+)"/.exec(fixture)?.[1];
    expect(field).toBeDefined();
    const form = new FormData();
    form.set(field ?? '', '');
    form.set('line', 'Saved from behind the front proxy');
    const saved = await browse('/action-fixture', {
      method: 'POST',
      headers: { origin: PUBLIC_ORIGIN },
      body: form,
    });
    expect(saved.status).toBe(303);
    // A cookie the action sets is Secure: APP_URL is https, though the Host is internal
    // (secureCookiesInAction).
    const set = saved.headers.getSetCookie().map(parseSetCookie);
    expect(set.find((c) => c.name === 'action_fixture')?.attributes).toMatchObject({
      secure: '',
      httponly: '',
    });
    expect(app.devwiki.readPage('User:Alice/action-fixture')?.content).toContain(
      'Saved from behind the front proxy',
    );

    const logout = await browse('/api/mwoauth/logout', {
      method: 'POST',
      headers: { origin: PUBLIC_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'next=%2F%3Fnotice%3Dloggedout',
    });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toBe(`${PUBLIC_ORIGIN}/?notice=loggedout`);
    expect(jar.cookies.has('mwoauth_session')).toBe(false);

    const after = await browse('/profile');
    expect(after.status).toBeGreaterThanOrEqual(300);
    expect(after.status).toBeLessThan(400);
    expect(new URL(after.headers.get('location') ?? '', PUBLIC_ORIGIN).pathname).toBe(
      '/api/mwoauth/initiate',
    );

    // No answer sent the browser to the address the app listens on, or to any other origin of ours.
    const ours = proxy.locations.filter((l) => !l.startsWith(app.devwiki.origin));
    expect(ours.length).toBeGreaterThanOrEqual(4);
    for (const location of ours) {
      const url = new URL(location, PUBLIC_ORIGIN);
      expect(url.origin, location).toBe(PUBLIC_ORIGIN);
    }
    expect(page).not.toContain(appHost);
    expect(page).not.toContain('0.0.0.0');
  });

  it('should refuse a log-out whose Origin is the internal address, not the public one', async () => {
    const response = await browse('/api/mwoauth/logout', {
      method: 'POST',
      headers: { origin: `http://${appHost}:${new URL(app.origin).port}` },
    });
    expect(response.status).toBe(403);
  });

  it('should have written no secret to the server log', () => {
    const log = app.serverLog();
    for (const secret of [TOOLFORGE_CONSUMER.secret, app.sessionSecret]) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
  });
});
