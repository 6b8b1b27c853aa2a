// lib/mwoauth, unchanged, against a two-wiki devwiki farm: a user logs in on the central wiki once,
// then ApiClient signs (1.0a) or authorizes (2.0 Bearer) requests to the second wiki's api.php,
// fetches each wiki's CSRF token from that wiki, and gets the farm's refusals typed by
// `mediawikiCode`. The same answers, recorded on a real farm, are replayed in
// tests/unit/mwoauth/farm-replay.test.ts; devwiki answers them as farm.test.ts checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki, type DevwikiConsumer } from '../../devwiki';
import {
  ApiClient,
  complete,
  fetchProfile,
  identify,
  initiate,
  isMWOAuthError,
  makeToken,
  type AccessToken,
  type ConsumerToken,
} from 'mwoauth';

const userAgent = 'next-mwoauth devwiki farm test/1.0 (https://example.org/contact)';
const [APP_C, , , CLIENT_C] = defaultConsumers();
if (APP_C === undefined || CLIENT_C === undefined) throw new Error('defaults');
const APP = makeToken(APP_C.key, APP_C.secret);
const CENTRAL_ONLY_C: DevwikiConsumer = {
  ...APP_C,
  id: 7,
  name: 'central wiki only',
  key: 'dec0dedec0dedec0dedec0de00000007',
  secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0007',
  wiki: 'devwiki',
};

let central: Devwiki;
let second: Devwiki;
beforeAll(async () => {
  central = await startDevwiki({ consumers: [...defaultConsumers(), CENTRAL_ONLY_C], otherWikis: [{}] });
  second = central.otherWikis[0] ?? central;
});
afterAll(async () => {
  await central.close();
});

/** The OAuth 1.0a handshake on the central wiki, as the app does it. */
async function login(consumer: ConsumerToken, user: string): Promise<AccessToken> {
  const { redirectUrl, requestToken } = await initiate(central.indexUrl, consumer, {
    callback: 'oob',
    userAgent,
  });
  const back = new URL(await central.approve(redirectUrl, user));
  return complete(central.indexUrl, consumer, requestToken, back.searchParams, { userAgent });
}

/** An OAuth 2.0 access token of the central wiki (authorization code grant). */
async function bearerFor(user: string): Promise<string> {
  const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT_C?.key ?? '', state: 's' });
  const code = new URL(
    await central.approve(`${central.restUrl}/oauth2/authorize?${q.toString()}`, user),
  ).searchParams.get('code');
  const res = await fetch(`${central.restUrl}/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      client_id: CLIENT_C?.key ?? '',
      client_secret: CLIENT_C?.secret ?? '',
    }).toString(),
  });
  const body: unknown = await res.json();
  const token = typeof body === 'object' && body !== null ? Reflect.get(body, 'access_token') : null;
  if (typeof token !== 'string') throw new Error('no access token');
  return token;
}

function userinfoName(answer: Record<string, unknown>): unknown {
  const query = answer.query;
  const info = typeof query === 'object' && query !== null ? Reflect.get(query, 'userinfo') : null;
  return typeof info === 'object' && info !== null ? Reflect.get(info, 'name') : null;
}

const apiRequests = (wiki: Devwiki): number => wiki.requests.filter((r) => r.endpoint === 'api').length;

describe('lib/mwoauth on the second wiki of a devwiki farm', () => {
  for (const scheme of ['1.0a', '2.0'] as const) {
    it(`should call the second api.php as the user and edit there with its own CSRF token (${scheme})`, async () => {
      const user = scheme === '1.0a' ? 'Alice' : 'Admin';
      const auth =
        scheme === '1.0a'
          ? { consumer: APP, accessToken: await login(APP, user) }
          : { bearer: await bearerFor(user) };
      const onSecond = new ApiClient({ apiUrl: second.apiUrl, auth, userAgent });
      const onCentral = new ApiClient({ apiUrl: central.apiUrl, auth, userAgent });
      expect(userinfoName(await onSecond.get({ action: 'query', meta: 'userinfo' }))).toBe(user);

      // Each client fetches its token from its own wiki: ApiClient keeps no token cache, so a
      // token never crosses to another wiki unless the caller carries it there.
      const centralBefore = apiRequests(central);
      const secondToken = await onSecond.getToken('csrf');
      expect(apiRequests(central)).toBe(centralBefore);
      const centralToken = await onCentral.getToken('csrf');
      expect(secondToken).not.toBe(centralToken);

      const title = `User:${user}/farm sandbox ${scheme}`;
      const edit = await onSecond.post({ action: 'edit', title, appendtext: 'hello', token: secondToken });
      expect(edit).toMatchObject({ edit: { result: 'Success' } });
      expect(second.readPage(title)?.tags).toEqual([
        `OAuth CID: ${scheme === '1.0a' ? APP_C?.id : CLIENT_C?.id}`,
      ]);
      expect(central.readPage(title)).toBeNull();

      // The central wiki's token on the second wiki: badtoken, as farm-06 records.
      const wrong = await onSecond
        .post({ action: 'edit', title, appendtext: 'no', token: centralToken })
        .catch((e: unknown) => e);
      expect(isMWOAuthError(wrong) && wrong.mediawikiCode).toBe('badtoken');
    });
  }

  it("should identify the user on the second wiki (1.0a identify, 2.0 profile) with that wiki's iss", async () => {
    const accessToken = await login(APP, 'Alice');
    const identity = await identify(second.indexUrl, APP, accessToken, { userAgent });
    expect(identity).toMatchObject({ iss: second.origin, sub: '3', username: 'Alice' });
    const profile = await fetchProfile(second.indexUrl, await bearerFor('Alice'), { userAgent });
    expect(profile).toMatchObject({ sub: '3', username: 'Alice' });
  });

  it('should get wrong-wiki for a consumer registered for the central wiki only, recognised by code (as farm-14)', async () => {
    const consumer = makeToken(CENTRAL_ONLY_C.key, CENTRAL_ONLY_C.secret);
    const accessToken = await login(consumer, 'Alice');
    const onCentral = new ApiClient({ apiUrl: central.apiUrl, consumer, accessToken, userAgent });
    expect(userinfoName(await onCentral.get({ action: 'query', meta: 'userinfo' }))).toBe('Alice');
    const onSecond = new ApiClient({ apiUrl: second.apiUrl, consumer, accessToken, userAgent });
    const e = await onSecond.get({ action: 'query', meta: 'userinfo' }).catch((err: unknown) => err);
    expect(isMWOAuthError(e) && e.mediawikiCode).toBe('mwoauth-invalid-authorization-wrong-wiki');
  });

  it('should get invalid-user for a user without an account on the second wiki, until they visit it (as farm-17, farm-21)', async () => {
    const newcomer = `Libnewcomer${Date.now()}`;
    for (const auth of [
      { consumer: APP, accessToken: await login(APP, newcomer) },
      { bearer: await bearerFor(newcomer) },
    ]) {
      const onSecond = new ApiClient({ apiUrl: second.apiUrl, auth, userAgent });
      const e = await onSecond.get({ action: 'query', meta: 'userinfo' }).catch((err: unknown) => err);
      expect(isMWOAuthError(e) && e.code).toBe('mediawiki');
      expect(isMWOAuthError(e) && e.mediawikiCode).toBe('mwoauth-invalid-authorization-invalid-user');
    }
    second.createLocalAccount(newcomer);
    const onSecond = new ApiClient({
      apiUrl: second.apiUrl,
      auth: { bearer: await bearerFor(newcomer) },
      userAgent,
    });
    expect(userinfoName(await onSecond.get({ action: 'query', meta: 'userinfo' }))).toBe(newcomer);
  });
});
