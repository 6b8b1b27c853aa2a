// A real Redis for tests ("Debian's redis-server, started by the tests themselves on a
// free loopback port in a temporary directory"). No persistence, loopback only; stopped by pid.
// pause()/resume() send SIGSTOP/SIGCONT: the socket stays open and the kernel still accepts
// connections, but nothing answers, which is what a hung Redis looks like to a client.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

export interface DumpedKey {
  readonly key: string;
  readonly type: string;
  /** Milliseconds left, -1 without expiry. */
  readonly ttlMs: number;
  /** The value as text: a string's bytes, a set's members joined with newlines, else DUMP's bytes. */
  readonly value: string;
}

export interface TestRedis {
  readonly port: number;
  /** redis://[:password@]127.0.0.1:port */
  readonly url: string;
  readonly pid: () => number | null;
  stop(): Promise<void>;
  /** Stops and starts again on the same port (an empty server: no persistence). */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Every key and value on the server, read with a client of its own. */
  dump(): Promise<DumpedKey[]>;
  /** Runs one command with a client of its own, as another tool on a shared Redis would. */
  command(args: readonly string[]): Promise<unknown>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startRedis(options: { password?: string; port?: number } = {}): Promise<TestRedis> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      `${REDIS_SERVER} is missing: install Debian's redis-server (apt-get install redis-server).`,
    );
  }
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'mwoauth-redis-'));
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const url = `redis://${auth}127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let paused = false;

  async function launch(): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--daemonize', 'no', '--loglevel', 'warning');
    if (options.password !== undefined) args.push('--requirepass', options.password);
    const started = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    started.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    // Ready when a PING is answered (bounded: 100 tries, 50 ms apart).
    for (let i = 0; i < 100; i++) {
      if (started.exitCode !== null) throw new Error(`redis-server exited (${started.exitCode}): ${output}`);
      const probe = createClient({ url, RESP: 2, socket: { connectTimeout: 500, reconnectStrategy: false } });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.destroy();
        return;
      } catch {
        probe.destroy();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    started.kill('SIGKILL');
    throw new Error(`redis-server did not answer on 127.0.0.1:${port}: ${output}`);
  }

  async function halt(): Promise<void> {
    const running = child;
    child = null;
    if (running === null) return;
    if (paused) running.kill('SIGCONT');
    paused = false;
    running.kill('SIGTERM');
    if (!(await exited(running, 5000))) {
      running.kill('SIGKILL');
      await exited(running, 5000);
    }
  }

  await launch();
  return {
    port,
    url,
    pid: () => child?.pid ?? null,
    async stop(): Promise<void> {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(): Promise<void> {
      await halt();
      await launch();
    },
    pause(): void {
      if (child === null) throw new Error('redis-server is not running');
      child.kill('SIGSTOP');
      paused = true;
    },
    resume(): void {
      if (child === null) throw new Error('redis-server is not running');
      child.kill('SIGCONT');
      paused = false;
    },
    async command(args: readonly string[]): Promise<unknown> {
      const client = createClient({ url, RESP: 2, socket: { reconnectStrategy: false } });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return await client.sendCommand([...args]);
      } finally {
        client.destroy();
      }
    },
    async dump(): Promise<DumpedKey[]> {
      const client = createClient({ url, RESP: 2, socket: { reconnectStrategy: false } });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const keys: DumpedKey[] = [];
        for await (const batch of client.scanIterator({ COUNT: 100 })) {
          for (const key of batch) {
            const type = await client.type(key);
            const ttlMs = await client.pTTL(key);
            let value: string;
            if (type === 'string') value = (await client.get(key)) ?? '';
            else if (type === 'set') value = (await client.sMembers(key)).join('\n');
            else if (type === 'hash') value = JSON.stringify(await client.hGetAll(key));
            else value = (await client.dump(key))?.toString() ?? '';
            keys.push({ key, type, ttlMs, value });
          }
        }
        return keys;
      } finally {
        client.destroy();
      }
    },
  };
}
