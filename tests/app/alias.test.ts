import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The app project's wiring (vitest.config.mts): '@/' resolves to the repository root, and a module
// that starts with `import 'server-only'` (which throws outside Next) loads through the stand-in.

describe('the app test project', () => {
  it("should load a real 'server-only' module through the '@/' alias, and run it", async () => {
    const source = readFileSync(join(__dirname, '..', '..', 'lib', 'server', 'http', 'safe-next.ts'), 'utf8');
    // The module really is guarded, or loading it would prove nothing about the stand-in.
    expect(source.startsWith("import 'server-only';")).toBe(true);
    const { loginPath, safeNext } = await import('@/lib/server/http/safe-next');
    expect(safeNext('/profile?tab=1')).toBe('/profile?tab=1');
    expect(safeNext('//evil.example')).toBe('/');
    expect(loginPath('/sandbox')).toBe('/api/mwoauth/initiate?next=%2Fsandbox');
  });
});
