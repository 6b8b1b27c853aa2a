// OAuth 2.0 against devwiki over HTTP: the browser side driven with plain requests (log in, the
// approve page, Allow/Cancel), single-use codes, PKCE, client secrets, refresh rotation, settable
// lifetimes, Bearer on api.php, owner-only clients, revocation, the request log and faults.
import { createHash, randomBytes } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultConsumers,
  startDevwiki,
  type Devwiki,
  type DevwikiConsumer,
  type DevwikiOptions,
} from '../../devwiki';
import { hiddenField, loginCookie, signedFetch } from './helpers';

const defaults = defaultConsumers();
function client(id: number): DevwikiConsumer {
  const c = defaults.find((x) => x.id === id);
  if (c === undefined) throw new Error(`no default consumer ${id}`);
  return c;
}
const CONFIDENTIAL = client(4);
const PUBLIC = client(5);
const OWNER = client(6);
const OAUTH1 = client(1);

let wiki: Devwiki;
let open = false;
async function start(options: DevwikiOptions = {}): Promise<Devwiki> {
  wiki = await startDevwiki(options);
  open = true;
  return wiki;
}
afterEach(async () => {
  if (open) await wiki.close();
  open = false;
});

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(c: DevwikiConsumer, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ response_type: 'code', client_id: c.key, state: 'st-1', ...extra });
  return `${wiki.restUrl}/oauth2/authorize?${q.toString()}`;
}

interface TokenReply {
  status: number;
  contentType: string | null;
  json: Record<string, unknown>;
}

async function tokenRequest(
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenReply> {
  const res = await fetch(`${wiki.restUrl}/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const body: unknown = await res.json();
  if (!isObject(body)) throw new Error('not a JSON object');
  return { status: res.status, contentType: res.headers.get('content-type'), json: body };
}

async function codeFor(
  c: DevwikiConsumer,
  extra: Record<string, string> = {},
  user = 'Alice',
): Promise<string> {
  const back = new URL(await wiki.approve(authorizeUrl(c, extra), user));
  const code = back.searchParams.get('code');
  if (code === null) throw new Error(`no code in ${back.href}`);
  return code;
}

function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`${k} is not a string: ${JSON.stringify(o)}`);
  return v;
}

async function tokensFor(user = 'Alice'): Promise<{ access: string; refresh: string }> {
  const code = await codeFor(CONFIDENTIAL, {}, user);
  const r = await tokenRequest({
    grant_type: 'authorization_code',
    code,
    client_id: CONFIDENTIAL.key,
    client_secret: CONFIDENTIAL.secret,
  });
  return { access: str(r.json, 'access_token'), refresh: str(r.json, 'refresh_token') };
}

function refresh(token: string): Promise<TokenReply> {
  return tokenRequest({
    grant_type: 'refresh_token',
    refresh_token: token,
    client_id: CONFIDENTIAL.key,
    client_secret: CONFIDENTIAL.secret,
  });
}

async function profile(access: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${wiki.restUrl}/oauth2/resource/profile`, {
    headers: { Authorization: `Bearer ${access}` },
  });
  const body: unknown = JSON.parse(await res.text());
  return { status: res.status, json: isObject(body) ? body : {} };
}

async function api(
  access: string,
  params: Record<string, string>,
  post = false,
): Promise<Record<string, unknown>> {
  const q = new URLSearchParams({ format: 'json', formatversion: '2', ...params }).toString();
  const res = await fetch(post ? wiki.apiUrl : `${wiki.apiUrl}?${q}`, {
    method: post ? 'POST' : 'GET',
    headers: {
      Authorization: `Bearer ${access}`,
      ...(post ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: post ? q : undefined,
  });
  const body: unknown = await res.json();
  return isObject(body) ? body : {};
}

function errorCode(answer: Record<string, unknown>): unknown {
  return isObject(answer.error) ? answer.error.code : null;
}

async function csrf(access: string): Promise<string> {
  const a = await api(access, { action: 'query', meta: 'tokens' });
  const t = isObject(a.query) && isObject(a.query.tokens) ? a.query.tokens.csrftoken : null;
  if (typeof t !== 'string') throw new Error(`no csrf token: ${JSON.stringify(a)}`);
  return t;
}

describe('the OAuth 2.0 browser side, over plain HTTP', () => {
  it('should send an anonymous visitor to log in and, once logged in, to the approve page, then to the app with a code', async () => {
    await start();
    const url = authorizeUrl(CONFIDENTIAL);
    const anonymous = await fetch(url, { redirect: 'manual' });
    expect(anonymous.status).toBe(307);
    const login = new URL(anonymous.headers.get('location') ?? '');
    expect(login.searchParams.get('returnto')).toBe('Special:OAuth/rest redirect');
    const loggedIn = await fetch(`${wiki.indexUrl}?title=Special:UserLogin`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        wpName: 'Alice',
        wpPassword: 'x',
        returnto: login.searchParams.get('returnto') ?? '',
        returntoquery: login.searchParams.get('returntoquery') ?? '',
      }).toString(),
      redirect: 'manual',
    });
    const cookie = (loggedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    // Special:OAuth/rest_redirect leads back to the authorize URL as it was.
    const restRedirect = await fetch(loggedIn.headers.get('location') ?? '', {
      headers: { Cookie: cookie },
      redirect: 'manual',
    });
    expect(restRedirect.headers.get('location')).toBe(url);
    const toApprove = await fetch(url, { headers: { Cookie: cookie }, redirect: 'manual' });
    expect(toApprove.status).toBe(307);
    const form = await (
      await fetch(toApprove.headers.get('location') ?? '', { headers: { Cookie: cookie } })
    ).text();
    expect(form).toContain(
      "<form id='mw-mwoauth-authorize-form' action='/w/index.php/Special:OAuth/approve'",
    );
    expect(hiddenField(form, 'oauth_version')).toBe('2');
    const fields = [
      'title',
      'wpEditToken',
      'wpaction',
      'wpconfirmUpdate',
      'oauth_version',
      'client_id',
      'scope',
      'returnto',
      'returntoquery',
    ];
    const body = new URLSearchParams([
      ...fields.map((f): [string, string] => [f, hiddenField(form, f) ?? '']),
      ['accept', 'Allow'],
    ]);
    const allowed = await fetch(`${wiki.indexUrl}/Special:OAuth/approve`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      body: body.toString(),
      redirect: 'manual',
    });
    expect(allowed.headers.get('location')).toBe(`${url}&approval_pass=1`);
    const withCode = await fetch(allowed.headers.get('location') ?? '', {
      headers: { Cookie: cookie },
      redirect: 'manual',
    });
    expect(withCode.status).toBe(302);
    expect(withCode.headers.get('location')).toMatch(
      /^http:\/\/localhost:3000\/api\/mwoauth\/callback\?code=def50200[0-9a-f]+&state=st-1$/,
    );
  });

  it('should answer Cancel with an HTML page and never send the browser to the app (o2-16, o2-17)', async () => {
    await start();
    const cookie = await loginCookie(wiki, 'Alice');
    const toApprove = await fetch(authorizeUrl(CONFIDENTIAL), {
      headers: { Cookie: cookie },
      redirect: 'manual',
    });
    const form = await (
      await fetch(toApprove.headers.get('location') ?? '', { headers: { Cookie: cookie } })
    ).text();
    const fields = [
      'title',
      'wpEditToken',
      'wpaction',
      'wpconfirmUpdate',
      'oauth_version',
      'client_id',
      'scope',
      'returnto',
      'returntoquery',
    ];
    const cancelled = await fetch(`${wiki.indexUrl}/Special:OAuth/approve`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      body: new URLSearchParams([
        ...fields.map((f): [string, string] => [f, hiddenField(form, f) ?? '']),
        ['cancel', 'Cancel'],
      ]).toString(),
      redirect: 'manual',
    });
    const back = cancelled.headers.get('location') ?? '';
    expect(new URL(back).searchParams.get('approval_cancel')).toBe('1');
    const page = await fetch(back, { headers: { Cookie: cookie }, redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(page.headers.get('location')).toBeNull();
    expect(page.headers.get('content-type')).toBe('text/html;charset=UTF-8');
    const html = await page.text();
    expect(html).toContain('Application Connection Error');
    expect(html).not.toContain('localhost:3000');
    // Nothing was approved: asking again shows the approve page, not a code.
    const again = await fetch(authorizeUrl(CONFIDENTIAL, { approval_pass: '1' }), {
      headers: { Cookie: cookie },
      redirect: 'manual',
    });
    expect(again.status).toBe(307);
    expect(again.headers.get('location')).toContain('Special:OAuth/approve');
  });

  it('should refuse a public client without PKCE with an HTML page and no redirect (o2-18)', async () => {
    await start();
    const cookie = await loginCookie(wiki, 'Alice');
    const page = await fetch(authorizeUrl(PUBLIC), { headers: { Cookie: cookie }, redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(page.headers.get('location')).toBeNull();
    expect(await page.text()).toContain('The request is missing a required parameter');
    await expect(wiki.approve(authorizeUrl(PUBLIC), 'Alice')).rejects.toThrow(
      /did not show the authorize form/,
    );
  });

  it('should refuse an unregistered redirect_uri, an owner-only client and an OAuth 1.0a key on the authorize page', async () => {
    await start();
    const cookie = await loginCookie(wiki, 'Alice');
    for (const url of [
      authorizeUrl(CONFIDENTIAL, { redirect_uri: 'https://evil.example/cb' }),
      authorizeUrl(OWNER),
      authorizeUrl(OAUTH1),
    ]) {
      const page = await fetch(url, { headers: { Cookie: cookie }, redirect: 'manual' });
      expect(page.status).toBe(200);
      expect(page.headers.get('location')).toBeNull();
      expect(await page.text()).toContain('Client authentication failed');
    }
  });

  it('should never redirect Allow anywhere but its own authorize endpoint', async () => {
    await start();
    const cookie = await loginCookie(wiki, 'Alice');
    const page = await fetch(
      `${wiki.indexUrl}?title=Special:OAuth/approve&client_id=${CONFIDENTIAL.key}&returnto=${encodeURIComponent('https://evil.example/')}&scope=basic`,
      { headers: { Cookie: cookie }, redirect: 'manual' },
    );
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('mw-mwoauth-authorize-form');
  });
});

describe('the OAuth 2.0 token endpoint', () => {
  it('should issue a real RS256 JWT signed with the key devwiki publishes, for the user and scopes approved', async () => {
    await start();
    const { access } = await tokensFor('Alice');
    const key = await importSPKI(await wiki.oauth2PublicKey(), 'RS256');
    // iat and nbf are floats with a fraction, as MediaWiki writes them (o2-06): jose compares them
    // with whole seconds, so a token of this very second needs a tolerance.
    const { payload, protectedHeader } = await jwtVerify(access, key, {
      issuer: wiki.origin,
      audience: CONFIDENTIAL.key,
      clockTolerance: 1,
    });
    expect(protectedHeader).toEqual({ typ: 'JWT', alg: 'RS256' });
    expect(payload.sub).toBe('3');
    expect(payload.scopes).toEqual(CONFIDENTIAL.grants);
    expect(typeof payload.jti).toBe('string');
    // Another devwiki has another key: this token means nothing there.
    const other = await startDevwiki();
    try {
      await expect(
        jwtVerify(access, await importSPKI(await other.oauth2PublicKey(), 'RS256')),
      ).rejects.toThrow();
    } finally {
      await other.close();
    }
  });

  it('should exchange a code once only (o2-07)', async () => {
    await start();
    const code = await codeFor(CONFIDENTIAL);
    const form = {
      grant_type: 'authorization_code',
      code,
      client_id: CONFIDENTIAL.key,
      client_secret: CONFIDENTIAL.secret,
    };
    expect((await tokenRequest(form)).status).toBe(200);
    const again = await tokenRequest(form);
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({
      error: 'invalid_request',
      hint: 'Authorization code has been revoked',
    });
    const bogus = await tokenRequest({ ...form, code: 'def50200abc' });
    expect(bogus.json).toMatchObject({
      error: 'invalid_request',
      hint: 'Cannot decrypt the authorization code',
    });
  });

  it('should refuse a wrong or missing client secret, and take a right one from HTTP Basic (o2-08)', async () => {
    await start();
    const code = await codeFor(CONFIDENTIAL);
    const base = { grant_type: 'authorization_code', code, client_id: CONFIDENTIAL.key };
    for (const form of [{ ...base, client_secret: '0'.repeat(40) }, base]) {
      const r = await tokenRequest(form);
      expect(r.status).toBe(401);
      expect(r.contentType).toBe('application/json');
      expect(r.json.error).toBe('invalid_client');
    }
    // The wrong attempts did not spend the code.
    const basic = Buffer.from(`${CONFIDENTIAL.key}:${CONFIDENTIAL.secret}`).toString('base64');
    const ok = await tokenRequest(
      { grant_type: 'authorization_code', code },
      { Authorization: `Basic ${basic}` },
    );
    expect(ok.status).toBe(200);
  });

  it('should check PKCE: a wrong verifier is invalid_grant and spends nothing, the right one works (o2-19, o2-20)', async () => {
    await start();
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(PUBLIC, { code_challenge: challenge, code_challenge_method: 'S256' });
    const form = { grant_type: 'authorization_code', code, client_id: PUBLIC.key };
    const missing = await tokenRequest(form);
    expect(missing.json).toMatchObject({
      error: 'invalid_request',
      hint: 'Check the `code_verifier` parameter',
    });
    const wrong = await tokenRequest({ ...form, code_verifier: pkcePair().verifier });
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({ error: 'invalid_grant', hint: 'Failed to verify `code_verifier`.' });
    const right = await tokenRequest({ ...form, code_verifier: verifier });
    expect(right.status).toBe(200);
    expect(typeof right.json.refresh_token).toBe('string');
  });

  it('should want redirect_uri at the token request exactly when the authorize request had it', async () => {
    await start();
    const redirectUri = CONFIDENTIAL.callbackUrl;
    const withUri = await codeFor(CONFIDENTIAL, { redirect_uri: redirectUri });
    const base = {
      grant_type: 'authorization_code',
      client_id: CONFIDENTIAL.key,
      client_secret: CONFIDENTIAL.secret,
    };
    expect((await tokenRequest({ ...base, code: withUri })).json).toMatchObject({
      error: 'invalid_request',
      hint: 'Check the `redirect_uri` parameter',
    });
    expect((await tokenRequest({ ...base, code: withUri, redirect_uri: redirectUri })).status).toBe(200);
  });

  it('should rotate refresh tokens: the old refresh token and its access token die, the new ones work (o2-14, o2-15)', async () => {
    await start();
    const first = await tokensFor();
    const rotated = await refresh(first.refresh);
    expect(rotated.status).toBe(200);
    const next = { access: str(rotated.json, 'access_token'), refresh: str(rotated.json, 'refresh_token') };
    expect(next.refresh).not.toBe(first.refresh);
    const reused = await refresh(first.refresh);
    expect(reused.status).toBe(401);
    expect(reused.json).toMatchObject({
      error: 'invalid_request',
      error_description: 'The refresh token is invalid.',
    });
    expect((await profile(first.access)).status).toBe(401);
    expect(errorCode(await api(first.access, { action: 'query', meta: 'userinfo' }))).toBe(
      'mwoauth-invalid-authorization',
    );
    expect((await profile(next.access)).json.username).toBe('Alice');
    expect((await refresh(next.refresh)).status).toBe(200);
  });

  it('should log each token request with its grant type, so a test can count refreshes', async () => {
    await start();
    const { refresh: token } = await tokensFor();
    const before = wiki.requests.length;
    await refresh(token);
    const refreshes = wiki.requests
      .slice(before)
      .filter((r) => r.endpoint === 'token' && r.grantType === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]?.path).toBe('/w/rest.php/oauth2/access_token');
    expect(wiki.requests.filter((r) => r.grantType === 'authorization_code')).toHaveLength(1);
  });

  it('should refuse a grant type the client may not use, and an OAuth 1.0a consumer', async () => {
    await start();
    const cc = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: CONFIDENTIAL.key,
      client_secret: CONFIDENTIAL.secret,
    });
    expect(cc.json.error).toBe('invalid_client');
    const oauth1 = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: OAUTH1.key,
      client_secret: OAUTH1.secret,
    });
    expect(oauth1.json.error).toBe('invalid_client');
    const password = await tokenRequest({
      grant_type: 'password',
      client_id: CONFIDENTIAL.key,
      client_secret: CONFIDENTIAL.secret,
    });
    expect(password.json).toMatchObject({
      error: 'invalid_request',
      hint: 'Check the `grant_type` parameter',
    });
  });
});

describe('OAuth 2.0 lifetimes', () => {
  it('should expire access tokens after accessTokenTtlS, by the wiki clock', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    await start({ now: () => now, accessTokenTtlS: 2 });
    const { access, refresh: token } = await tokensFor();
    expect((await profile(access)).status).toBe(200);
    now += 2_000;
    const expired = await profile(access);
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({
      error: 'access_denied',
      hint: 'Access token could not be verified',
    });
    expect(errorCode(await api(access, { action: 'query', meta: 'userinfo' }))).toBe(
      'mwoauth-invalid-authorization',
    );
    const renewed = await refresh(token);
    expect(renewed.json.expires_in).toBe(2);
    expect((await profile(str(renewed.json, 'access_token'))).status).toBe(200);
  });

  it('should expire refresh tokens after refreshTokenTtlS (60 s by default, as MediaWiki 1.39)', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    await start({ now: () => now });
    const { refresh: token } = await tokensFor();
    now += 60_000;
    expect((await refresh(token)).json).toMatchObject({
      error: 'invalid_request',
      hint: 'Token has expired',
    });
    wiki.setTokenLifetimes({ refreshTokenTtlS: 3600 });
    const fresh = await tokensFor();
    now += 3_599_000;
    expect((await refresh(fresh.refresh)).status).toBe(200);
  });

  it('should take lifetimes at run time and refuse nonsense with a clear error', async () => {
    await start();
    wiki.setTokenLifetimes({ accessTokenTtlS: 1 });
    const code = await codeFor(CONFIDENTIAL);
    const r = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      client_id: CONFIDENTIAL.key,
      client_secret: CONFIDENTIAL.secret,
    });
    expect(r.json.expires_in).toBe(1);
    expect(() => wiki.setTokenLifetimes({ accessTokenTtlS: 0 })).toThrow(
      /accessTokenTtlS must be a whole number of seconds/,
    );
    expect(() => wiki.setTokenLifetimes({ refreshTokenTtlS: 1.5 })).toThrow(/refreshTokenTtlS/);
    await expect(startDevwiki({ accessTokenTtlS: -1 })).rejects.toThrow(/accessTokenTtlS/);
  });
});

describe('Bearer tokens on api.php and resource/profile', () => {
  it("should act as the user on api.php and tag the edit 'OAuth CID: <client id number>' (o2-11, o2-12b)", async () => {
    await start();
    const { access } = await tokensFor('Alice');
    const info = await api(access, { action: 'query', meta: 'userinfo', uiprop: 'rights' });
    const userinfo = isObject(info.query) && isObject(info.query.userinfo) ? info.query.userinfo : {};
    expect(userinfo.name).toBe('Alice');
    expect(userinfo.rights).not.toContain('viewmyprivateinfo');
    const edit = await api(
      access,
      { action: 'edit', title: 'User:Alice/sandbox', text: 'hello', token: await csrf(access) },
      true,
    );
    expect(isObject(edit.edit) ? edit.edit.result : edit).toBe('Success');
    expect(wiki.readPage('User:Alice/sandbox')).toMatchObject({
      user: 'Alice',
      tags: [`OAuth CID: ${CONFIDENTIAL.id}`],
    });
  });

  it('should answer a bad token on api.php with mwoauth-invalid-authorization, and on profile with 401 access_denied', async () => {
    await start();
    const res = await fetch(`${wiki.apiUrl}?action=query&meta=userinfo&format=json`, {
      headers: { Authorization: 'Bearer not-a-jwt' },
    });
    expect(res.headers.get('mediawiki-api-error')).toBe('mwoauth-invalid-authorization');
    const none = await fetch(`${wiki.restUrl}/oauth2/resource/profile`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({
      error: 'access_denied',
      hint: 'Missing "Authorization" header',
    });
  });

  it('should give the owner-only client a ready, non-expiring token and client_credentials, both for the owner (o2-21, o2-23)', async () => {
    let now = Date.now();
    await start({ now: () => now });
    const ready = await wiki.ownerOnlyAccessToken(OWNER.key);
    expect(await wiki.ownerOnlyAccessToken(OWNER.key)).toBe(ready);
    now += 10 * 365 * 86_400_000;
    const p = await profile(ready);
    expect(p.json).toMatchObject({ username: 'Admin', email: 'admin@example.org' });
    const cc = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: OWNER.key,
      client_secret: OWNER.secret,
    });
    expect(cc.status).toBe(200);
    expect(cc.json.refresh_token).toBeUndefined();
    const access = str(cc.json, 'access_token');
    await api(
      access,
      { action: 'edit', title: 'User:Admin/bot', text: 'bot edit', token: await csrf(access) },
      true,
    );
    // Owner-only edits carry no OAuth CID tag, as for 1.0a (fixture 31d).
    expect(wiki.readPage('User:Admin/bot')).toMatchObject({ user: 'Admin', tags: [] });
    await expect(wiki.ownerOnlyAccessToken(CONFIDENTIAL.key)).rejects.toThrow(
      /not an owner-only OAuth 2.0 client/,
    );
  });

  it("should kill the user's 2.0 access and refresh tokens of that client on revoke", async () => {
    await start();
    const alice = await tokensFor('Alice');
    const admin = await tokensFor('Admin');
    wiki.revoke('Alice', CONFIDENTIAL.key);
    expect((await profile(alice.access)).json).toMatchObject({ hint: 'Access token has been revoked' });
    expect((await refresh(alice.refresh)).json).toMatchObject({
      error: 'invalid_request',
      hint: 'Token has been revoked',
    });
    expect((await profile(admin.access)).status).toBe(200);
  });

  it('should keep the protocols apart: a 2.0 client id is no OAuth 1.0a consumer', async () => {
    await start();
    const r = await signedFetch({
      url: `${wiki.indexUrl}?title=Special:OAuth/initiate`,
      consumer: CONFIDENTIAL,
      oauth: { oauth_callback: 'oob' },
    });
    expect(r.body).toBe('Error: An error occurred in the OAuth protocol: Invalid consumer');
  });
});

describe('faults on the OAuth 2.0 endpoints', () => {
  it("should apply 'token', 'profile' and 'authorize' faults to rest.php, with its usual content types", async () => {
    await start();
    const { access } = await tokensFor();
    wiki.setFault('token', { kind: 'status', status: 503 });
    const down = await fetch(`${wiki.restUrl}/oauth2/access_token`, { method: 'POST' });
    expect(down.status).toBe(503);
    wiki.setFault('token', { kind: 'garbage' });
    const garbage = await fetch(`${wiki.restUrl}/oauth2/access_token`, { method: 'POST' });
    expect(garbage.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    wiki.setFault('profile', { kind: 'html' });
    const html = await fetch(`${wiki.restUrl}/oauth2/resource/profile`, {
      headers: { Authorization: `Bearer ${access}` },
    });
    expect(await html.text()).toContain('Internal error');
    wiki.setFault('profile', null);
    expect((await profile(access)).status).toBe(200);
    wiki.setFault('authorize', { kind: 'status', status: 502 });
    expect((await fetch(authorizeUrl(CONFIDENTIAL), { redirect: 'manual' })).status).toBe(502);
  });
});
