// The recorded answers of a real two-wiki farm (tests/fixtures/mediawiki-1.39-oauth/farm-*) fed back
// through lib/mwoauth with an injected fetch: the second wiki's refusals reach the caller as
// MWOAuthError `mediawiki` with the wiki's own code on `mediawikiCode` (what an app branches on to
// say "this app is not registered for that wiki" or "visit that wiki once"), and identify against
// the second wiki's index.php accepts that wiki's iss.
import { describe, expect, it } from 'vitest';
import { ApiClient, identify, isMWOAuthError, type ApiParams } from 'mwoauth';
import { environment, loadFixture, type Fixture } from '../../support/fixtures';
import { fixtureFetch } from '../../support/mwoauth-fake-fetch';

const UA = 'next-mwoauth-tests/0.1 (https://example.org/next-mwoauth; tests@example.org)';
const PREFIX = environment.consumers.oauth1_prefix;
/** The access token secret does not matter here: the recorded answer is replayed whatever is signed. */
const ACCESS = { key: 'd4a302cd6cd99842b16cc21bc72ac738', secret: 'not-recorded' };

/** The fixture's api.php parameters, without format and formatversion (ApiClient adds them). */
function apiParams(f: Fixture): ApiParams {
  const url = new URL(f.request.url);
  const source = f.request.method === 'POST' ? new URLSearchParams(f.request.body ?? '') : url.searchParams;
  const params: ApiParams = {};
  for (const [k, v] of source) if (k !== 'format' && k !== 'formatversion') params[k] = v;
  return params;
}

function apiUrl(f: Fixture): string {
  const url = new URL(f.request.url);
  return `${url.origin}${url.pathname}`;
}

/** Replays an api.php fixture through ApiClient, signed (1.0a) or with a Bearer token (2.0). */
async function replayApi(name: string, scheme: 'oauth1' | 'bearer'): Promise<unknown> {
  const f = loadFixture(name);
  const auth =
    scheme === 'bearer' ? { bearer: 'eyJ.recorded.elsewhere' } : { consumer: PREFIX, accessToken: ACCESS };
  const api = new ApiClient({
    apiUrl: apiUrl(f),
    auth,
    userAgent: UA,
    fetch: fixtureFetch(f),
    maxRetries: 0,
  });
  try {
    return await (f.request.method === 'POST' ? api.post(apiParams(f)) : api.get(apiParams(f)));
  } catch (e) {
    return e;
  }
}

describe('the second wiki of a farm, replayed through lib/mwoauth', () => {
  // SessionProvider::provideSessionInfo answers both protocols with the same exception, so the
  // 1.0a-recorded answers stand for the Bearer ones too.
  for (const scheme of ['oauth1', 'bearer'] as const) {
    it(`should recognise a consumer registered for another wiki by its code (farm-14, ${scheme})`, async () => {
      const e = await replayApi('farm-14-second-api-userinfo-wrong-wiki', scheme);
      expect(isMWOAuthError(e) && e.code).toBe('mediawiki');
      expect(isMWOAuthError(e) && e.mediawikiCode).toBe('mwoauth-invalid-authorization-wrong-wiki');
      expect(isMWOAuthError(e) && e.message).toContain('not valid for realcommons');
    });

    it(`should recognise a user without a local account by its code (farm-17, ${scheme})`, async () => {
      const e = await replayApi('farm-17-second-api-userinfo-no-local-account', scheme);
      expect(isMWOAuthError(e) && e.mediawikiCode).toBe('mwoauth-invalid-authorization-invalid-user');
    });

    it(`should recognise a CSRF token of another wiki as badtoken (farm-06, ${scheme})`, async () => {
      const e = await replayApi('farm-06-second-api-edit-with-central-csrf-token', scheme);
      expect(isMWOAuthError(e) && e.mediawikiCode).toBe('badtoken');
    });
  }

  it('should take the CSRF token of the second wiki from the second wiki (farm-02)', async () => {
    const f = loadFixture('farm-02-second-api-csrf-token');
    const fetch = fixtureFetch(f);
    const api = new ApiClient({
      apiUrl: apiUrl(f),
      consumer: PREFIX,
      accessToken: ACCESS,
      userAgent: UA,
      fetch,
    });
    expect(await api.getToken('csrf')).toBe('b4d3b338fb0c75314d377cf1531ade9f6b15f401+\\');
    expect(fetch.requests.map((r) => new URL(r.url).origin)).toEqual(['http://127.0.0.1:8081']);
  });

  for (const [name, code] of [
    ['farm-15-second-identify-wrong-wiki', 'mwoauth-invalid-authorization-wrong-wiki'],
    ['farm-18-second-identify-no-local-account', 'mwoauth-invalid-authorization-invalid-user'],
  ] as const) {
    it(`should report identify's ${code} on the second wiki by its code (${name.slice(0, 7)})`, async () => {
      const f = loadFixture(name);
      const indexUrl = `${new URL(f.request.url).origin}/w/index.php`;
      const e = await identify(indexUrl, PREFIX, ACCESS, { userAgent: UA, fetch: fixtureFetch(f) }).catch(
        (err: unknown) => err,
      );
      expect(isMWOAuthError(e) && e.mediawikiCode).toBe(code);
    });
  }

  it("should accept identify's JWT from the second wiki, whose iss is that wiki (farm-07)", async () => {
    const f = loadFixture('farm-07-second-identify');
    const p = f.request.authorization_oauth_params ?? {};
    const identity = await identify('http://127.0.0.1:8081/w/index.php', PREFIX, ACCESS, {
      userAgent: UA,
      fetch: fixtureFetch(f),
      nonce: () => p.oauth_nonce ?? '',
      now: () => Number(p.oauth_timestamp) * 1000,
    });
    expect(identity).toMatchObject({ iss: 'http://127.0.0.1:8081', sub: '3', username: 'Alice' });
  });
});
