import { describe, expect, it } from 'vitest';
import { MWOAuthError } from '@/lib/mwoauth';
import { AppError } from '@/lib/server/errors';
import { failureResponse, renderFailurePage } from '@/lib/server/failure-page';
import { describeWikiError, isRevoked } from '@/lib/server/wiki';

describe('describeWikiError', () => {
  it.each([
    ['a timeout', new MWOAuthError('timeout', 'slow'), 504, null],
    ['an unreachable wiki', new MWOAuthError('network', 'refused'), 502, null],
    ['an HTML error page', new MWOAuthError('http_error', 'HTTP 503', { status: 503 }), 502, null],
    ['a forged identity', new MWOAuthError('invalid_identity', 'bad', { reason: 'signature' }), 502, null],
    ['a token mismatch', new MWOAuthError('token_mismatch', 'x'), 400, null],
    [
      'a consumer registered with a fixed callback',
      new MWOAuthError('mediawiki', 'x', { mediawikiCode: 'mwoauth-callback-not-oob' }),
      502,
      'mwoauth-callback-not-oob',
    ],
    [
      'a used request token',
      new MWOAuthError('mediawiki', 'x', { mediawikiCode: 'mwoauthdatastore-request-token-already-used' }),
      400,
      'mwoauthdatastore-request-token-already-used',
    ],
    ['a block', new MWOAuthError('mediawiki', 'x', { mediawikiCode: 'blocked' }), 403, 'blocked'],
    [
      'an unknown wiki error',
      new MWOAuthError('mediawiki', 'x', { mediawikiCode: 'something-new' }),
      502,
      'something-new',
    ],
    ['a bug of ours', new TypeError('undefined is not a function'), 500, null],
    [
      'a broken configuration',
      new AppError('invalid_config', 'x', { problems: ['MW_INDEX_URL is not set'] }),
      500,
      null,
    ],
  ])('should turn %s into a %i page with the MediaWiki key %s', (_what, error, status, key) => {
    const failure = describeWikiError(error);
    expect(failure.status).toBe(status);
    expect(failure.mediawikiCode).toBe(key);
  });

  it("should never show an error's own message (it may quote the wiki's page or request data)", () => {
    const failure = describeWikiError(new MWOAuthError('unexpected_response', 'secret-looking <b>text</b>'));
    expect(JSON.stringify(failure)).not.toContain('secret-looking');
  });
});

describe('isRevoked', () => {
  it.each([
    ['mwoauthdatastore-access-token-not-found', true],
    ['mwoauth-invalid-authorization', true],
    ['assertuserfailed', true],
    ['blocked', false],
    ['editconflict', false],
  ])('should say %s means revoked: %s', (code, revoked) => {
    expect(isRevoked(new MWOAuthError('mediawiki', 'x', { mediawikiCode: code }))).toBe(revoked);
  });

  it('should not call a timeout a revocation', () => {
    expect(isRevoked(new MWOAuthError('timeout', 'x'))).toBe(false);
  });
});

describe('the failure page', () => {
  const failure = {
    status: 502,
    title: 'The <wiki> refused',
    what: '"quoted" & <script>alert(1)</script>',
    todo: "Try 'again'",
    action: { label: 'Log in again', href: '/api/mwoauth/initiate?next=%2F&x="><script>' },
    mediawikiCode: 'mwoauth-<b>',
  };

  it('should escape every text it shows', () => {
    const html = renderFailurePage(failure);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="/api/mwoauth/initiate?next=%2F&amp;x=&quot;&gt;&lt;script&gt;"');
  });

  it('should be HTML with its status, never cached', async () => {
    const response = failureResponse(failure);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toMatch(/^<!DOCTYPE html>/);
  });
});
