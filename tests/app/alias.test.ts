import { describe, expect, it } from 'vitest';

describe('the app test project', () => {
  it("should resolve the '@/' alias and let modules that import 'server-only' load", async () => {
    const mod: unknown = await import('@/tests/support/server-only');
    expect(mod).toBeTypeOf('object');
    await expect(import('server-only')).resolves.toBeDefined();
  });
});
