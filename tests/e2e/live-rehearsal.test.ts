// `npm run test:live` rehearsed against devwiki: the live suite (tests/live/) needs a real wiki this
// machine cannot reach, so here its variables point at a devwiki started by this file, set the way a
// tester sets them for a real wiki. It shows the wrapper skips honestly, that both parts pass when
// the wiki behaves, fail when a credential is wrong, and never print a secret. It does not show that
// a real wiki behaves like devwiki (docs/live-tests.md).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Devwiki } from '@/devwiki';
import { rehearsalEnv, rehearsalOwnerOnlyConsumer, startRehearsalWiki } from '@/tests/live/devwiki-rehearsal';
import { LIVE_SECRET_VARIABLES, skipLine } from '@/tests/live/env';
import { ROOT } from '@/tests/support/e2e-app';

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  status: number | null;
  /** stdout and stderr together, without colours. */
  output: string;
}

/** Runs `npm run test:live` (its script, scripts/test-live.ts) with only `vars` as live configuration. */
function testLive(vars: Record<string, string>, args: string[] = []): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars, NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    const inherited = !(key in vars);
    if (key.startsWith('VITEST') || (inherited && (key.startsWith('LIVE_') || key === 'USER_AGENT'))) {
      delete env[key];
    }
  }
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [join(ROOT, 'scripts', 'test-live.ts'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output: output.replace(/\u001b\[[0-9;]*m/g, '') }));
  });
}

/** Every secret of `vars`, as the live suite marks them. */
function secretsOf(vars: Record<string, string>): string[] {
  return LIVE_SECRET_VARIABLES.map((name) => vars[name] ?? '').filter((v) => v !== '');
}

function only(
  vars: Record<string, string>,
  prefixOrNames: (name: string) => boolean,
): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).filter(([name]) => prefixOrNames(name)));
}

const OWNER_ONLY_VARS = (name: string): boolean =>
  !['LIVE_CONSUMER_KEY', 'LIVE_CONSUMER_SECRET', 'LIVE_USERNAME', 'LIVE_PASSWORD'].includes(name);
const BROWSER_VARS = (name: string): boolean => !name.startsWith('LIVE_OWNER_');

let devwiki: Devwiki;
let vars: Record<string, string>;

beforeAll(async () => {
  devwiki = await startRehearsalWiki();
  vars = rehearsalEnv(devwiki);
});

afterAll(async () => {
  await devwiki?.close();
});

describe('npm run test:live, rehearsed against devwiki', () => {
  it('should print what to set for each part and NOT RUN, exiting 0 without running vitest, when nothing is set', async () => {
    const run = await testLive({});
    expect(run.status).toBe(0);
    expect(run.output).toContain(skipLine('owner-only', {}));
    expect(run.output).toContain(skipLine('browser', {}));
    expect(run.output).toContain(
      'skipped: set LIVE_MW_INDEX_URL, USER_AGENT, LIVE_OWNER_CONSUMER_KEY, LIVE_OWNER_CONSUMER_SECRET, LIVE_OWNER_ACCESS_TOKEN, LIVE_OWNER_ACCESS_SECRET to run the owner-only tests',
    );
    expect(run.output).toContain('test:live: NOT RUN: no part is configured, so nothing was tested');
    expect(run.output).not.toMatch(/passed|RUN\s+v\d/);
  });

  it('should run both parts with every variable set: one owner-only edit as Admin, one browser login, no secret printed', async () => {
    const before = devwiki.requests.length;
    const run = await testLive(vars);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/Tests\s+4 passed \(4\)/);
    expect(run.output).toContain('test:live: passed: owner-only, browser');
    expect(run.output).toContain(
      'live: the wiki asked for the password, then showed the authorize form (wpconfirmUpdate=0)',
    );
    for (const secret of secretsOf(vars)) expect(run.output).not.toContain(secret);

    // The edit landed on devwiki as the owner-only consumer's owner, untagged (fixture 31d).
    const owner = rehearsalOwnerOnlyConsumer().owner ?? '';
    expect(owner).toBe('Admin');
    const sandbox = devwiki.readPage(`User:${owner}/sandbox`);
    expect(sandbox).toMatchObject({ user: 'Admin', tags: [] });
    expect(sandbox?.content).toMatch(/^\* next-mwoauth live test \d{4}-\d\d-\d\dT.* [0-9a-f]{8}$/m);
    expect(sandbox?.comment).toContain('npm run test:live (owner-only consumer)');
    // The browser went through devwiki's login and authorize pages (one POST each).
    const mine = devwiki.requests.slice(before);
    expect(mine.filter((r) => r.endpoint === 'login' && r.method === 'POST')).toHaveLength(1);
    expect(mine.filter((r) => r.endpoint === 'authorize' && r.method === 'POST')).toHaveLength(1);
    expect(mine.filter((r) => r.endpoint === 'api' && r.method === 'POST')).toHaveLength(1);
  });

  it('should fail the owner-only part, naming the API error, when the access secret is wrong', async () => {
    const revisionsBefore = devwiki.readPage('User:Admin/sandbox')?.revid ?? null;
    const wrong = { ...only(vars, OWNER_ONLY_VARS), LIVE_OWNER_ACCESS_SECRET: 'wrong-access-secret-5d1e8b' };
    const run = await testLive(wrong);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('mwoauth-invalid-authorization');
    expect(run.output).toMatch(/test:live: FAILED \(vitest exit status \d+\): owner-only; not run: browser/);
    expect(run.output).toContain(skipLine('browser', wrong));
    for (const secret of secretsOf(wrong)) expect(run.output).not.toContain(secret);
    expect(devwiki.readPage('User:Admin/sandbox')?.revid ?? null).toBe(revisionsBefore);
  });

  it("should fail the browser part, with the app's explanation, when the app's consumer secret is wrong", async () => {
    const wrong = { ...only(vars, BROWSER_VARS), LIVE_CONSUMER_SECRET: 'wrong-consumer-secret-0c4f2a' };
    const run = await testLive(wrong);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('The app did not send the browser to the wiki');
    // The app's failure page for an initiate the wiki refused (Invalid signature), quoted in the failure.
    expect(run.output).toContain('The wiki does not accept this app');
    expect(run.output).toMatch(/test:live: FAILED \(vitest exit status \d+\): browser; not run: owner-only/);
    for (const secret of secretsOf(wrong)) expect(run.output).not.toContain(secret);
  });

  it('should pass again for a user who authorized the consumer before (the form comes with wpconfirmUpdate=1, fixture 27f)', async () => {
    const run = await testLive(only(vars, BROWSER_VARS));
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(
      'live: the wiki asked for the password, then showed the authorize form (wpconfirmUpdate=1: authorized before)',
    );
  });

  it("should fail the browser part, quoting the wiki's error, when the wiki refuses the login", async () => {
    // devwiki takes any password but refuses a name MediaWiki would refuse: the same login page again.
    const refused = { ...only(vars, BROWSER_VARS), LIVE_USERNAME: 'No#such user' };
    const run = await testLive(refused);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('The wiki did not accept the login of LIVE_USERNAME (No#such user)');
    expect(run.output).toContain('That is not a valid user name');
    expect(run.output).toContain('Check LIVE_USERNAME and LIVE_PASSWORD');
    for (const secret of secretsOf(refused)) expect(run.output).not.toContain(secret);
  });

  it("should fail the browser part, with the app's explanation, when the wiki's identity answers do not match LIVE_MW_ISSUER", async () => {
    const wrong = { ...only(vars, BROWSER_VARS), LIVE_MW_ISSUER: 'https://wiki.example.org' };
    const run = await testLive(wrong);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('The app did not land on /profile after the wiki: http://localhost:');
    expect(run.output).toContain('MW_ISSUER');
  });

  it('should rehearse everything against a devwiki of its own with --devwiki', async () => {
    const run = await testLive({}, ['--devwiki']);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('test:live: REHEARSAL against devwiki at http://127.0.0.1:');
    expect(run.output).toContain('test:live: passed: owner-only, browser');
    for (const secret of secretsOf(vars)) expect(run.output).not.toContain(secret);
  });
});
