import { afterEach, describe, expect, it, vi } from 'vitest';
import { MWOAuthError } from 'mwoauth';
import { AppError } from '@/lib/server/core/errors';
import { failureResponse, renderFailurePage } from '@/lib/server/failures/page';
import { isRevoked } from '@/lib/server/login/oauth1';
import { failure } from '@/lib/server/failures/catalogue';
import { english } from '@/lib/server/i18n';
import { describeWikiError } from '@/lib/server/failures/describe';

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
      'an OAuth 2.0 client ID or secret the wiki refuses (o2-08)',
      new MWOAuthError('mediawiki', 'x', { mediawikiCode: 'invalid_client', status: 401 }),
      502,
      'invalid_client',
    ],
    [
      'an OAuth 2.0 code used twice or a PKCE verifier that does not match (o2-07, o2-19)',
      new MWOAuthError('mediawiki', 'x', { mediawikiCode: 'invalid_request', status: 400 }),
      400,
      'invalid_request',
    ],
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

  it('should call an OAuth 2.0 client the wiki refuses a problem of the app’s registration, not a refusal of the user', () => {
    const error = new MWOAuthError('mediawiki', 'x', { mediawikiCode: 'invalid_client', status: 401 });
    expect(describeWikiError(error).title).toBe(failure('consumer', english()).title);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("should never show an error's own message in production (it may quote the wiki's page)", () => {
    vi.stubEnv('NODE_ENV', 'production');
    const failure = describeWikiError(new MWOAuthError('unexpected_response', 'secret-looking <b>text</b>'));
    expect(JSON.stringify(failure)).not.toContain('secret-looking');
    expect(failure.details).toBeNull();
  });

  it("should show the error's own message, escaped and folded, in development", () => {
    vi.stubEnv('NODE_ENV', 'development');
    const failure = describeWikiError(new MWOAuthError('http_error', 'HTTP 418 from <b>the wiki</b>'));
    expect(failure.details).toBe('HTTP 418 from <b>the wiki</b>');
    const html = renderFailurePage(failure);
    expect(html).toMatch(
      /<details><summary>[^<]+<\/summary><pre>HTTP 418 from &lt;b&gt;the wiki&lt;\/b&gt;<\/pre>/,
    );
    // Only lib/mwoauth's messages (which it keeps free of secrets), never any other error's.
    expect(describeWikiError(new TypeError('x.y is undefined')).details).toBeNull();
  });

  it.each([
    ['a redirect (http to https, say)', new MWOAuthError('http_error', 'moved', { status: 301 })],
    ['a 404', new MWOAuthError('http_error', 'not found', { status: 404 })],
    ['a URL lib/mwoauth refused', new MWOAuthError('invalid_url', 'bad')],
  ])('should tell whoever runs the app to check MW_INDEX_URL and MW_API_URL after %s', (_what, error) => {
    const failure = describeWikiError(error);
    expect(failure.todo).toContain('MW_INDEX_URL');
    expect(failure.todo).toContain('MW_API_URL');
    expect(failure.todo).not.toContain('Wait a minute');
  });

  it.each([
    ['a 503', new MWOAuthError('http_error', 'down', { status: 503 })],
    ['a 502', new MWOAuthError('http_error', 'down', { status: 502 })],
    ['garbage', new MWOAuthError('unexpected_response', 'The API answer is not a JSON object.')],
  ])('should call %s an outage to wait out', (_what, error) => {
    const failure = describeWikiError(error);
    expect(failure.todo).toContain('Wait a minute');
    expect(failure.todo).not.toContain('MW_INDEX_URL');
  });
});

describe('describeWikiError for the profile page', () => {
  it('should say the profile could not be loaded after an unexpected error, not that a login stopped', () => {
    const failure = describeWikiError(new TypeError('x.y is undefined'), undefined, 'profile');
    expect(failure.what).toContain('could not load your profile from the wiki');
    expect(failure.what).not.toMatch(/login/i);
  });

  it.each([
    ['an unexpected error', new TypeError('x')],
    ['a timeout', new MWOAuthError('timeout', 'slow')],
    ['a redirect', new MWOAuthError('http_error', 'moved', { status: 302 })],
    ['a forged identity', new MWOAuthError('invalid_identity', 'bad', { reason: 'signature' })],
    ['another issuer', new MWOAuthError('invalid_identity', 'bad', { reason: 'iss' })],
    ['an unknown wiki error', new MWOAuthError('mediawiki', 'x', { mediawikiCode: 'something-new' })],
  ])('should speak of the profile, not of a login, after %s', (_what, error) => {
    const failure = describeWikiError(error, undefined, 'profile');
    expect(failure.what).not.toMatch(/\blog(ged)? ?in\b/i);
    expect(failure.what).toContain('profile');
    // The login's own texts are unchanged.
    expect(describeWikiError(error).what).toMatch(/\blog(ged)? ?in\b/i);
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
