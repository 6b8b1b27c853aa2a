import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

describe('the project', () => {
  it('should not declare a module type, which breaks next build', () => {
    const pkg: unknown = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg).not.toHaveProperty('type');
  });
});
