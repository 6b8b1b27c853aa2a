// Runs in every tests/e2e file (vitest.config.mts setupFiles): the console gate.
import { afterEach, expect } from 'vitest';
import { takeConsoleProblems } from './console-gate';

afterEach(() => {
  expect(takeConsoleProblems(), 'the browser console must stay clean').toEqual([]);
});
