// Every recorded OAuth 2.0 exchange (o2-*) through lib/mwoauth: each answer the client consumes
// (token endpoint, resource/profile, api.php with a Bearer token) is fed back with an injected fetch
// that keeps what was sent; each gives the recorded result, or an MWOAuthError with the expected
// code, mediawikiCode and status. The authorize URL and the callback are checked against what the
// browser recorded; the approval pages only a browser sees are listed as such.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  clientCredentials,
  createAuthorization,
  exchangeCode,
  fetchProfile,
  MWOAuthError,
  refreshTokens,
  type ApiParams,
  type OAuth2Client,
  type OAuth2Tokens,
} from 'mwoauth';
import { environment, FIXTURE_DIR, type Fixture, loadFixture } from '../../support/fixtures';
import { type FakeFetch, fixtureFetch, type SeenRequest } from '../../support/mwoauth-fake-fetch';

const UA = 'next-mwoauth-tests/0.1 (https://example.org/next-mwoauth; tests@example.org)';
const MW_URI = environment.index_php;
const REDIRECT_URI = 'http://localhost:3000/api/mwoauth/callback';

function consumer(name: string): Record<string, unknown> {
  const c: unknown = environment.consumers[name];
  if (typeof c !== 'object' || c === null) throw new Error(`no consumer ${name} in _environment.json`);
  return { ...c };
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not recorded`);
  return value;
}

const CONFIDENTIAL = consumer('oauth2_confidential');
const PUBLIC = consumer('oauth2_public');
const OWNER = consumer('oauth2_owner_only');
const confidential: OAuth2Client = {
  clientId: text(CONFIDENTIAL.client_id, 'client_id'),
  clientSecret: text(CONFIDENTIAL.client_secret, 'client_secret'),
};
/** Registered as not confidential: it has a secret on record but must never send it (o2-19, o2-20). */
const publicClient: OAuth2Client = { clientId: text(PUBLIC.client_id, 'client_id'), clientSecret: null };
const ownerOnly: OAuth2Client = {
  clientId: text(OWNER.client_id, 'client_id'),
  clientSecret: text(OWNER.client_secret, 'client_secret'),
};
const OWNER_TOKEN = text(OWNER.access_token, 'owner-only access_token');

/** A field the recorder added beside request/response (authorize_url, callback_url, …). */
function extra(name: string, field: string): string {
  return text(Reflect.get(loadFixture(name), field), `${name} ${field}`);
}

function bodyJson(name: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(loadFixture(name).response.body);
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${name}: body is not JSON`);
  return { ...parsed };
}

function bearerOf(f: Fixture): string {
  return (f.request.headers.Authorization ?? '').replace(/^Bearer /, '');
}

const O2_06_TOKENS = bodyJson('o2-06-token-authorization-code-success');
const ACCESS_TOKEN = text(O2_06_TOKENS.access_token, 'o2-06 access_token');
const REFRESH_TOKEN = text(O2_06_TOKENS.refresh_token, 'o2-06 refresh_token');
/** o2-05's redirect back: the callback URL with code and state. */
const CALLBACK_O2_05 = loadFixture('o2-05-authorize-redirect-with-code').response.headers.Location ?? '';
/** The verifier of the recorded public-client login (o2-20) and the wrong one of o2-19. */
const VERIFIER_O2_20 =
  loadFixture('o2-20-public-token-pkce-success').request.body_params?.code_verifier ?? '';
const VERIFIER_O2_19 =
  loadFixture('o2-19-public-token-wrong-verifier').request.body_params?.code_verifier ?? '';
/** The confidential login's authorize request (o2-01) carried no PKCE: ours always does, with this verifier. */
const OUR_VERIFIER = 'our-pkce-verifier-for-the-confidential-login-0123456789';

/** The access-token JWT's iat, in ms: the "now" the recorded answer was made at. */
function issuedAtMs(token: string): number {
  const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  const iat: unknown = typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'iat') : null;
  return typeof iat === 'number' ? Math.floor(iat * 1000) : 0;
}

function common(
  name: string,
  fetch: FakeFetch,
  now?: number,
): { userAgent: string; fetch: FakeFetch; now: () => number } {
  return {
    userAgent: UA,
    fetch,
    now: () => now ?? issuedAtMs(text(bodyJson(name).access_token ?? '', 'now')),
  };
}

/** An api.php call as the recorded one, with a Bearer token. */
function apiCall(f: Fixture, fetch: FakeFetch, bearer: string): Promise<unknown> {
  const url = new URL(f.request.url);
  const api = new ApiClient({
    apiUrl: `${url.origin}${url.pathname}`,
    auth: { bearer },
    userAgent: UA,
    fetch,
    maxRetries: 0,
  });
  const source = f.request.method === 'POST' ? new URLSearchParams(f.request.body ?? '') : url.searchParams;
  const params: ApiParams = {};
  for (const [k, v] of source) if (k !== 'format' && k !== 'formatversion') params[k] = v;
  return f.request.method === 'POST' ? api.post(params) : api.get(params);
}

type Check = (result: unknown, f: Fixture) => void;
interface Replay {
  /** The client call that consumes the recorded answer. */
  run: (fetch: FakeFetch) => Promise<unknown>;
  /** What the client must make of it: a result check, or the error it must throw. */
  expected: { ok: Check } | { code: string; mediawikiCode: string | null; status: number | null };
  /**
   * The form body the client sends, compared with the recorded one: `same`, or the recorded one
   * plus these parameters (our authorize always sends PKCE and redirect_uri; the reference client's
   * confidential login did not), or `null` when the recorded request is another one (a GET, or a
   * grant we never send).
   */
  body: 'same' | Record<string, string> | null;
}

const ok = (check: Check): Replay['expected'] => ({ ok: check });
const mw = (mediawikiCode: string, status: number): Replay['expected'] => ({
  code: 'mediawiki',
  mediawikiCode,
  status,
});

function tokensFrom(name: string): Check {
  return (result) => {
    const recorded = bodyJson(name);
    const access = text(recorded.access_token, 'access_token');
    const tokens: OAuth2Tokens = {
      accessToken: access,
      refreshToken: typeof recorded.refresh_token === 'string' ? recorded.refresh_token : null,
      // expires_in 3600 from the answer's own time: the JWT's exp, to the second.
      expiresAt: Math.floor(issuedAtMs(access) / 1000 + 3600),
    };
    expect(result).toEqual(tokens);
  };
}

const REPLAYS: Record<string, Replay> = {
  'o2-06-token-authorization-code-success': {
    run: (fetch) =>
      exchangeCode(
        MW_URI,
        confidential,
        { state: 'st-4543bb4b5bf2', codeVerifier: OUR_VERIFIER },
        CALLBACK_O2_05,
        {
          ...common('o2-06-token-authorization-code-success', fetch),
          redirectUri: REDIRECT_URI,
        },
      ),
    expected: ok(tokensFrom('o2-06-token-authorization-code-success')),
    body: { code_verifier: OUR_VERIFIER, redirect_uri: REDIRECT_URI },
  },
  'o2-07-token-code-reused': {
    run: (fetch) =>
      exchangeCode(
        MW_URI,
        confidential,
        { state: 'st-4543bb4b5bf2', codeVerifier: OUR_VERIFIER },
        CALLBACK_O2_05,
        {
          userAgent: UA,
          fetch,
          redirectUri: REDIRECT_URI,
        },
      ),
    expected: mw('invalid_request', 400),
    body: { code_verifier: OUR_VERIFIER, redirect_uri: REDIRECT_URI },
  },
  'o2-08-token-wrong-client-secret': {
    run: (fetch) =>
      exchangeCode(
        MW_URI,
        { clientId: confidential.clientId, clientSecret: '0000000000000000000000000000000000000000' },
        { state: 's', codeVerifier: OUR_VERIFIER },
        '?code=garbage&state=s',
        { userAgent: UA, fetch, redirectUri: REDIRECT_URI },
      ),
    expected: mw('invalid_client', 401),
    body: { code_verifier: OUR_VERIFIER, redirect_uri: REDIRECT_URI },
  },
  // The recorder sent grant_type=password, which this client never sends; its answer (the grant
  // refused for this client) is what a grant the client is not registered for gets.
  'o2-08b-token-unsupported-grant-type': {
    run: (fetch) => clientCredentials(MW_URI, confidential, { userAgent: UA, fetch }),
    expected: mw('invalid_request', 400),
    body: null,
  },
  'o2-09-resource-profile': {
    run: (fetch) => fetchProfile(MW_URI, ACCESS_TOKEN, { userAgent: UA, fetch }),
    expected: ok((result) =>
      expect(result).toEqual({
        suppressed: false,
        realname: null,
        email: null,
        ...bodyJson('o2-09-resource-profile'),
      }),
    ),
    body: null,
  },
  'o2-10-resource-profile-bad-token': {
    run: (fetch) => fetchProfile(MW_URI, 'not-a-jwt', { userAgent: UA, fetch }),
    expected: mw('access_denied', 401),
    body: null,
  },
  'o2-11-api-userinfo-bearer': {
    run: (fetch) => apiCall(loadFixture('o2-11-api-userinfo-bearer'), fetch, ACCESS_TOKEN),
    expected: ok((result) => expect(result).toMatchObject({ query: { userinfo: { id: 3, name: 'Alice' } } })),
    body: null,
  },
  'o2-12-api-edit-bearer': {
    run: (fetch) => apiCall(loadFixture('o2-12-api-edit-bearer'), fetch, ACCESS_TOKEN),
    expected: ok((result) => expect(result).toMatchObject({ edit: { result: 'Success', newrevid: 8 } })),
    body: 'same',
  },
  // Recorded without a token (anyone may read the tags); replayed as the user reading them.
  'o2-12b-api-edit-tag': {
    run: (fetch) => apiCall(loadFixture('o2-12b-api-edit-tag'), fetch, ACCESS_TOKEN),
    expected: ok((result) =>
      expect(result).toMatchObject({ query: { pages: [{ revisions: [{ tags: ['OAuth CID: 4'] }] }] } }),
    ),
    body: null,
  },
  'o2-13-api-bad-bearer': {
    run: (fetch) =>
      apiCall(loadFixture('o2-13-api-bad-bearer'), fetch, bearerOf(loadFixture('o2-13-api-bad-bearer'))),
    expected: mw('mwoauth-invalid-authorization', 200),
    body: null,
  },
  'o2-14-token-refresh': {
    run: (fetch) => refreshTokens(MW_URI, confidential, REFRESH_TOKEN, common('o2-14-token-refresh', fetch)),
    expected: ok(tokensFrom('o2-14-token-refresh')),
    body: 'same',
  },
  'o2-15-token-refresh-reused': {
    run: (fetch) => refreshTokens(MW_URI, confidential, REFRESH_TOKEN, { userAgent: UA, fetch }),
    expected: mw('invalid_request', 401),
    body: 'same',
  },
  'o2-19-public-token-wrong-verifier': {
    run: (fetch) => {
      const code = loadFixture('o2-19-public-token-wrong-verifier').request.body_params?.code ?? '';
      return exchangeCode(
        MW_URI,
        publicClient,
        { state: 'pkce2', codeVerifier: VERIFIER_O2_19 },
        `?code=${code}&state=pkce2`,
        {
          userAgent: UA,
          fetch,
          redirectUri: REDIRECT_URI,
        },
      );
    },
    expected: mw('invalid_grant', 400),
    body: 'same',
  },
  'o2-20-public-token-pkce-success': {
    run: (fetch) =>
      exchangeCode(
        MW_URI,
        publicClient,
        { state: 'pkce3', codeVerifier: VERIFIER_O2_20 },
        extra('o2-20-public-token-pkce-success', 'callback_url'),
        { ...common('o2-20-public-token-pkce-success', fetch), redirectUri: REDIRECT_URI },
      ),
    expected: ok(tokensFrom('o2-20-public-token-pkce-success')),
    body: 'same',
  },
  'o2-21-owner-only-api-userinfo': {
    run: (fetch) => apiCall(loadFixture('o2-21-owner-only-api-userinfo'), fetch, OWNER_TOKEN),
    expected: ok((result) =>
      expect(result).toMatchObject({ query: { userinfo: { name: 'Admin', email: 'admin@example.org' } } }),
    ),
    body: null,
  },
  'o2-22-owner-only-profile': {
    run: (fetch) => fetchProfile(MW_URI, OWNER_TOKEN, { userAgent: UA, fetch }),
    expected: ok((result) =>
      expect(result).toEqual({ suppressed: false, ...bodyJson('o2-22-owner-only-profile') }),
    ),
    body: null,
  },
  'o2-23-owner-only-client-credentials': {
    run: (fetch) =>
      clientCredentials(MW_URI, ownerOnly, common('o2-23-owner-only-client-credentials', fetch)),
    expected: ok(tokensFrom('o2-23-owner-only-client-credentials')),
    body: 'same',
  },
};

/** Checked against the URLs the browser recorded, without a request from the client. */
const URL_CHECKS = [
  'o2-01-authorize-anonymous',
  'o2-02-authorize-redirect-to-approve',
  'o2-05-authorize-redirect-with-code',
  'o2-18-public-client-authorize-without-pkce',
];

/** Pages of the wiki only the browser sees (the approval form and its buttons, error pages without a redirect). */
const BROWSER_ONLY = [
  'o2-03-approve-page-form',
  'o2-04-approve-accept',
  'o2-16-approve-cancel',
  'o2-17-authorize-cancel-redirect',
];

const SECRETS = [
  text(CONFIDENTIAL.client_secret, 'secret'),
  text(PUBLIC.client_secret, 'secret'),
  text(OWNER.client_secret, 'secret'),
  ACCESS_TOKEN,
  REFRESH_TOKEN,
  OWNER_TOKEN,
  VERIFIER_O2_19,
  VERIFIER_O2_20,
  OUR_VERIFIER,
];

function o2FixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.startsWith('o2-') && f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

function sortedParams(body: string | null): [string, string][] {
  return [...new URLSearchParams(body ?? '')].sort(([a], [b]) => a.localeCompare(b));
}

function checkSent(name: string, f: Fixture, sent: SeenRequest, body: Replay['body']): void {
  expect(sent.headers.get('user-agent')).toBe(UA);
  if (f.request.url.includes('/rest.php/')) expect(sent.url).toBe(f.request.url);
  expect(sent.method).toBe(f.request.method);
  // No HTTP Basic client authentication: a confidential client's secret goes in the body (o2-06).
  if (f.request.url.endsWith('/access_token')) {
    expect(sent.headers.get('authorization')).toBeNull();
    expect(sent.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
  }
  if (f.request.headers.Authorization !== undefined) {
    expect(sent.headers.get('authorization')).toBe(f.request.headers.Authorization);
  }
  if (body === null) return;
  const recorded = new URLSearchParams(f.request.body ?? '');
  if (body !== 'same') for (const [k, v] of Object.entries(body)) recorded.append(k, v);
  expect(sortedParams(sent.body), name).toEqual(sortedParams(recorded.toString()));
}

let answersReplayed = 0;

describe('replaying the recorded OAuth 2.0 exchanges through the client', () => {
  it('should cover every o2-* fixture: replayed, checked against a recorded URL, or seen by a browser only', () => {
    const covered = [...Object.keys(REPLAYS), ...URL_CHECKS, ...BROWSER_ONLY].sort();
    expect(covered).toEqual(o2FixtureNames());
    expect(covered).toHaveLength(25);
  });

  for (const [name, replay] of Object.entries(REPLAYS)) {
    const e = replay.expected;
    it(`${name}: should give ${'ok' in e ? 'the recorded result' : `${e.code} ${e.mediawikiCode} (HTTP ${e.status})`}`, async () => {
      const f = loadFixture(name);
      const fetch = fixtureFetch(f);
      let result: unknown;
      try {
        result = await replay.run(fetch);
      } catch (error) {
        result = error;
      }
      expect(fetch.requests).toHaveLength(1);
      const sent = fetch.requests[0];
      if (sent === undefined) throw new Error('nothing sent');
      checkSent(name, f, sent, replay.body);
      if ('ok' in e) {
        if (result instanceof Error) throw result;
        e.ok(result, f);
      } else {
        expect(result).toBeInstanceOf(MWOAuthError);
        expect(result).toMatchObject({ code: e.code, mediawikiCode: e.mediawikiCode, status: e.status });
        const message = result instanceof Error ? result.message : '';
        for (const secret of SECRETS) expect(message).not.toContain(secret);
      }
      answersReplayed++;
    });
  }

  it('should have replayed every answer the client consumes', () => {
    console.info(
      `oauth2 replay: ${answersReplayed} answers replayed, ${URL_CHECKS.length} URLs checked, ${BROWSER_ONLY.length} browser-only`,
    );
    expect(answersReplayed).toBe(Object.keys(REPLAYS).length);
  });
});

describe('the authorize URL and the callback, against what the browser recorded', () => {
  it('o2-20: should build the recorded authorize URL byte for byte from its state, verifier and scope', async () => {
    const { redirectUrl, state, codeVerifier } = await createAuthorization(MW_URI, publicClient, {
      redirectUri: REDIRECT_URI,
      scope: ['basic', 'editpage'],
      state: 'pkce3',
      codeVerifier: VERIFIER_O2_20,
    });
    expect(redirectUrl).toBe(extra('o2-20-public-token-pkce-success', 'authorize_url'));
    expect({ state, codeVerifier }).toEqual({ state: 'pkce3', codeVerifier: VERIFIER_O2_20 });
  });

  it('o2-20: should send code_challenge = base64url(sha256(code_verifier)), the pair the wiki accepted', async () => {
    const recorded = new URL(extra('o2-20-public-token-pkce-success', 'authorize_url')).searchParams;
    const challenge = createHash('sha256').update(VERIFIER_O2_20).digest('base64url');
    expect(recorded.get('code_challenge')).toBe(challenge);
    const { redirectUrl } = await createAuthorization(MW_URI, publicClient, { redirectUri: REDIRECT_URI });
    const ours = new URL(redirectUrl).searchParams;
    expect(ours.get('code_challenge_method')).toBe('S256');
    expect(ours.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  for (const name of ['o2-01-authorize-anonymous', 'o2-02-authorize-redirect-to-approve']) {
    it(`${name}: should point at the recorded endpoint with its client_id and state, and add PKCE`, async () => {
      const recorded = new URL(loadFixture(name).request.url);
      const { redirectUrl } = await createAuthorization(MW_URI, confidential, {
        redirectUri: REDIRECT_URI,
        state: recorded.searchParams.get('state') ?? '',
      });
      const ours = new URL(redirectUrl);
      expect(`${ours.origin}${ours.pathname}`).toBe(`${recorded.origin}${recorded.pathname}`);
      for (const key of ['response_type', 'client_id', 'state']) {
        expect(ours.searchParams.get(key)).toBe(recorded.searchParams.get(key));
      }
      // Confidential clients too: PKCE always (the reference client sent none here).
      expect(ours.searchParams.get('code_challenge_method')).toBe('S256');
    });
  }

  it('o2-18: should never make the request the wiki refused (a public client without code_challenge)', async () => {
    const recorded = new URL(loadFixture('o2-18-public-client-authorize-without-pkce').request.url);
    expect(recorded.searchParams.has('code_challenge')).toBe(false);
    const { redirectUrl } = await createAuthorization(MW_URI, publicClient, { redirectUri: REDIRECT_URI });
    expect(new URL(redirectUrl).searchParams.get('client_id')).toBe(recorded.searchParams.get('client_id'));
    expect(new URL(redirectUrl).searchParams.has('code_challenge')).toBe(true);
  });

  it("o2-05: should refuse the recorded callback for another login's state, before sending anything", async () => {
    const fetch = fixtureFetch(loadFixture('o2-06-token-authorization-code-success'));
    const error = await exchangeCode(
      MW_URI,
      confidential,
      { state: 'st-another-login', codeVerifier: OUR_VERIFIER },
      CALLBACK_O2_05,
      { userAgent: UA, fetch, redirectUri: REDIRECT_URI },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'token_mismatch' });
    expect(fetch.requests).toHaveLength(0);
  });
});

describe('what the recorded errors tell the caller to do', () => {
  async function replayed(name: string): Promise<string> {
    const replay = REPLAYS[name];
    if (replay === undefined) throw new Error(name);
    const error = await replay.run(fixtureFetch(loadFixture(name))).catch((e: unknown) => e);
    return error instanceof Error ? error.message : '';
  }

  it('o2-15: should say the refresh token is dead (rotated) and the user must log in again', async () => {
    const message = await replayed('o2-15-token-refresh-reused');
    expect(message).toContain('Token has been revoked');
    expect(message).toMatch(/rotates refresh tokens.*log the user in again/i);
  });

  it('o2-19: should name the PKCE verifier', async () => {
    expect(await replayed('o2-19-public-token-wrong-verifier')).toMatch(/code_verifier.*codeVerifier/);
  });

  it('o2-07: should say a code works once', async () => {
    expect(await replayed('o2-07-token-code-reused')).toMatch(
      /Authorization code has been revoked.*works once/,
    );
  });

  it('o2-08: should point at the client ID and secret', async () => {
    expect(await replayed('o2-08-token-wrong-client-secret')).toMatch(/client ID and client secret/);
  });

  it('o2-13: should say to refresh the Bearer token, not to fix a clock or a signature', async () => {
    const message = await replayed('o2-13-api-bad-bearer');
    expect(message).toMatch(/refreshTokens/);
    expect(message).not.toMatch(/clock|signature|nonce/i);
  });

  it('o2-10: should say the access token is invalid, expired or revoked', async () => {
    expect(await replayed('o2-10-resource-profile-bad-token')).toMatch(
      /access token is invalid.*refreshTokens/,
    );
  });
});
