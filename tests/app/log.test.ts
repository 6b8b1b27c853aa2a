import { afterEach, describe, expect, it, vi } from 'vitest';
import { MWOAuthError } from 'mwoauth';
import { AppError } from '@/lib/server/core/errors';
import { errorForLog, forLog } from '@/lib/server/core/log';
import { logError } from '@/lib/server/http/routes';

// Text from a request or a wiki answer reaches
// the server log only cleaned, so it cannot forge a line, colour the terminal or reverse a line.

/** Controls (C0 but the log's own line breaks, DEL, C1) and the bidirectional controls. */
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const FORGERY = 'x\r\n[redis] 127.0.0.1:6379 unavailable: FORGED\u001b[31m\u202e\u2066\u2028\u0085\u0000';

afterEach(() => {
  vi.restoreAllMocks();
});

function logged(run: () => void): string[] {
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  run();
  return error.mock.calls.map((args) => args.map(String).join(' '));
}

describe('forLog', () => {
  it('should put every unprintable character as ?, keep letters of every script, and cut at max', () => {
    expect(forLog(FORGERY)).toBe('x??[redis] 127.0.0.1:6379 unavailable: FORGED?[31m?????');
    expect(forLog('Ελληνικά عربي é …')).toBe('Ελληνικά عربي é …');
    expect(forLog('a'.repeat(150))).toBe(`${'a'.repeat(100)}…`);
    expect(forLog('😀'.repeat(5), 3)).toBe('😀😀😀…');
    expect(forLog(null)).toBe('(none)');
  });
});

describe('logError', () => {
  it("should log a wiki error's key and message on one clean line", () => {
    const lines = logged(() =>
      logError(
        'callback',
        new MWOAuthError('mediawiki', `The wiki said: ${FORGERY}`, { mediawikiCode: FORGERY }),
      ),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[mwoauth\] callback failed: mediawiki \(x\?\?\[redis\]/);
    expect(lines[0]).not.toMatch(/\n/);
    expect(lines[0]).not.toMatch(CONTROLS);
  });

  it("should log an app error's message on one clean line", () => {
    const lines = logged(() => logError('session', new AppError('store_unavailable', FORGERY)));
    expect(lines).toEqual([`[mwoauth] session failed: ${forLog(FORGERY, 1000)}`]);
  });

  it('should log an unexpected error with its stack frames, its message on its first line', () => {
    const lines = logged(() => logError('identify', new TypeError(FORGERY, { cause: new Error(FORGERY) })));
    expect(lines).toHaveLength(1);
    const [first, ...rest] = (lines[0] ?? '').split('\n');
    expect(first).toBe(`[mwoauth] identify failed unexpectedly: TypeError: ${forLog(FORGERY, 1000)}`);
    expect(rest.length).toBeGreaterThan(0);
    for (const line of rest) expect(line).toMatch(/^ {2}( {2}at |\[cause\] Error: x\?\?\[redis\])/);
    expect(lines[0]).not.toMatch(CONTROLS);
  });

  it('should log a thrown non-error on one clean line', () => {
    expect(errorForLog(FORGERY)).not.toMatch(/[\n\r]/);
    expect(errorForLog({ message: FORGERY })).not.toMatch(CONTROLS);
  });
});
