// The OAuth 2.0 client beyond the recorded exchanges: PKCE and state, public and confidential
// clients, the callback checked before anything is sent, answers the wiki (or a proxy) might give,
// secrets kept out of errors and printed forms, and the same deadline, body cap and User-Agent rule
// as 1.0a (a local server on 127.0.0.1, port 0, plays the slow wiki).
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiClient,
  clientCredentials,
  createAuthorization,
  exchangeCode,
  fetchProfile,
  makeOAuth2Tokens,
  MWOAuthError,
  refreshTokens,
  restUrlFor,
  verifyIdentityJwt,
  type Identity,
  type SuppressedProfile,
  type UserProfile,
} from 'mwoauth';
import { requestOptions } from '../../../lib/mwoauth/oauth2/transport';
import { resolveTransport, startDeadline } from '../../../lib/mwoauth/http';
import { environment, loadFixture } from '../../support/fixtures';
import { fakeFetch, type SeenRequest } from '../../support/mwoauth-fake-fetch';

const UA = 'tests/1.0 (tests@example.org)';
const MW = 'https://wiki.example.org/w/index.php';
const TOKEN_URL = 'https://wiki.example.org/w/rest.php/oauth2/access_token';
const REDIRECT = 'https://tool.example.org/api/mwoauth/callback';
const SECRET = 'client-secret-0123456789abcdef';
const CONFIDENTIAL = { clientId: 'client-id', clientSecret: SECRET };
const PUBLIC = { clientId: 'public-client-id', clientSecret: null };
const ACCESS = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIzIn0.c2lnbmF0dXJl';
const REFRESH = 'def50200refresh-token-value';

function json(body: unknown, status = 200, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': contentType } });
}

const TOKENS = { token_type: 'Bearer', expires_in: 3600, access_token: ACCESS, refresh_token: REFRESH };

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

function form(req: SeenRequest | undefined): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(req?.body ?? ''));
}

async function login(client: { clientId: string; clientSecret: string | null }): Promise<{
  sent: SeenRequest | undefined;
  challenge: string | null;
  verifier: string;
}> {
  const authorization = await createAuthorization(MW, client, { redirectUri: REDIRECT });
  const fetch = fakeFetch(() => json(TOKENS));
  await exchangeCode(MW, client, authorization, `?code=the-code&state=${authorization.state}`, {
    userAgent: UA,
    fetch,
    redirectUri: REDIRECT,
  });
  return {
    sent: fetch.requests[0],
    challenge: new URL(authorization.redirectUrl).searchParams.get('code_challenge'),
    verifier: authorization.codeVerifier,
  };
}

describe('createAuthorization', () => {
  it('should always send state and a PKCE S256 challenge of the verifier it returns, confidential clients too', async () => {
    for (const client of [CONFIDENTIAL, PUBLIC]) {
      const a = await createAuthorization(MW, client, { redirectUri: REDIRECT });
      const url = new URL(a.redirectUrl);
      expect(`${url.origin}${url.pathname}`).toBe('https://wiki.example.org/w/rest.php/oauth2/authorize');
      expect(url.searchParams.get('response_type')).toBe('code');
      expect(url.searchParams.get('client_id')).toBe(client.clientId);
      expect(url.searchParams.get('state')).toBe(a.state);
      expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('code_challenge')).toBe(
        createHash('sha256').update(a.codeVerifier).digest('base64url'),
      );
      // The verifier never travels in the URL.
      expect(a.redirectUrl).not.toContain(a.codeVerifier);
    }
  });

  it('should make a new random state and verifier (256 bits, base64url) for every login', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { state, codeVerifier } = await createAuthorization(MW, PUBLIC, { redirectUri: REDIRECT });
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
      seen.add(state).add(codeVerifier);
    }
    expect(seen.size).toBe(40);
  });

  it('should send scope as space-separated grants, and none when not asked', async () => {
    const withScope = await createAuthorization(MW, PUBLIC, {
      redirectUri: REDIRECT,
      scope: ['basic', 'editpage'],
    });
    expect(new URL(withScope.redirectUrl).searchParams.get('scope')).toBe('basic editpage');
    const without = await createAuthorization(MW, PUBLIC, { redirectUri: REDIRECT });
    expect(new URL(without.redirectUrl).searchParams.has('scope')).toBe(false);
  });

  it('should refuse a missing redirectUri, a bad scope, a weak verifier and a client without id with invalid_argument', async () => {
    const cases: [string, () => Promise<unknown>][] = [
      ['no redirectUri', () => createAuthorization(MW, PUBLIC, { redirectUri: '' })],
      [
        'scope with a comma',
        () => createAuthorization(MW, PUBLIC, { redirectUri: REDIRECT, scope: 'basic,edit' }),
      ],
      [
        'short verifier',
        () => createAuthorization(MW, PUBLIC, { redirectUri: REDIRECT, codeVerifier: 'short' }),
      ],
      ['no client id', () => createAuthorization(MW, { clientId: '' }, { redirectUri: REDIRECT })],
      [
        'empty secret',
        () => createAuthorization(MW, { clientId: 'x', clientSecret: '' }, { redirectUri: REDIRECT }),
      ],
    ];
    for (const [what, run] of cases) {
      expect(await failure(run), what).toMatchObject({ code: 'invalid_argument' });
    }
    expect(await failure(() => createAuthorization(MW, PUBLIC, { redirectUri: 'ftp://x/' }))).toMatchObject({
      code: 'invalid_url',
    });
  });
});

describe('rest.php', () => {
  it('should be found beside index.php, or taken from restUrl', () => {
    expect(restUrlFor('https://meta.wikimedia.org/w/index.php', undefined)).toBe(
      'https://meta.wikimedia.org/w/rest.php',
    );
    expect(restUrlFor('http://127.0.0.1:8080/index.php', undefined)).toBe('http://127.0.0.1:8080/rest.php');
    expect(restUrlFor('https://x.org/wiki/', 'https://x.org/w/rest.php/')).toBe('https://x.org/w/rest.php');
  });

  it('should ask for restUrl when mwUri is not an index.php', () => {
    expect(() => restUrlFor('https://x.org/wiki/Main_Page', undefined)).toThrow(
      expect.objectContaining({ code: 'invalid_url', message: expect.stringContaining('restUrl') }),
    );
  });

  it('should send the token request to restUrl when given', async () => {
    const fetch = fakeFetch(() => json(TOKENS));
    await refreshTokens(MW, CONFIDENTIAL, REFRESH, {
      userAgent: UA,
      fetch,
      restUrl: 'https://api.example.org/rest.php',
    });
    expect(fetch.requests[0]?.url).toBe('https://api.example.org/rest.php/oauth2/access_token');
  });
});

describe('client authentication', () => {
  it('should send a public client with its client_id and code_verifier only: no secret anywhere', async () => {
    const { sent, verifier } = await login(PUBLIC);
    expect(form(sent)).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      client_id: 'public-client-id',
      code_verifier: verifier,
      redirect_uri: REDIRECT,
    });
    expect(sent?.headers.get('authorization')).toBeNull();
  });

  it('should send a confidential client_secret in the form body (client_secret_post, as o2-06), not as HTTP Basic', async () => {
    const { sent, verifier } = await login(CONFIDENTIAL);
    expect(form(sent)).toMatchObject({
      client_id: 'client-id',
      client_secret: SECRET,
      code_verifier: verifier,
    });
    expect(sent?.headers.get('authorization')).toBeNull();
  });

  it('should refuse client_credentials for a client without a secret, sending nothing', async () => {
    const fetch = fakeFetch(() => json(TOKENS));
    expect(await failure(() => clientCredentials(MW, PUBLIC, { userAgent: UA, fetch }))).toMatchObject({
      code: 'invalid_argument',
    });
    expect(fetch.requests).toHaveLength(0);
  });
});

describe('the callback, checked before the code is exchanged', () => {
  const pending = { state: 'the-state', codeVerifier: 'v'.repeat(43) };
  const cases: [string, string, string, string | null][] = [
    ['no state', '?code=c', 'callback_invalid', null],
    ['state twice', '?code=c&state=the-state&state=the-state', 'callback_invalid', null],
    ['an empty state', '?code=c&state=', 'callback_invalid', null],
    ["another login's state", '?code=c&state=other', 'token_mismatch', null],
    ['no code', '?state=the-state', 'callback_invalid', null],
    ['code twice', '?code=a&code=b&state=the-state', 'callback_invalid', null],
    [
      'an error from the wiki',
      '?error=access_denied&error_description=no&state=the-state',
      'mediawiki',
      'access_denied',
    ],
    // Anyone can start a login and so send a callback with their own state.
    [
      'an error that is not a plain code',
      '?error=access_denied%0A%5Bredis%5D%20FORGED%1B%5B31m%E2%80%AE&state=the-state',
      'mediawiki',
      'invalid',
    ],
    [
      'an issuer of another wiki',
      '?code=c&state=the-state&iss=https%3A%2F%2Fevil.example',
      'callback_invalid',
      null,
    ],
  ];
  for (const [what, query, code, mediawikiCode] of cases) {
    it(`should refuse ${what} with ${code}, sending nothing`, async () => {
      const fetch = fakeFetch(() => json(TOKENS));
      const error = await failure(() =>
        exchangeCode(MW, CONFIDENTIAL, pending, query, { userAgent: UA, fetch, redirectUri: REDIRECT }),
      );
      expect(error).toBeInstanceOf(MWOAuthError);
      expect(error).toMatchObject({ code, ...(mediawikiCode === null ? {} : { mediawikiCode }) });
      expect(fetch.requests).toHaveLength(0);
    });
  }

  it('should take the callback as a full URL, a query string or URLSearchParams', async () => {
    for (const query of [
      `${REDIRECT}?code=c&state=the-state`,
      'code=c&state=the-state',
      new URLSearchParams({ code: 'c', state: 'the-state' }),
    ]) {
      const fetch = fakeFetch(() => json(TOKENS));
      await exchangeCode(MW, CONFIDENTIAL, pending, query, { userAgent: UA, fetch, redirectUri: REDIRECT });
      expect(form(fetch.requests[0]).code).toBe('c');
    }
  });
});

describe('token answers', () => {
  it('should report an `error` that is not a plain code as `invalid`, not repeat it', async () => {
    const fetch = fakeFetch(() =>
      json({ error: 'invalid_grant\r\n[mwoauth] FORGED', error_description: 'x' }, 400),
    );
    const error = await failure(() => refreshTokens(MW, CONFIDENTIAL, REFRESH, { userAgent: UA, fetch }));
    expect(error).toMatchObject({ code: 'mediawiki', mediawikiCode: 'invalid' });
    expect(error instanceof Error ? error.message : '').not.toContain('FORGED');
  });

  it('should give expiresAt as whole seconds since the epoch, from expires_in and now', async () => {
    const fetch = fakeFetch(() => json(TOKENS));
    const tokens = await refreshTokens(MW, CONFIDENTIAL, REFRESH, {
      userAgent: UA,
      fetch,
      now: () => 1_795_331_585_179,
    });
    expect(tokens).toEqual({ accessToken: ACCESS, refreshToken: REFRESH, expiresAt: 1_795_331_585 + 3600 });
  });

  it('should keep the old refresh token when a refresh answer brings none (RFC 6749 §6), and give null for none otherwise', async () => {
    const answer = { token_type: 'Bearer', expires_in: 3600, access_token: ACCESS };
    const refreshed = await refreshTokens(MW, CONFIDENTIAL, 'old-refresh', {
      userAgent: UA,
      fetch: fakeFetch(() => json(answer)),
    });
    expect(refreshed.refreshToken).toBe('old-refresh');
    const owner = await clientCredentials(MW, CONFIDENTIAL, {
      userAgent: UA,
      fetch: fakeFetch(() => json(answer)),
    });
    expect(owner.refreshToken).toBeNull();
  });

  it('should give expiresAt null for a token without expires_in', async () => {
    const answer = { token_type: 'Bearer', access_token: ACCESS };
    const tokens = await clientCredentials(MW, CONFIDENTIAL, {
      userAgent: UA,
      fetch: fakeFetch(() => json(answer)),
    });
    expect(tokens.expiresAt).toBeNull();
  });

  const bad: [string, () => Response, string, number | null][] = [
    ['no access_token', () => json({ token_type: 'Bearer', expires_in: 3600 }), 'unexpected_response', 200],
    [
      'a token_type other than Bearer',
      () => json({ ...TOKENS, token_type: 'mac' }),
      'unexpected_response',
      200,
    ],
    ['a JSON list', () => json([TOKENS]), 'unexpected_response', 200],
    [
      "a proxy's 502 page",
      () =>
        new Response('<html><head><title>502 Bad Gateway</title></head></html>', {
          status: 502,
          headers: { 'Content-Type': 'text/html' },
        }),
      'http_error',
      502,
    ],
    [
      'a login wall (HTML, 200)',
      () =>
        new Response('<!DOCTYPE html><html><title>Log in</title></html>', {
          headers: { 'Content-Type': 'text/html' },
        }),
      'unexpected_response',
      200,
    ],
    ['a 503 without a body', () => new Response('', { status: 503 }), 'http_error', 503],
    [
      'a redirect',
      () => new Response(null, { status: 302, headers: { Location: 'https://elsewhere.example/' } }),
      'http_error',
      302,
    ],
    [
      'an OAuth error labelled text/html',
      () =>
        json(
          { error: 'invalid_request', error_description: 'The refresh token is invalid.' },
          401,
          'text/html',
        ),
      'mediawiki',
      401,
    ],
  ];
  for (const [what, answer, code, status] of bad) {
    it(`should turn ${what} into ${code}`, async () => {
      const error = await failure(() =>
        refreshTokens(MW, CONFIDENTIAL, REFRESH, { userAgent: UA, fetch: fakeFetch(answer) }),
      );
      expect(error).toBeInstanceOf(MWOAuthError);
      expect(error).toMatchObject({ code, status });
    });
  }

  it('should keep every secret out of the message, even when the wiki echoes the request', async () => {
    const echo = fakeFetch((req) =>
      json(
        { error: 'invalid_request', error_description: `bad request: ${req.body ?? ''}`, hint: req.body },
        400,
      ),
    );
    const error = await failure(() =>
      exchangeCode(
        MW,
        CONFIDENTIAL,
        { state: 's', codeVerifier: 'verifier-'.repeat(6) },
        '?code=the-secret-code&state=s',
        {
          userAgent: UA,
          fetch: echo,
          redirectUri: REDIRECT,
        },
      ),
    );
    expect(error).toMatchObject({ code: 'mediawiki', mediawikiCode: 'invalid_request' });
    const shown = `${String(error)} ${JSON.stringify(error)} ${inspect(error)}`;
    for (const secret of [SECRET, 'the-secret-code', 'verifier-verifier'])
      expect(shown).not.toContain(secret);
    expect(shown).toContain('[redacted]');

    const refresh = await failure(() =>
      refreshTokens(MW, CONFIDENTIAL, REFRESH, {
        userAgent: UA,
        fetch: fakeFetch((req) => json({ error: 'x', hint: req.body }, 400)),
      }),
    );
    expect(inspect(refresh)).not.toContain(REFRESH);
  });

  it('should print tokens as [redacted] but store them as plain JSON', () => {
    const tokens = makeOAuth2Tokens(ACCESS, REFRESH, 1_795_335_185);
    for (const shown of [String(tokens), `${tokens}`, inspect(tokens)]) {
      expect(shown).not.toContain(ACCESS);
      expect(shown).not.toContain(REFRESH);
      expect(shown).toContain('[redacted]');
    }
    expect(JSON.parse(JSON.stringify(tokens))).toEqual({
      accessToken: ACCESS,
      refreshToken: REFRESH,
      expiresAt: 1_795_335_185,
    });
  });
});

describe('fetchProfile', () => {
  it("should give the user as 1.0a's identify does: the same fields, grants as a list", async () => {
    // Fixture 07's JWT, verified as identify would, then seen as a profile (the type a LoginFlow returns).
    const f = loadFixture('07-identify-success');
    const payload = f.jwt?.payload ?? {};
    const identity: Identity = await verifyIdentityJwt(f.response.body.trim(), {
      consumerKey: environment.consumers.oauth1_prefix.key,
      consumerSecret: environment.consumers.oauth1_prefix.secret,
      issuer: 'http://127.0.0.1:8080',
      nonce: String(payload.nonce),
      now: () => Number(payload.iat) * 1000,
    });
    const fromIdentify: UserProfile | SuppressedProfile = identity;
    // The same user's profile over OAuth 2.0, with identify's grants object ({"0":…,"2":…}) in it.
    const { iss, aud, iat, exp, nonce, ...userFields } = payload;
    expect([iss, aud, iat, exp, nonce].every((v) => v !== undefined)).toBe(true);
    const fetch = fakeFetch(() => json(userFields, 200, 'text/html; charset=UTF-8'));
    const profile = await fetchProfile(MW, ACCESS, { userAgent: UA, fetch });
    const claims = ['iss', 'aud', 'iat', 'exp', 'nonce'];
    const identityUserFields = Object.fromEntries(
      Object.entries(identity).filter(([k]) => !claims.includes(k)),
    );
    expect(profile).toEqual(identityUserFields);
    expect(profile).toMatchObject({ suppressed: false, grants: ['basic', 'editpage', 'createeditmovepage'] });
    expect(fromIdentify.sub).toBe(profile.sub);
  });

  it('should read a suppressed user as only sub and blocked', async () => {
    const fetch = fakeFetch(() => json({ sub: '7', blocked: true }, 200, 'text/html; charset=UTF-8'));
    expect(await fetchProfile(MW, ACCESS, { userAgent: UA, fetch })).toEqual({
      suppressed: true,
      sub: '7',
      blocked: true,
    });
    expect(fetch.requests[0]?.headers.get('authorization')).toBe(`Bearer ${ACCESS}`);
    expect(fetch.requests[0]?.url).toBe('https://wiki.example.org/w/rest.php/oauth2/resource/profile');
  });

  it('should refuse a profile with a field of the wrong type, or one that is not JSON, with unexpected_response', async () => {
    for (const body of ['{"sub":"3","username":"A","editcount":"4"}', 'Hello', '["x"]']) {
      const error = await failure(() =>
        fetchProfile(MW, ACCESS, {
          userAgent: UA,
          fetch: fakeFetch(() => new Response(body, { headers: { 'Content-Type': 'text/html' } })),
        }),
      );
      expect(error).toMatchObject({ code: 'unexpected_response' });
    }
  });

  it('should refuse a token that cannot go into a header, sending nothing', async () => {
    const fetch = fakeFetch(() => json({}));
    for (const token of ['', 'a b', 'a\r\nX-Injected: 1']) {
      expect(await failure(() => fetchProfile(MW, token, { userAgent: UA, fetch }))).toMatchObject({
        code: 'invalid_argument',
      });
    }
    expect(fetch.requests).toHaveLength(0);
  });
});

describe('ApiClient with a Bearer token', () => {
  it('should send Authorization: Bearer on GET and POST, and no OAuth 1.0a signature', async () => {
    const fetch = fakeFetch(() => json({ query: {} }));
    const api = new ApiClient({
      apiUrl: 'https://wiki.example.org/w/api.php',
      auth: { bearer: ACCESS },
      userAgent: UA,
      fetch,
    });
    expect(api.scheme).toBe('bearer');
    await api.get({ action: 'query', meta: 'userinfo' });
    await api.post({ action: 'edit', title: 'X', text: 'y', token: '+\\' });
    for (const req of fetch.requests) expect(req.headers.get('authorization')).toBe(`Bearer ${ACCESS}`);
    expect(fetch.requests[1]?.body).toBe(
      'format=json&formatversion=2&action=edit&title=X&text=y&token=%2B%5C',
    );
  });

  it('should keep OAuth 1.0a signing under auth: { consumer, accessToken }', async () => {
    const fetch = fakeFetch(() => json({}));
    const api = new ApiClient({
      apiUrl: 'https://wiki.example.org/w/api.php',
      auth: { consumer: { key: 'ck', secret: 'cs' }, accessToken: { key: 'ak', secret: 'as' } },
      userAgent: UA,
      fetch,
    });
    expect(api.scheme).toBe('oauth1');
    await api.get({ action: 'query' });
    expect(fetch.requests[0]?.headers.get('authorization')).toMatch(/^OAuth .*oauth_signature="/);
  });

  it('should refuse auth beside consumer/accessToken, a bearer with a line break, and no credentials', () => {
    const base = { apiUrl: 'https://wiki.example.org/w/api.php', userAgent: UA };
    const cases = [
      { ...base, auth: { bearer: ACCESS }, consumer: { key: 'ck', secret: 'cs' } },
      { ...base, auth: { bearer: `${ACCESS}\r\nX: y` } },
      { ...base, auth: { bearer: '' } },
      base,
    ];
    for (const options of cases)
      expect(() => new ApiClient(options)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('should keep the Bearer token out of its errors', async () => {
    const fetch = fakeFetch(() => json({ error: { code: 'badtoken', info: `token ${ACCESS} is bad` } }));
    const api = new ApiClient({
      apiUrl: 'https://wiki.example.org/w/api.php',
      auth: { bearer: ACCESS },
      userAgent: UA,
      fetch,
    });
    const error = await failure(() => api.get({ action: 'query' }));
    expect(error).toMatchObject({ code: 'mediawiki', mediawikiCode: 'badtoken' });
    expect(inspect(error)).not.toContain(ACCESS);
  });
});

describe('the User-Agent rule and oauth4webapi options', () => {
  it('should refuse every OAuth 2.0 call without a User-Agent before sending', async () => {
    const fetch = fakeFetch(() => json(TOKENS));
    const calls = [
      () => refreshTokens(MW, CONFIDENTIAL, REFRESH, { userAgent: '', fetch }),
      () => clientCredentials(MW, CONFIDENTIAL, { userAgent: ' ', fetch }),
      () => fetchProfile(MW, ACCESS, { userAgent: '', fetch }),
      () =>
        exchangeCode(MW, PUBLIC, { state: 's', codeVerifier: 'v' }, '?code=c&state=s', {
          userAgent: '',
          fetch,
          redirectUri: REDIRECT,
        }),
    ];
    for (const call of calls) expect(await failure(call)).toMatchObject({ code: 'missing_user_agent' });
    expect(fetch.requests).toHaveLength(0);
  });

  it("should send our User-Agent once, not oauth4webapi's", async () => {
    const fetch = fakeFetch(() => json(TOKENS));
    await refreshTokens(MW, CONFIDENTIAL, REFRESH, { userAgent: UA, fetch });
    expect(fetch.requests[0]?.headers.get('user-agent')).toBe(UA);
    expect(fetch.requests[0]?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
  });

  it('should allow plain http only for an http wiki (a local one such as devwiki)', () => {
    const transport = resolveTransport({ userAgent: UA });
    const seen = { answer: null };
    const deadline = startDeadline(1000);
    expect(
      requestOptions('http://127.0.0.1:8080/w/rest.php/oauth2/access_token', transport, deadline, seen)[
        oauth.allowInsecureRequests
      ],
    ).toBe(true);
    expect(requestOptions(TOKEN_URL, transport, deadline, seen)[oauth.allowInsecureRequests]).toBeUndefined();
  });
});

describe('deadlines and body caps, against a real slow server', () => {
  const open: ServerResponse[] = [];
  let server: Server;
  let base = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      open.push(res);
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.startsWith('/silent/')) return; // never answers
      if (url.pathname.startsWith('/huge/')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = 'x'.repeat(64 * 1024);
        let sent = 0;
        const pump = (): void => {
          while (sent < 40 && res.write(chunk)) sent++;
          if (sent < 40) res.once('drain', pump);
          else res.end();
        };
        pump();
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${(address satisfies AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const res of open) res.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('should end a token request the wiki never answers at timeoutMs', async () => {
    const start = performance.now();
    const error = await failure(() =>
      refreshTokens(`${base}/silent/w/index.php`, CONFIDENTIAL, REFRESH, { userAgent: UA, timeoutMs: 300 }),
    );
    expect(error).toMatchObject({ code: 'timeout' });
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('should end a profile request the wiki never answers at timeoutMs', async () => {
    const error = await failure(() =>
      fetchProfile(`${base}/silent/w/index.php`, ACCESS, { userAgent: UA, timeoutMs: 300 }),
    );
    expect(error).toMatchObject({ code: 'timeout' });
  });

  it('should refuse a token answer over maxResponseBytes', async () => {
    const error = await failure(() =>
      clientCredentials(`${base}/huge/w/index.php`, CONFIDENTIAL, {
        userAgent: UA,
        maxResponseBytes: 100_000,
      }),
    );
    expect(error).toMatchObject({ code: 'response_too_large' });
  });
});
