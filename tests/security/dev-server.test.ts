import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cleanEnv, freePort, ROOT, stop } from '@/tests/support/e2e-app';

// SECURITY.md, "`npm run dev` on the network": `npm run dev` listens on localhost only
// (its error pages, source maps and inspector endpoint are for this machine), unless the developer
// names another address.

/** The local addresses (hex, as /proc/net/tcp{,6} writes them) that listen on `port`. */
function listening(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, hexPort] = (fields[1] ?? '').split(':');
      if (fields[3] === '0A' && Number.parseInt(hexPort ?? '', 16) === port) found.push(address ?? '');
    }
  }
  return found;
}

/** 127.0.0.1 and ::1 as /proc/net/tcp{,6} write them (little-endian words). */
const LOOPBACK = new Set(['0100007F', '00000000000000000000000001000000']);

/** The first line of the answer to a WebSocket handshake for `path` ('' when none came in 30 s). */
function websocketHandshake(host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const done = (line: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done(''), 30_000);
    socket.on('error', () => done(''));
    socket.once('data', (d: Buffer) => done(d.toString('latin1').split('\r\n')[0] ?? ''));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
}

// The production server refuses every upgrade (lib/server/http/early-guard.ts); `next dev`'s
// hot reload is a WebSocket (on /_next/hmr since Next 16: the handshake below answers 101),
// so there they must still pass.
it('should start `npm run dev` listening on localhost only, its hot-reload WebSocket open', async () => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/dev.ts', '--port', String(port)],
    {
      cwd: ROOT,
      env: cleanEnv({ NODE_ENV: 'development' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    const deadline = Date.now() + 45_000;
    let addresses: string[] = [];
    while (addresses.length === 0 && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 250));
      addresses = listening(port);
    }
    console.log(
      `[security] dev-server: npm run dev listens on ${JSON.stringify(addresses)} (hex, /proc/net)`,
    );
    expect(addresses.length, output).toBeGreaterThan(0);
    for (const address of addresses) expect(LOOPBACK.has(address), `listens on ${address}`).toBe(true);
    const host = addresses.includes('0100007F') ? '127.0.0.1' : '::1';
    // A page first: `next dev` runs instrumentation.ts's register() (which installs the early guard)
    // only when it has compiled it, for the first request.
    const page = await fetch(`http://localhost:${port}/`, { signal: AbortSignal.timeout(120_000) });
    expect(page.status).toBe(200);
    const answer = await websocketHandshake(host, port, '/_next/hmr');
    console.log(`[security] dev-server: a WebSocket handshake for /_next/hmr: ${answer}`);
    expect(answer, output).toMatch(/^HTTP\/1\.1 101 /);
  } finally {
    await stop(child);
  }
}, 180_000);
