import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '@/tests/support/e2e-app';

// Next.js is at a version with the 2025–2026 fixes for requests that bypass
// middleware/proxy (16.2.6 or later). The other half, npm audit of what ships, needs the registry's
// audit endpoint, which is network and which some mirrors refuse (HTTP 405): it is not part of
// `npm test` (which needs no network) but `npm run audit:deps`, run by .ci/run, which prints
// "NOT MEASURED" when the endpoint is refused rather than passing quietly.

/** The fixes this app relies on (proxy.ts must not be bypassable) are in 16.2.6 and later. */
const MIN_NEXT = '16.2.6';

/** [major, minor, patch, isRelease] of a semver string; a pre-release sorts before its release. */
function versionParts(version: string): [number, number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)(-.*)?$/.exec(version.trim());
  if (m === null) throw new Error(`not a semver version: ${version}`);
  return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : 0];
}

function atLeast(version: string, minimum: string): boolean {
  const a = versionParts(version);
  const b = versionParts(minimum);
  for (let i = 0; i < a.length; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : null;
}

describe('dependencies', () => {
  it('should compare versions as semver (so the check below can fail)', () => {
    expect(atLeast('16.2.6', MIN_NEXT)).toBe(true);
    expect(atLeast('16.10.0', MIN_NEXT)).toBe(true);
    expect(atLeast('16.2.5', MIN_NEXT)).toBe(false);
    expect(atLeast('16.2.6-canary.3', MIN_NEXT)).toBe(false);
    expect(atLeast('15.5.9', MIN_NEXT)).toBe(false);
  });

  it(`should run next ${MIN_NEXT} or later`, () => {
    const pkg: unknown = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'next', 'package.json'), 'utf8'));
    const version = record(pkg)?.version;
    expect(typeof version).toBe('string');
    console.log(`[security] next: ${String(version)} installed (at least ${MIN_NEXT} required)`);
    expect(atLeast(String(version), MIN_NEXT)).toBe(true);
  });
});
