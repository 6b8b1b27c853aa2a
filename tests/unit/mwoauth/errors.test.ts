import { describe, expect, it, vi } from 'vitest';

// Next bundles proxy.ts, the pages and the route handlers separately, each with its own copy of
// lib/mwoauth, while the app's flow is shared by the process: an MWOAuthError thrown by one copy
// must be `instanceof MWOAuthError` in another (or proxy.ts logs a wiki fault at a refresh as an
// unexpected error, with its stack). Two copies of the module, as two bundles hold them.
async function freshCopy(): Promise<typeof import('../../../lib/mwoauth/errors')> {
  vi.resetModules();
  return import('../../../lib/mwoauth/errors');
}

describe('MWOAuthError across copies of the module', () => {
  it('should be instanceof MWOAuthError and isMWOAuthError in another copy', async () => {
    const one = await freshCopy();
    const other = await freshCopy();
    expect(one.MWOAuthError).not.toBe(other.MWOAuthError);
    const error = new one.MWOAuthError('timeout', 'No complete answer within 2000 ms');
    expect(error instanceof other.MWOAuthError).toBe(true);
    expect(other.isMWOAuthError(error)).toBe(true);
    expect(error).toBeInstanceOf(Error);
  });

  it('should not take another error, or an object merely named MWOAuthError, for one', async () => {
    const { MWOAuthError, isMWOAuthError } = await freshCopy();
    const lookalike = Object.assign(new Error('x'), { name: 'MWOAuthError', code: 'timeout' });
    expect(lookalike instanceof MWOAuthError).toBe(false);
    expect(isMWOAuthError(lookalike)).toBe(false);
    expect(isMWOAuthError(new Error('x'))).toBe(false);
    expect(isMWOAuthError(null)).toBe(false);
    expect(isMWOAuthError('MWOAuthError')).toBe(false);
  });

  it('should keep the brand out of JSON and of the enumerable fields', async () => {
    const { MWOAuthError } = await freshCopy();
    const error = new MWOAuthError('mediawiki', 'refused', { mediawikiCode: 'invalid_grant', status: 400 });
    expect(Object.keys(error)).not.toContain('Symbol(next-mwoauth.MWOAuthError)');
    expect(
      Object.getOwnPropertySymbols(error).every((s) => !Object.prototype.propertyIsEnumerable.call(error, s)),
    ).toBe(true);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'MWOAuthError',
      code: 'mediawiki',
      message: 'refused',
      mediawikiCode: 'invalid_grant',
      status: 400,
      reason: null,
      contentType: null,
      retryAfterS: null,
    });
  });
});
