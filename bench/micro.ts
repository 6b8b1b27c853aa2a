// Section 5, micro-costs: µs per operation of what a login and each logged-in request cost in
// CPU (signing a request to the wiki, checking identify's JWT, sealing and unsealing the login
// cookie), beside Python's reference client (oauthlib, PyJWT) doing the same. Both sides run in
// processes of their own (bench/micro-node.ts, bench/micro-python.py) on the same inputs: one
// recorded identify JWT (fixture 07) and recorded credentials.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '@/tests/support/e2e-app';
import { environment, loadFixture } from '@/tests/support/fixtures';
import type { MicroCase, MicroPlan, MicroResult, OpFigure } from './micro-protocol';
import type { BenchOptions, Row, Section } from './report';

const FULL: MicroPlan = { warmupMs: 300, minBatchMs: 40, batches: 15 };
const SMOKE: MicroPlan = { warmupMs: 20, minBatchMs: 2, batches: 3 };
const PYTHON = '/usr/bin/python3';

/** Fixture 07 (Alice, identify on the recorded wiki) and the recorded owner-only credentials. */
function microCase(): MicroCase {
  const recorded = loadFixture('07-identify-success');
  const claims = recorded.jwt?.payload;
  const { oauth1_prefix: prefix, oauth1_owner_only: owner } = environment.consumers;
  if (
    claims === undefined ||
    typeof claims.iat !== 'number' ||
    typeof claims.nonce !== 'string' ||
    owner.access_token === undefined ||
    owner.access_secret === undefined
  ) {
    throw new Error('fixture 07 or _environment.json changed shape');
  }
  return {
    sign: {
      method: 'POST',
      url: recorded.request.url,
      consumer: { key: owner.key, secret: owner.secret },
      token: { key: owner.access_token, secret: owner.access_secret },
    },
    jwt: {
      token: recorded.response.body,
      consumerKey: prefix.key,
      consumerSecret: prefix.secret,
      issuer: environment.server,
      nonce: claims.nonce,
      // A second after it was issued, as if it had just arrived.
      nowMs: (claims.iat + 1) * 1000,
    },
    session: { secret: 'bench-only session secret, 32+ characters long', sub: '3', username: 'Alice' },
  };
}

/** Runs a peer with {plan, input} on stdin; its JSON answer, or what went wrong. */
function runPeer(command: string, args: string[], stdin: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Bounded: a hung peer is killed (the full plan takes seconds).
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${err.slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`${command} ${args.join(' ')} did not answer JSON: ${out.slice(0, 500)}`));
      }
    });
    child.stdin.end(stdin);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFigure(value: unknown): value is OpFigure {
  return (
    isRecord(value) &&
    ['usPerOp', 'min', 'max', 'perBatch', 'batches'].every((k) => typeof value[k] === 'number')
  );
}

/** A peer's answer narrowed to a MicroResult, or the reason it is not one. */
function toResult(value: unknown): MicroResult | string {
  if (!isRecord(value)) return 'no answer';
  if (typeof value.error === 'string') return value.error;
  const { runtime, ops } = value;
  if (typeof runtime !== 'string' || !isRecord(ops)) return 'an answer of another shape';
  const figures: Record<string, OpFigure> = {};
  for (const [name, figure] of Object.entries(ops)) {
    if (!isFigure(figure)) return `a figure of another shape for ${name}`;
    figures[name] = figure;
  }
  return { runtime, ops: figures };
}

function us(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function figureText(figure: OpFigure): string {
  return `${us(figure.usPerOp)} µs/op (batches ${us(figure.min)}–${us(figure.max)})`;
}

export async function run(options: BenchOptions): Promise<Section> {
  const plan = options.smoke ? SMOKE : FULL;
  const stdin = JSON.stringify({ plan, input: microCase() });
  const node = toResult(
    await runPeer(
      process.execPath,
      ['--conditions=react-server', '--import', 'tsx', join('bench', 'micro-node.ts')],
      stdin,
    ),
  );
  if (typeof node === 'string') throw new Error(`bench/micro-node.ts: ${node}`);
  let python: MicroResult | string;
  if (!existsSync(PYTHON)) {
    python = `${PYTHON} is missing`;
  } else {
    try {
      python = toResult(await runPeer(PYTHON, [join('bench', 'micro-python.py')], stdin));
    } catch (error) {
      python = error instanceof Error ? error.message : String(error);
    }
  }

  const rows: Row[] = [];
  const ours = (name: string, op: string, peerOp: string | null): void => {
    const figure = node.ops[op];
    if (figure === undefined) throw new Error(`bench/micro-node.ts did not time ${op}`);
    let value = figureText(figure);
    const peer = peerOp === null || typeof python === 'string' ? undefined : python.ops[peerOp];
    if (peer !== undefined) value += `; ×${(figure.usPerOp / peer.usPerOp).toFixed(2)} of Python's`;
    rows.push({ name, value, budget: null, verdict: null });
  };
  const theirs = (name: string, op: string): void => {
    const figure = typeof python === 'string' ? undefined : python.ops[op];
    rows.push({
      name,
      value:
        figure === undefined
          ? `not measured: ${typeof python === 'string' ? python : `no ${op}`}`
          : figureText(figure),
      budget: null,
      verdict: figure === undefined ? 'not measured' : null,
    });
  };
  ours('Sign one OAuth 1.0a request: lib/mwoauth signRequest (+ nonce)', 'sign', 'sign');
  theirs('Sign one OAuth 1.0a request: Python oauthlib Client.sign', 'sign');
  ours('Verify identify JWT: lib/mwoauth verifyIdentityJwt', 'verify', 'verify');
  ours('Verify identify JWT: jose jwtVerify, key imported once', 'verifyRaw', 'verify');
  theirs('Verify identify JWT: Python PyJWT jwt.decode (HS256)', 'verify');
  ours('Seal the login session: writeLoginSession (iron-session)', 'seal', null);
  ours('Unseal the login session: readLoginSession, cache miss (iron-session unseal)', 'unseal', null);
  ours('Read the login session again: readLoginSession, cache hit (no unseal)', 'unsealCached', null);

  return {
    title: '5. Micro-costs',
    rows,
    notes: [
      `Runtimes: ${node.runtime}; ${typeof python === 'string' ? `Python not measured (${python})` : python.runtime}.`,
      `Each operation runs alone in its side's process: ${plan.warmupMs} ms of warm-up, then a batch doubled ` +
        `until it lasts ${plan.minBatchMs} ms, then ${plan.batches} batches of that size; the figure is the ` +
        "median batch's µs per operation, the fastest and slowest batch beside it. Async operations are awaited " +
        'one at a time. Ratios are of medians from the same run.',
      'Signing: a POST to Special:OAuth/identify with consumer and access token (HMAC-SHA1, Authorization ' +
        'header), a fresh nonce and timestamp each time on both sides (oauthlib makes its own). Verifying: the ' +
        "identify JWT recorded from MediaWiki 1.39 (fixture 07, Alice's 32 rights), HS256 with the consumer " +
        'secret, aud and iss checked; verifyIdentityJwt also encodes the secret, checks iat, exp − iat, nonce ' +
        'and narrows every claim; PyJWT checks signature, aud, iss and exp (mwoauth adds its iss-host, iat and ' +
        'nonce checks after it, not timed).',
      "Seal/unseal: lib/server/session.ts's own functions on Alice's login session (access token, user id and " +
        'name), as the callback writes it and every logged-in request reads it; iron-session seals with ' +
        'AES-256-CBC + HMAC-SHA256 (Fe26.2) and derives both keys from the password with PBKDF2 (1 iteration) ' +
        'each time. Python has no peer for it (mwoauth keeps sessions in Flask). readLoginSession remembers the ' +
        'logins it unsealed, keyed by the exact seal (a bounded LRU of LOGIN_CACHE_SIZE); the unseal row reads, ' +
        'in turn, twice that many distinct seals of the same login, so every read misses and really unseals ' +
        '(the cache lookup and insertion included); the cache-hit row reads one seal again and again, as the ' +
        "layout and page do after proxy.ts's read of the same request.",
    ],
  };
}
