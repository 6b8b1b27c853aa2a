// `npm run devwiki -- [--port N] [--consumers FILE] [--latency-ms N] [--fault ENDPOINT=KIND[:ARG]]…
// [--access-token-ttl S] [--refresh-token-ttl S] [--other-wikis N] [--wikimedia]`: devwiki as a process.
import { parseArgs } from 'node:util';
import { ConsumersFileError, loadConsumersFile } from './consumers';
import { MAX_OTHER_WIKIS } from './farm';
import {
  DEFAULT_PORT,
  startDevwiki,
  type Devwiki,
  type DevwikiConsumer,
  type DevwikiEndpoint,
  type DevwikiFault,
} from './index';

const FAULT_FORMS = `  status:CODE   answer HTTP CODE (400-599) with a proxy's HTML error page
  html          MediaWiki's "Internal error" HTML page, with HTTP 200
  garbage       HTTP 200, the usual content type, nonsense
  hang          never answer
  trickle[:B]   the real answer at B bytes a second (default 1)
  huge:BYTES    a BYTES-long body, streamed
  latency:MS    the real answer, MS ms late`;

const USAGE = `usage: npm run devwiki -- [--port N] [--consumers FILE] [--latency-ms N] [--fault ENDPOINT=KIND[:ARG]]…
  --port N          listen on 127.0.0.1:N (default ${DEFAULT_PORT}; 0 = any free port)
  --consumers FILE  a JSON list of consumers replacing the defaults (see devwiki/README.md)
  --latency-ms N    add N ms to every response
  --fault E=K[:A]   misbehave on endpoint E (initiate, authorize, token, identify, profile, api,
                    login, or * for every request without its own fault); repeatable. Kinds:
${FAULT_FORMS}
  --access-token-ttl S   OAuth 2.0 access tokens live S seconds (default 3600)
  --refresh-token-ttl S  OAuth 2.0 refresh tokens live S seconds (default 60, as MediaWiki 1.39)
  --other-wikis N   also serve N more wikis of the same farm (devwiki2, ...; default 0): they share
                    the users, consumers and tokens, each on its own port (--port + 1, ...; any
                    free one with --port 0), with its own pages and CSRF tokens
  --wikimedia       behave as Wikimedia's wikis in 2026 (devwiki/wikimedia.ts): the edge's 401 and
                    rate limits, sessionJwt cookies, ui_locales, 4-hour access and 365-day refresh
                    tokens (default: the recorded MediaWiki 1.39)
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

/** A token lifetime in whole seconds from 1, or undefined for the default. */
function ttl(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = whole(value, 1, 31_556_952_000);
  if (n === null) fail(`devwiki: ${name} must be a whole number of seconds from 1, not "${value}"\n${USAGE}`);
  return n;
}

const ENDPOINTS: readonly DevwikiEndpoint[] = [
  'initiate',
  'authorize',
  'token',
  'identify',
  'profile',
  'api',
  'login',
  '*',
];

function isEndpoint(value: string): value is DevwikiEndpoint {
  return ENDPOINTS.some((e) => e === value);
}

/** A whole number from `min` to `max`, or null. */
function whole(value: string, min: number, max: number): number | null {
  if (!/^\d{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n >= min && n <= max ? n : null;
}

/** The setFault arguments of one `--fault ENDPOINT=KIND[:ARG]`, or what is wrong with it. */
function parseFault(spec: string): { endpoint: DevwikiEndpoint; fault: DevwikiFault } | string {
  const eq = spec.indexOf('=');
  if (eq === -1) return 'write it as endpoint=kind[:arg], e.g. api=status:502';
  const endpoint = spec.slice(0, eq);
  if (!isEndpoint(endpoint)) return `unknown endpoint "${endpoint}"; use one of ${ENDPOINTS.join(', ')}`;
  const [kind = '', arg, ...rest] = spec.slice(eq + 1).split(':');
  if (rest.length > 0) return 'at most one ":" argument';
  const none = (fault: DevwikiFault): DevwikiFault | string =>
    arg === undefined ? fault : `${kind} takes no argument`;
  let fault: DevwikiFault | string;
  switch (kind) {
    case 'html':
    case 'garbage':
    case 'hang':
      fault = none({ kind });
      break;
    case 'status': {
      const status = whole(arg ?? '', 400, 599);
      fault =
        status === null
          ? 'status needs an HTTP error code from 400 to 599, e.g. status:502'
          : { kind, status };
      break;
    }
    case 'trickle': {
      const bytesPerSecond = arg === undefined ? 1 : whole(arg, 1, 1_000_000);
      fault =
        bytesPerSecond === null
          ? 'trickle takes the bytes per second, a whole number from 1, e.g. trickle:10'
          : { kind, bytesPerSecond };
      break;
    }
    case 'huge': {
      const bytes = whole(arg ?? '', 1, 2 ** 31);
      fault = bytes === null ? 'huge needs the body size in bytes, e.g. huge:52428800' : { kind, bytes };
      break;
    }
    case 'latency': {
      const ms = whole(arg ?? '', 0, 600_000);
      fault = ms === null ? 'latency needs milliseconds from 0 to 600000, e.g. latency:2000' : { kind, ms };
      break;
    }
    default:
      fault = `unknown fault "${kind}"`;
  }
  return typeof fault === 'string' ? fault : { endpoint, fault };
}

/** What devwiki prints at start: its URLs, and the consumers with their secrets (local dev data). */
async function banner(wiki: Devwiki, faults: readonly string[]): Promise<string> {
  const consumer = async (c: DevwikiConsumer): Promise<string[]> => {
    const oauth2 = c.oauthVersion === '2.0';
    const kind = oauth2 ? ` — OAuth 2.0, ${c.confidential === false ? 'public (PKCE)' : 'confidential'}` : '';
    const lines = [
      `  [${c.id}] ${c.name}${kind}${c.ownerOnly ? ` — owner-only, owner ${c.owner ?? '?'}` : ''}`,
      oauth2 ? `      client id:     ${c.key}` : `      key:    ${c.key}`,
      oauth2 ? `      client secret: ${c.secret}` : `      secret: ${c.secret}`,
    ];
    if (!c.ownerOnly) {
      lines.push(
        `      callback: ${c.callbackUrl}${c.callbackIsPrefix ? ' (prefix: any URL under it, or oob)' : ' (oob only)'}`,
      );
    }
    if (c.accessToken !== undefined) {
      lines.push(`      access token: ${c.accessToken.key}`, `      access secret: ${c.accessToken.secret}`);
    }
    if (oauth2 && c.ownerOnly) {
      lines.push(`      access token (never expires): ${await wiki.ownerOnlyAccessToken(c.key)}`);
    }
    lines.push(`      grants: ${c.grants.join(', ')}`);
    return lines;
  };
  const others = wiki.otherWikis.flatMap((w) => [
    `another wiki of the farm, ${w.wikiId}, at ${w.origin}  (same users, consumers and tokens)`,
    `  api.php:   ${w.apiUrl}`,
    `  log in:    ${w.indexUrl}/Special:UserLogin  (makes your account there)`,
  ]);
  return [
    `devwiki (a local development wiki, not a real one) at ${wiki.origin}${wiki.otherWikis.length > 0 ? `, wiki id ${wiki.wikiId}` : ''}${wiki.wikimedia === null ? '' : ', Wikimedia-like mode'}`,
    `  index.php: ${wiki.indexUrl}`,
    `  api.php:   ${wiki.apiUrl}`,
    `  log in:    ${wiki.indexUrl}/Special:UserLogin  (Alice, Admin, Blocked or any new name; any password)`,
    `  rest.php:  ${wiki.restUrl}  (OAuth 2.0: /oauth2/authorize, /oauth2/access_token, /oauth2/resource/profile)`,
    'consumers (local development credentials):',
    ...(await Promise.all(wiki.consumers.map(consumer))).flat(),
    ...others,
    ...(others.length === 0 ? [] : [`MW_WIKIS=${wiki.otherWikis.map((w) => w.apiUrl).join(',')}`]),
    ...(faults.length === 0 ? [] : [`faults: ${faults.join(', ')}`]),
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
        fault: { type: 'string', multiple: true },
        'access-token-ttl': { type: 'string' },
        'refresh-token-ttl': { type: 'string' },
        'other-wikis': { type: 'string' },
        wikimedia: { type: 'boolean' },
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
  const accessTokenTtlS = ttl(values['access-token-ttl'], '--access-token-ttl');
  const refreshTokenTtlS = ttl(values['refresh-token-ttl'], '--refresh-token-ttl');
  const otherWikiCount = integer(values['other-wikis'], '--other-wikis', 0);
  if (otherWikiCount > MAX_OTHER_WIKIS) {
    fail(`devwiki: --other-wikis must be from 0 to ${MAX_OTHER_WIKIS}, not ${otherWikiCount}\n${USAGE}`);
  }
  if (port !== 0 && port + otherWikiCount > 65535)
    fail(`devwiki: --port ${port} leaves no ports for --other-wikis`);
  const faultSpecs = values.fault ?? [];
  const faults = faultSpecs.map((spec) => {
    const parsed = parseFault(spec);
    if (typeof parsed === 'string') {
      fail(
        `devwiki: --fault ${spec}: ${parsed}.\nForms: --fault ENDPOINT=KIND[:ARG], KIND one of:\n${FAULT_FORMS}`,
      );
    }
    return parsed;
  });
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
      accessTokenTtlS,
      refreshTokenTtlS,
      otherWikis: Array.from({ length: otherWikiCount }, (_, i) => ({ port: port === 0 ? 0 : port + i + 1 })),
      wikimedia: values.wikimedia === true,
      log: values.quiet === true ? undefined : (line) => process.stdout.write(`[devwiki] ${line}\n`),
    });
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? e.code : null;
    if (code === 'EADDRINUSE')
      fail(
        `devwiki: port ${port}${otherWikiCount > 0 ? ` (or one of the next ${otherWikiCount})` : ''} is in use; pick another with --port N (0 = any free port)`,
      );
    throw e;
  }
  for (const { endpoint, fault } of faults) wiki.setFault(endpoint, fault);
  process.stdout.write(await banner(wiki, faultSpecs));
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
