// `npm run devwiki -- [--port N] [--consumers FILE] [--latency-ms N]`: devwiki as a process.
import { parseArgs } from 'node:util';
import { ConsumersFileError, loadConsumersFile } from './consumers';
import { DEFAULT_PORT, startDevwiki, type Devwiki, type DevwikiConsumer } from './index';

const USAGE = `usage: npm run devwiki -- [--port N] [--consumers FILE] [--latency-ms N]
  --port N          listen on 127.0.0.1:N (default ${DEFAULT_PORT}; 0 = any free port)
  --consumers FILE  a JSON list of consumers replacing the defaults (see devwiki/README.md)
  --latency-ms N    add N ms to every response
  --quiet           do not log each request`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535 * (name === '--latency-ms' ? 1000 : 1)) {
    fail(
      `devwiki: ${name} must be a whole number${name === '--port' ? ' from 0 to 65535' : ''}, not "${value}"\n${USAGE}`,
    );
  }
  return n;
}

/** What devwiki prints at start: its URLs, and the consumers with their secrets (local dev data). */
function banner(wiki: Devwiki): string {
  const consumer = (c: DevwikiConsumer): string[] => {
    const lines = [
      `  [${c.id}] ${c.name}${c.ownerOnly ? ` — owner-only, owner ${c.owner ?? '?'}` : ''}`,
      `      key:    ${c.key}`,
      `      secret: ${c.secret}`,
    ];
    if (!c.ownerOnly) {
      lines.push(
        `      callback: ${c.callbackUrl}${c.callbackIsPrefix ? ' (prefix: any URL under it, or oob)' : ' (oob only)'}`,
      );
    }
    if (c.accessToken !== undefined) {
      lines.push(`      access token: ${c.accessToken.key}`, `      access secret: ${c.accessToken.secret}`);
    }
    lines.push(`      grants: ${c.grants.join(', ')}`);
    return lines;
  };
  return [
    `devwiki (a local development wiki, not a real one) at ${wiki.origin}`,
    `  index.php: ${wiki.indexUrl}`,
    `  api.php:   ${wiki.apiUrl}`,
    `  log in:    ${wiki.indexUrl}/Special:UserLogin  (Alice, Admin, Blocked or any new name; any password)`,
    'consumers (local development credentials):',
    ...wiki.consumers.flatMap(consumer),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        consumers: { type: 'string' },
        'latency-ms': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    fail(`devwiki: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = integer(values.port, '--port', DEFAULT_PORT);
  const latencyMs = integer(values['latency-ms'], '--latency-ms', 0);
  let consumers: DevwikiConsumer[] | undefined;
  if (values.consumers !== undefined) {
    try {
      consumers = loadConsumersFile(values.consumers);
    } catch (e) {
      if (e instanceof ConsumersFileError) fail(e.message);
      throw e;
    }
  }
  let wiki: Devwiki;
  try {
    wiki = await startDevwiki({
      port,
      consumers,
      latencyMs,
      log: values.quiet === true ? undefined : (line) => process.stdout.write(`[devwiki] ${line}\n`),
    });
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? e.code : null;
    if (code === 'EADDRINUSE')
      fail(`devwiki: port ${port} is in use; pick another with --port N (0 = any free port)`);
    throw e;
  }
  process.stdout.write(banner(wiki));
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    process.stdout.write(`devwiki: ${signal}, shutting down\n`);
    wiki.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`devwiki: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
