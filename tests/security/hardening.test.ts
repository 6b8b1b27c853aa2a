import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_BODY_LIMIT } from '@/lib/http-policy';
import { freePort, startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { Browser, crashesIn, expectCleanLog, Secrets, send, type Reply } from './support';

// SECURITY.md's rows of that name (held-open page bodies, server-action CSRF, methods, early
// refusals, upgrades, control characters, internal headers, bidirectional names): page
// bodies are not buffered, page POSTs must come from our whole origin, pages answer only the
// methods they serve, and requests Next mishandles before proxy.ts are refused cleanly. The server
// action is the test build's (app/action-fixture), so this holds without the sandbox demo (whose
// plain-text line is tested in tests/demo). APP_URL is https (TLS ended in front, as on Toolforge) while the test talks
// plain HTTP to `next start`, so an `http://` Origin is another scheme of our own host.

let app: E2EServer;
let secrets: Secrets;
let port: number;
let publicOrigin: string;
let alice: Browser;
let actionField: string;

const SECURITY_HEADERS = [
  'x-content-type-options',
  'content-security-policy',
  'x-frame-options',
  'referrer-policy',
];

beforeAll(async () => {
  port = await freePort();
  publicOrigin = `https://localhost:${port}`;
  app = await startE2EServer({ port, env: { APP_URL: publicOrigin } });
  secrets = new Secrets(app);
  alice = new Browser(app, secrets);
  const login = await alice.logIn('Alice', '/action-fixture');
  expect(login.status).toBe(303);
  actionField = await alice.fixtureActionField();
});

afterAll(async () => {
  try {
    if (app !== undefined) expectCleanLog('hardening', app, secrets);
  } finally {
    await app?.close();
  }
});

/** The fixture's form as a browser without JavaScript sends it, from `origin`. */
function submit(line: string, origin = publicOrigin): Promise<Reply> {
  return alice.submitFixture(actionField, line, origin);
}

/** The wiki page the fixture's action appends to. */
function edited(): string {
  return app.devwiki.readPage('User:Alice/action-fixture')?.content ?? '';
}

interface RawReply {
  status: number;
  head: string;
  body: string;
}

/** One request written byte for byte on its own connection (targets and methods fetch refuses). */
function raw(request: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => socket.destroy(new Error(`no answer to ${request.split('\r\n')[0]}`)),
      10_000,
    );
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        head: (end < 0 ? text : text.slice(0, end)).toLowerCase(),
        body: end < 0 ? '' : text.slice(end + 4),
      });
    });
    // Not end(): `next start` drops a request whose client half-closed before the answer.
    socket.write(request);
  });
}

function rawGet(method: string, target: string): Promise<RawReply> {
  return raw(`${method} ${target} HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
}

/** The server's resident memory in bytes, from /proc (next start is one process: its pid). */
function rss(): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${app.pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${app.pid}`);
  return Number(kb) * 1024;
}

/**
 * Bytes the kernel holds for the server, received on its port but not yet read (the rx_queue of
 * /proc/net/tcp{,6}): what a held body costs before Node reads it (loopback buffers up to
 * net.ipv4.tcp_rmem's maximum, 32 MB here, per connection), charged to the server's memory too.
 */
function unreadBytes(): number {
  let total = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1] ?? '';
      const queues = fields[4] ?? '';
      if (Number.parseInt(local.split(':')[1] ?? '', 16) !== port || fields[3] !== '01') continue;
      total += Number.parseInt(queues.split(':')[1] ?? '0', 16);
    }
  }
  return total;
}

interface Held {
  socket: Socket;
  /** Body bytes the server took before it answered or closed. */
  sent: number;
  /** The status it answered with while the body was still coming, or 0. */
  status: number;
  /** Whether the server ended the connection. */
  closed: boolean;
}

/**
 * Opens a request that declares (or, chunked, streams) 20 MB and sends up to `bytes` of it, then
 * keeps the connection open without sending more, as an attacker would.
 */
async function holdBody(method: string, path: string, chunked: boolean, bytes: number): Promise<Held> {
  const socket = connect(port, '127.0.0.1');
  const held: Held = { socket, sent: 0, status: 0, closed: false };
  socket.on('data', (d: Buffer) => {
    held.status ||= Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? 0);
  });
  socket.on('error', () => (held.closed = true));
  socket.on('close', () => (held.closed = true));
  const write = (data: string | Buffer): Promise<boolean> =>
    new Promise((resolve) => {
      if (held.closed) return resolve(false);
      socket.write(data, (error) => resolve(error === undefined || error === null));
    });
  const length = chunked ? 'Transfer-Encoding: chunked' : 'Content-Length: 20000000';
  await write(
    `${method} ${path} HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/octet-stream\r\n${length}\r\n\r\n`,
  );
  const piece = Buffer.alloc(100_000, 'a');
  const frame = chunked ? Buffer.concat([Buffer.from('186a0\r\n'), piece, Buffer.from('\r\n')]) : piece;
  const deadline = Date.now() + 20_000;
  while (held.sent < bytes && !held.closed && Date.now() < deadline) {
    if (!(await write(frame))) break;
    held.sent += piece.length;
  }
  return held;
}

describe('page bodies', () => {
  it('should hold about no memory for each half-sent oversized body', async () => {
    const kinds: Array<[string, string, boolean]> = [
      ['POST', '/nonexistent', false],
      ['POST', '/', true],
      ['PUT', '/profile', false],
      ['POST', '/action-fixture', false],
    ];
    // Warm up: the first bodies make the server grow by a fixed ~40 MB however many connections
    // they come on (code paths and allocator arenas, reused later), which is not what a held
    // connection costs. One round of each kind first, ended, so the figure below is per connection.
    const warm = await Promise.all(
      kinds.map(([method, path, chunked]) => holdBody(method, path, chunked, 9_900_000)),
    );
    for (const h of warm) h.socket.destroy();
    await new Promise((r) => setTimeout(r, 1000));
    const before = rss() + unreadBytes();
    const connections = 20;
    const held = await Promise.all(
      Array.from({ length: connections }, (_, i) => {
        const [method, path, chunked] = kinds[i % kinds.length] ?? ['POST', '/', false];
        return holdBody(method, path, chunked, 9_900_000);
      }),
    );
    try {
      // The kernel holds what was sent until the server reads it: wait until the memory settles.
      let now = rss() + unreadBytes();
      for (let i = 0; i < 16; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const next = rss() + unreadBytes();
        const settled = Math.abs(next - now) < 2e6;
        now = next;
        if (settled && i >= 2) break;
      }
      const grown = now - before;
      const perConnection = grown / connections / 1e6;
      const health = await fetch(`${app.origin}/healthz`, { signal: AbortSignal.timeout(5000) });
      const sent = held.reduce((sum, h) => sum + h.sent, 0) / connections / 1e6;
      console.log(
        `[security] hardening: ${connections} half-sent 20 MB bodies (${sent.toFixed(1)} MB taken each on average): RSS and unread socket buffers +${(grown / 1e6).toFixed(1)} MB, ${perConnection.toFixed(2)} MB per connection; answers ${JSON.stringify(held.map((h) => h.status))}`,
      );
      expect(health.status).toBe(200);
      expect(perConnection).toBeLessThan(2.5);
      // A declared oversized body is refused (413) and its connection closed at once (the answer
      // itself may be lost to the reset); a chunked one shows its size only at its end (Next answers
      // only then), so it stays open, costing Next's copy limit (PROXY_BODY_COPY_LIMIT).
      held.forEach((h, i) => {
        if (kinds[i % kinds.length]?.[2] === false) expect(h.closed).toBe(true);
      });
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });

  it('should answer a form over the limit with a 413 page, not a 500', async () => {
    const before = edited();
    const reply = await submit('x'.repeat(PAGE_BODY_LIMIT + 1000));
    expect(reply.status).toBe(413);
    expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
    expect(reply.body).toContain('<h1>');
    for (const name of SECURITY_HEADERS) expect(reply.headers.get(name), name).not.toBeNull();

    const chunk = 'y'.repeat(PAGE_BODY_LIMIT + 1000);
    const chunked = await raw(
      `POST /action-fixture HTTP/1.1\r\nHost: localhost:${port}\r\nOrigin: ${publicOrigin}\r\nContent-Type: text/plain\r\n` +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    expect(chunked.status).toBe(413);
    expect(edited()).toBe(before);
  });

  it('should still run the server action under the limit', async () => {
    const reply = await submit('Saved under the body limit');
    expect(reply.status).toBe(303);
    expect(reply.location?.pathname).toBe('/action-fixture');
    expect(edited()).toContain('Saved under the body limit');
  });
});

describe("the server action's origin", () => {
  it('should refuse a server action from http:// when APP_URL is https://, as logout does', async () => {
    const reply = await submit('Sent over plain HTTP', `http://localhost:${port}`);
    expect(reply.status).toBe(403);
    expect(edited()).not.toContain('Sent over plain HTTP');
    const logout = await alice.send('/api/mwoauth/logout', {
      method: 'POST',
      headers: { origin: `http://localhost:${port}` },
    });
    expect(logout.status).toBe(403);
  });
});

describe('methods and request targets', () => {
  it('should answer 405 to methods pages do not serve, without asking the wiki', async () => {
    const asked = app.devwiki.requests.length;
    const statuses: string[] = [];
    for (const method of ['PUT', 'DELETE', 'PATCH', 'PROPFIND', 'MKCOL', 'SEARCH', 'PURGE', 'OPTIONS']) {
      for (const path of ['/', '/profile', '/action-fixture', '/no-such-page']) {
        const reply = await alice.send(path, { method });
        statuses.push(`${method} ${path} ${reply.status}`);
        expect(reply.status, `${method} ${path}`).toBe(405);
        expect(reply.headers.get('allow')).toBe('GET, HEAD, POST');
        for (const name of SECURITY_HEADERS) expect(reply.headers.get(name), name).not.toBeNull();
      }
    }
    expect(app.devwiki.requests.length - asked).toBe(0);
  });

  it('should refuse TRACE and `OPTIONS *` with a 4xx carrying the security headers, and log one line each', async () => {
    const logBefore = app.serverLog();
    const replies = await Promise.all([
      rawGet('TRACE', '/'),
      rawGet('TRACE', '/profile'),
      rawGet('TRACE', '/api/mwoauth/identify'),
      rawGet('OPTIONS', '*'),
    ]);
    for (const reply of replies) {
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      for (const name of SECURITY_HEADERS) expect(reply.head).toContain(`\r\n${name}:`);
    }
    await new Promise((r) => setTimeout(r, 300));
    const added = app.serverLog().slice(logBefore.length);
    expect(crashesIn(added)).toEqual([]);
    expect(added.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(replies.length);
  });

  it('should build no redirect from an absolute-form target', async () => {
    for (const target of [
      'http://evil.example/profile',
      'https://evil.example/',
      'http://evil.example/healthz',
      'javascript://evil.example/%0aalert(1)',
    ]) {
      const reply = await rawGet('GET', target);
      expect(reply.head, target).not.toContain('evil.example');
      expect(reply.status, target).toBe(400);
    }
  });

  it('should not let a shared cache keep /_global-error for a year', async () => {
    const reply = await rawGet('GET', '/_global-error');
    expect(reply.head).not.toMatch(/cache-control:[^\r]*s-maxage=31536000/);
  });
});

// A request Node delivers as 'upgrade'
// (`Connection: Upgrade` + `Upgrade: …`) skipped the early guard and reached Next's upgrade
// listener, which left its socket open in CLOSE-WAIT for good (TRACE, a declared 20 MB body, PUT,
// the HMR path), until the server ran out of file descriptors.

/** The server's TCP sockets (file descriptors it holds) whose peer is one of `clientPorts`: their states. */
function serverSocketsTo(clientPorts: ReadonlySet<number>): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${app.pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${app.pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const states: string[] = [];
  for (const file of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${app.pid}/net/${file}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const localPort = Number.parseInt((fields[1] ?? '').split(':')[1] ?? '', 16);
      const remotePort = Number.parseInt((fields[2] ?? '').split(':')[1] ?? '', 16);
      if (localPort !== port || !clientPorts.has(remotePort) || !inodes.has(fields[9] ?? '')) continue;
      states.push(TCP_STATES[fields[3] ?? ''] ?? `state ${fields[3]}`);
    }
  }
  return states;
}

/** The states of include/net/tcp_states.h, as /proc/net/tcp writes them. */
const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0B': 'CLOSING',
};

/**
 * Sends `request` on its own connection, waits for the first bytes of an answer (or half a second:
 * some got none), then closes the connection as `nc -q0` did; the status seen, or 0; its local port.
 */
function upgradeAndHangUp(request: string): Promise<{ status: number; clientPort: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let status = 0;
    const done = (): void => {
      clearTimeout(timer);
      const clientPort = socket.localPort ?? 0;
      socket.destroy();
      resolve({ status, clientPort });
    };
    const timer = setTimeout(done, 500);
    socket.on('error', reject);
    socket.once('data', (d: Buffer) => {
      status = Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? 0);
      done();
    });
    socket.write(request);
  });
}

describe('requests delivered as upgrades', () => {
  it('should answer every upgrade with a 400 and leave no socket open, without a stack trace', async () => {
    const upgrade = 'Connection: Upgrade\r\nUpgrade: websocket\r\n';
    const host = `Host: localhost:${port}\r\n`;
    const requests: Record<string, string> = {
      'TRACE /': `TRACE / HTTP/1.1\r\n${host}${upgrade}\r\n`,
      'POST /profile, Content-Length 20 MB': `POST /profile HTTP/1.1\r\n${host}${upgrade}Content-Type: application/octet-stream\r\nContent-Length: 20000000\r\n\r\n${'a'.repeat(10_000)}`,
      'PUT /profile': `PUT /profile HTTP/1.1\r\n${host}${upgrade}Content-Length: 0\r\n\r\n`,
      'GET /_next/webpack-hmr': `GET /_next/webpack-hmr HTTP/1.1\r\n${host}${upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      // Next 16's hot-reload path (next dev's only; the built server has no listener on it).
      'GET /_next/hmr': `GET /_next/hmr HTTP/1.1\r\n${host}${upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    };
    const logBefore = app.serverLog();
    const clientPorts = new Set<number>();
    const statuses: string[] = [];
    for (const [name, request] of Object.entries(requests)) {
      for (let i = 0; i < 5; i++) {
        const { status, clientPort } = await upgradeAndHangUp(request);
        clientPorts.add(clientPort);
        statuses.push(`${name}: ${status}`);
      }
    }
    // The server ends each connection at once, and destroys it at the latest LINGER_MS (2 s) later.
    let left = serverSocketsTo(clientPorts);
    for (let i = 0; i < 25 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      left = serverSocketsTo(clientPorts);
    }
    const added = app.serverLog().slice(logBefore.length);
    console.log(
      `[security] hardening: ${clientPorts.size} upgrade requests, the client gone: ${left.length} sockets left open by the server (${JSON.stringify(left)}); answers ${JSON.stringify(statuses)}`,
    );
    expect(left).toEqual([]);
    expect(crashesIn(added)).toEqual([]);
    for (const answer of statuses) expect(answer).toMatch(/: 400$/);
    // The server still serves.
    const health = await fetch(`${app.origin}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);
  });
});

// The language a page is shown in came from an internal
// request header (`x-mwoauth-uselang`) that proxy.ts set, and removed when a browser sent it, only
// on the paths its matcher covers; elsewhere (a 404 under /api/, /favicon.icoX, /_next/staticX) the
// browser's own header was believed.

describe('the internal language header', () => {
  const PATHS = ['/', '/no-such-page', '/api/anything', '/favicon.icoX', '/_next/staticX'];
  const langOf = (body: string): string | undefined => /<html[^>]* lang="([^"]+)"/.exec(body)?.[1];

  it('should ignore an x-mwoauth-uselang a client sends, on every path', async () => {
    for (const path of PATHS) {
      const reply = await send(app, path, { headers: { 'x-mwoauth-uselang': 'ar' } });
      expect(langOf(reply.body), `${path} (${reply.status})`).toBe('en');
    }
  });

  it('should still show those pages in the language the visitor chose (?uselang=, its cookie)', async () => {
    for (const path of PATHS) {
      const reply = await send(app, path, { cookie: 'mwoauth_uselang=ar' });
      expect(langOf(reply.body), `${path} (${reply.status})`).toBe('ar');
    }
    const chosen = await send(app, '/?uselang=fr', { cookie: 'mwoauth_uselang=ar' });
    expect(langOf(chosen.body)).toBe('fr');
  });
});

// A user name may hold right-to-left letters and
// bidirectional controls (U+202E, an unterminated U+2067; devwiki accepts them, as some wikis'
// older accounts have them); shown as plain text, it reorders the rest of the line around it.

describe('user names', () => {
  it('should show a user name only bidi-isolated (<bdi>), on every page that shows it', async () => {
    const name = 'Mallory \u2067عربي\u202eRLO';
    const mallory = new Browser(app, secrets);
    expect((await mallory.logIn(name, '/')).status).toBe(303);
    for (const path of ['/', '/profile']) {
      const reply = await mallory.send(path);
      expect(reply.status, path).toBe(200);
      // The HTML a browser lays out (the scripts carry React's copy of the same tree).
      const html = reply.body.replace(/<script\b[\s\S]*?<\/script>/g, '');
      const isolated = html.match(/<bdi>[^<]*<\/bdi>/g) ?? [];
      expect(isolated.filter((b) => b.includes(name)).length, path).toBeGreaterThan(0);
      expect(html.replace(/<bdi>[^<]*<\/bdi>/g, ''), path).not.toContain('\u202e');
    }
  });
});
