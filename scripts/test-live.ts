// `npm run test:live`: the opt-in tests against a real wiki (tests/live/, docs/live-tests.md).
// Each part runs only when all its variables are set; for every other part it prints one line
// `skipped: set A, B to run …`. When no part is configured it says NOT RUN and exits 0 without
// running vitest, so an unconfigured run is never reported as a pass. Everything vitest prints goes
// through a filter that replaces the secrets' values with [redacted].
//
// `npm run test:live -- --devwiki` rehearses the whole suite against a devwiki started here, with the
// variables a tester would set (tests/live/devwiki-rehearsal.ts): proof that the suite works, not
// that a real wiki does.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Devwiki } from '../devwiki';
import { freePort } from '../tests/support/e2e-app';
import { startRehearsalWiki, rehearsalEnv, rehearsalEnv2 } from '../tests/live/devwiki-rehearsal';
import {
  invalidVariables,
  liveProtocol,
  LIVE_PART_NAMES,
  LIVE_PARTS,
  missingVariables,
  redact,
  secretValues,
  skipLine,
} from '../tests/live/env';

const ROOT = join(__dirname, '..');
const VITEST_BIN = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

/** Writes to `out` line by line with the secrets redacted (a secret split across chunks is still caught). */
function redactingWriter(
  out: NodeJS.WritableStream,
  secrets: readonly string[],
): { write(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return {
    write(chunk) {
      pending += decoder.write(chunk);
      const cut = pending.lastIndexOf('\n');
      if (cut === -1) return;
      out.write(redact(pending.slice(0, cut + 1), secrets));
      pending = pending.slice(cut + 1);
    },
    end() {
      pending += decoder.end();
      if (pending !== '') out.write(redact(pending, secrets));
      pending = '';
    },
  };
}

/** Runs vitest on `files` with the live config; resolves with its exit status. */
function runVitest(files: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const childEnv: NodeJS.ProcessEnv = { ...env };
  // A run started from inside another vitest (the rehearsal test) must not look like its worker.
  for (const key of Object.keys(childEnv)) if (key.startsWith('VITEST')) delete childEnv[key];
  if (process.stdout.isTTY) childEnv.FORCE_COLOR ??= '1';
  const secrets = secretValues(env);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [VITEST_BIN, 'run', '--config', 'vitest.live.config.mts', ...files],
      { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stdout = redactingWriter(process.stdout, secrets);
    const stderr = redactingWriter(process.stderr, secrets);
    child.stdout.on('data', (chunk: Buffer) => stdout.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      stdout.end();
      stderr.end();
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--devwiki');
  if (unknown.length > 0) {
    console.error(
      `test:live: unknown argument ${unknown.join(' ')}. The only option is --devwiki (rehearse against a local devwiki); the wiki and accounts come from LIVE_* variables (docs/live-tests.md).`,
    );
    return 2;
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  let devwiki: Devwiki | null = null;
  try {
    if (args.includes('--devwiki')) {
      // LIVE_MW_OAUTH_VERSION=2.0 rehearses the OAuth 2.0 parts: a 2.0 client registered for a
      // free port (its exact callback) and devwiki's owner-only 2.0 client.
      if (liveProtocol(env) === '2.0') {
        const port = await freePort();
        devwiki = await startRehearsalWiki({ oauth2CallbackPort: port });
        Object.assign(env, await rehearsalEnv2(devwiki, port));
      } else {
        devwiki = await startRehearsalWiki();
        Object.assign(env, rehearsalEnv(devwiki));
      }
      console.log(
        `test:live: REHEARSAL against devwiki at ${devwiki.indexUrl}, a local stand-in for a wiki: this shows the suite works, not that a real wiki does.`,
      );
    }

    const problems = invalidVariables(env);
    if (problems.length > 0) {
      console.error(`test:live: cannot run:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      return 2;
    }
    const configured = LIVE_PART_NAMES.filter((part) => missingVariables(part, env).length === 0);
    const skipped = LIVE_PART_NAMES.filter((part) => !configured.includes(part));
    for (const part of skipped) console.log(skipLine(part, env));
    if (configured.length === 0) {
      console.log(
        'test:live: NOT RUN: no part is configured, so nothing was tested (docs/live-tests.md says what to set).',
      );
      return 0;
    }

    console.log(`test:live: running ${configured.join(' and ')} against ${env.LIVE_MW_INDEX_URL ?? ''}`);
    const status = await runVitest(
      configured.map((part) => LIVE_PARTS[part].file),
      env,
    );
    const outcome = status === 0 ? 'passed' : `FAILED (vitest exit status ${status})`;
    console.log(
      `test:live: ${outcome}: ${configured.join(', ')}${skipped.length === 0 ? '' : `; not run: ${skipped.join(', ')}`}`,
    );
    return status;
  } finally {
    await devwiki?.close();
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    console.error(
      'test:live:',
      redact(error instanceof Error ? (error.stack ?? error.message) : String(error), secretValues()),
    );
    process.exitCode = 1;
  },
);
