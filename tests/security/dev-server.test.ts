import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cleanEnv, freePort, ROOT, stop } from '@/tests/support/e2e-app';

// Issue 14, finding 2 of ../shared/SECURITY-REVIEW.md: `npm run dev` listens on localhost only
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

it('should start `npm run dev` listening on localhost only', async () => {
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
  } finally {
    await stop(child);
  }
}, 60_000);
