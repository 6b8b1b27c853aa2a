// `npm run dev`: with no MW_CONSUMER_KEY (in the environment, .env.local or .env, loaded as Next
// loads them), start devwiki on 127.0.0.1 and run `next dev` pointed at it; otherwise just `next dev`
// against the configured wiki. Ctrl-C / SIGTERM stop both, leaving no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadEnvConfig } from '@next/env';
import { DEFAULT_PORT, defaultConsumers, startDevwiki, type Devwiki } from '../devwiki';

const root = process.cwd();
const nextBin = createRequire(join(root, 'package.json')).resolve('next/dist/bin/next');

/**
 * `next dev` binds every interface unless told otherwise, and the dev server must not be reachable
 * from the network: its error pages show stack traces with this machine's paths, it serves the
 * server's source maps, and it opens a Node inspector on request. So localhost, unless the
 * developer names another address (`npm run dev -- --hostname 0.0.0.0`). localhost, not 127.0.0.1:
 * it is also the origin the app uses without APP_URL, and MW_CALLBACK's host (below).
 */
function devArgs(args: readonly string[]): string[] {
  const named = args.some((a) => a === '-H' || a === '--hostname' || a.startsWith('--hostname='));
  return named ? [...args] : [...args, '--hostname', 'localhost'];
}

function runNextDev(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [nextBin, 'dev', ...devArgs(process.argv.slice(2))], {
    stdio: 'inherit',
    env,
  });
}

/** The port `next dev` will listen on: `-p N`/`--port N`/`--port=N` as next reads them, else PORT, else 3000. */
function appPort(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg.startsWith('--port=')) return arg.slice('--port='.length);
    if ((arg === '-p' || arg === '--port') && args[i + 1] !== undefined) return args[i + 1] ?? '3000';
  }
  return process.env.PORT || '3000';
}

/**
 * Where to open the app: localhost, the host of MW_CALLBACK below. Cookies belong to a host, so a
 * login started on 127.0.0.1 comes back to localhost without its handshake cookie ("login expired").
 */
function appOrigin(): string {
  return `http://localhost:${appPort(process.argv.slice(2))}`;
}

/**
 * OAuth 2.0 refresh tokens in development last 30 days, not devwiki's default of 60 s, which copies
 * the recorded wiki (_facts.json "refresh_token_ttl": PT1M) so that tests can watch them die: with
 * it, a session would end with the "revoked" notice at its first refresh, an hour after logging in.
 * A wiki's own lifetime is its $wgOAuth2RefreshTokenTTL.
 */
const DEV_REFRESH_TOKEN_TTL_S = 30 * 24 * 3600;

/**
 * DEVWIKI_MODE: empty or `mediawiki-1.39` (the recorded wiki, the default), or `wikimedia` (as
 * Wikimedia's wikis behave in 2026: devwiki/wikimedia.ts; its own 365-day refresh tokens). Anything
 * else stops with a message naming the two.
 */
function devwikiMode(): 'mediawiki-1.39' | 'wikimedia' {
  const mode = (process.env.DEVWIKI_MODE ?? '').trim();
  if (mode === '' || mode === 'mediawiki-1.39') return 'mediawiki-1.39';
  if (mode === 'wikimedia') return 'wikimedia';
  throw new Error(`DEVWIKI_MODE must be "wikimedia" or "mediawiki-1.39" (the default), not "${mode}".`);
}

/**
 * devwiki and a second wiki of its farm (devwiki2, on the next port), which share users, consumers and
 * tokens as Wikimedia's wikis do (devwiki/README.md): the app reaches it through MW_WIKIS.
 */
async function startWiki(): Promise<Devwiki> {
  const consumers = defaultConsumers(`${appOrigin()}/api/mwoauth/callback`);
  const options =
    devwikiMode() === 'wikimedia'
      ? { consumers, wikimedia: true }
      : { consumers, refreshTokenTtlS: DEV_REFRESH_TOKEN_TTL_S };
  try {
    return await startDevwiki({ port: DEFAULT_PORT, otherWikis: [{ port: DEFAULT_PORT + 1 }], ...options });
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'EADDRINUSE')
      return startDevwiki({ port: 0, otherWikis: [{ port: 0 }], ...options });
    throw e;
  }
}

async function main(): Promise<void> {
  // The same files, in the same order, as `next dev` reads (.env.development.local, .env.local, ...).
  loadEnvConfig(root, true, { info: () => {}, error: (...args: unknown[]) => console.error(...args) });

  let wiki: Devwiki | null = null;
  let env: NodeJS.ProcessEnv = process.env;
  if ((process.env.MW_CONSUMER_KEY ?? '') === '') {
    wiki = await startWiki();
    // MW_OAUTH_VERSION=2.0 (or 2, as lib/server/config/oauth.ts reads it): devwiki's confidential
    // OAuth 2.0 client, whose redirect URI is MW_CALLBACK's.
    const oauth2 = ['2.0', '2'].includes((process.env.MW_OAUTH_VERSION ?? '').trim());
    const app = wiki.consumers.find(
      (c) =>
        !c.ownerOnly &&
        (oauth2 ? c.oauthVersion === '2.0' && c.confidential !== false : c.oauthVersion !== '2.0'),
    );
    if (app === undefined) throw new Error('devwiki has no consumer');
    env = {
      ...process.env,
      MW_INDEX_URL: wiki.indexUrl,
      MW_API_URL: wiki.apiUrl,
      MW_CONSUMER_KEY: app.key,
      MW_CONSUMER_SECRET: app.secret,
      MW_CALLBACK: app.callbackUrl,
      // The other wikis the app may call as the user: comma-separated api.php URLs.
      MW_WIKIS: wiki.otherWikis.map((w) => w.apiUrl).join(','),
      // A fresh secret per run: sessions from an earlier run simply no longer unseal. `||`, not
      // `??`: a .env.local copied from .env.example has SESSION_SECRET= (empty).
      SESSION_SECRET: process.env.SESSION_SECRET || randomBytes(32).toString('hex'),
      USER_AGENT: process.env.USER_AGENT || 'next-mwoauth-dev/0.1 (local development against devwiki)',
    };
    console.log(
      `No MW_CONSUMER_KEY set: started devwiki${wiki.wikimedia === null ? '' : ' (Wikimedia-like mode)'} at ${wiki.indexUrl} and pointed the app at it,\n` +
        `with a second wiki of its farm at ${wiki.otherWikis.map((w) => w.indexUrl).join(', ')} (MW_WIKIS).\n` +
        `Open ${appOrigin()} (not 127.0.0.1: the login comes back to localhost) and log in as Alice (any password).`,
    );
  }

  const child = runNextDev(env);
  let stopping = false;
  const forward = (signal: NodeJS.Signals): void => {
    if (stopping) {
      child.kill('SIGKILL');
      return;
    }
    stopping = true;
    child.kill(signal);
  };
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));
  child.on('error', (e) => console.error(`could not start next dev: ${e.message}`));
  child.on('exit', (code, signal) => {
    const done = (): never => process.exit(code ?? (signal === null || stopping ? 0 : 1));
    if (wiki === null) done();
    else wiki.close().then(done, done);
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
