// lib/server/wiring/heap.ts: V8's old generation bounded at run time (instrumentation.ts), not on
// node's command line. The behaviour is V8's, so it is checked in a node of its own: the flag set
// at run time is the one a command line would give (V8's hash of its flags says so), and it bounds
// the heap as that flag does.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import v8 from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { register } from '@/instrumentation';
import { SESSION_SECRET } from '@/tests/support/app-harness';
import { ROOT } from '@/tests/support/e2e-app';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '@/lib/server/wiring/heap';

const HEAP = join(ROOT, 'lib', 'server', 'wiring', 'heap.ts');

/**
 * Runs `body` (an ES module's code, `v8` and `boundHeapGrowth` in scope) in a new node with
 * `nodeFlags`, and returns what it printed.
 */
function inNode(nodeFlags: string[], body: string): string {
  const code =
    `import v8 from 'node:v8';\n` +
    `const heap = await import(${JSON.stringify(HEAP)});\n` +
    // tsx loads the .ts as CommonJS: its exports are the module's default.
    `const { boundHeapGrowth } = heap.default ?? heap;\n${body}`;
  return execFileSync(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', code],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    },
  ).trim();
}

/**
 * The heap's peak while two million small objects stay alive and 2000 batches of 5000 more
 * each live through 64 batches (long enough to be promoted) and then die: total_heap_size, in MB.
 */
const PEAK_UNDER_CHURN = `
const batch = (n, v) => { const a = []; for (let i = 0; i < n; i++) a.push({ v, i }); return a; };
const live = []; for (let i = 0; i < 40; i++) live.push(batch(50000, i));
const ring = new Array(64).fill(null); let peak = 0;
for (let r = 0; r < 2000; r++) {
  ring[r % 64] = batch(5000, r);
  if (r % 20 === 0) peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
}
console.log(Math.round(peak / 1048576), live.length);`;

describe('heapGrowthFlag', () => {
  it('should be --heap-growing-percent=20 when node was given none', () => {
    expect(HEAP_GROWING_PERCENT).toBe(20);
    expect(heapGrowthFlag([])).toBe('--heap-growing-percent=20');
    expect(heapGrowthFlag(['--max-semi-space-size=8', '--enable-source-maps'])).toBe(
      '--heap-growing-percent=20',
    );
  });

  it("should be null when node's command line gave its own, in either spelling", () => {
    expect(heapGrowthFlag(['--heap-growing-percent=50'])).toBeNull();
    expect(heapGrowthFlag(['--heap_growing_percent=0'])).toBeNull();
    expect(heapGrowthFlag(['--heap-growing-percent', '35'])).toBeNull();
  });
});

describe('boundHeapGrowth, in a node of its own', () => {
  it('should set in V8 what `node --heap-growing-percent=20` sets, and nothing else', () => {
    const given = inNode(['--heap-growing-percent=20'], 'console.log(v8.cachedDataVersionTag());');
    const [before, after] = inNode(
      [],
      'const before = v8.cachedDataVersionTag(); boundHeapGrowth(); console.log(before, v8.cachedDataVersionTag());',
    ).split(' ');
    expect(after).not.toBe(before);
    expect(after).toBe(given);
  });

  it("should leave node's own flag alone", () => {
    const given = inNode(['--heap-growing-percent=50'], 'console.log(v8.cachedDataVersionTag());');
    const kept = inNode(
      ['--heap-growing-percent=50'],
      'boundHeapGrowth(); console.log(v8.cachedDataVersionTag());',
    );
    expect(kept).toBe(given);
  });

  it('should hold the heap near what stays alive under churn, well under the unbounded peak', () => {
    const free = Number(inNode([], PEAK_UNDER_CHURN).split(' ')[0]);
    const bounded = Number(inNode([], `boundHeapGrowth();\n${PEAK_UNDER_CHURN}`).split(' ')[0]);
    // Measured: about 440 MB without it, 180 MB with it (what stays alive, and the promoted
    // batches not yet collected).
    expect(bounded).toBeLessThan(free * 0.6);
    expect(bounded).toBeGreaterThan(40);
  });
});

describe("instrumentation.ts's register()", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(process.env))
      if (!(name in saved)) Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, saved);
  });

  it('should bound the heap of a production server (and not of next dev)', async () => {
    process.env.NEXT_RUNTIME = 'nodejs';
    const before = v8.cachedDataVersionTag();
    await register(); // NODE_ENV=test here, as in next dev: no production steps
    expect(v8.cachedDataVersionTag()).toBe(before);

    Object.assign(process.env, {
      NODE_ENV: 'production',
      MW_INDEX_URL: 'https://meta.wikimedia.org/w/index.php',
      MW_CONSUMER_KEY: 'c0ffee',
      MW_CONSUMER_SECRET: 'consumer-secret-value',
      SESSION_SECRET,
      APP_URL: 'https://my-tool.toolforge.org',
      USER_AGENT: 'sandbox-helper/0.3 (https://sandbox-helper.toolforge.org; maintainer@wikimedia.example)',
    });
    await register();
    const after = v8.cachedDataVersionTag();
    expect(after).not.toBe(before);
    // V8's hash of its flags moves no further when the same flag is set to the same value again:
    // what register() set was --heap-growing-percent=20.
    v8.setFlagsFromString('--heap-growing-percent=20');
    expect(v8.cachedDataVersionTag()).toBe(after);
  });
});
