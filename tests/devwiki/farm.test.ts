// devwiki as a two-wiki farm, against the recorded farm (tests/fixtures/mediawiki-1.39-oauth/farm-*):
// RealWiki (127.0.0.1:8080, the central wiki) is devwiki's central wiki here, RealCommons
// (127.0.0.1:8081, wiki id realcommons) its second wiki, devwiki2. Each test names the fixtures it
// replays: the same request (re-signed with devwiki's consumer for devwiki's URLs), and the recorded
// status, content type, MediaWiki-API-Error header and body (errors exactly, successes by shape).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultConsumers,
  startDevwiki,
  type Devwiki,
  type DevwikiConsumer,
  type DevwikiOptions,
} from '../../devwiki';
import { loadFixture } from '../support/fixtures';
import { decodeJwtPart, handshake, loginCookie, signedFetch, type KeyPair, type Reply } from './helpers';

const defaults = defaultConsumers();
function consumer(id: number): DevwikiConsumer {
  const c = defaults.find((x) => x.id === id);
  if (c === undefined) throw new Error(`no default consumer ${id}`);
  return c;
}
const PREFIX = consumer(1);
const CONFIDENTIAL = consumer(4);
/** Like the recorded consumer 7: registered for the central wiki only (farm-13). */
const CENTRAL_ONLY: DevwikiConsumer = {
  ...PREFIX,
  id: 7,
  name: 'devwiki app (central wiki only)',
  key: 'dec0dedec0dedec0dedec0de00000007',
  secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0007',
  wiki: 'devwiki',
};
const CENTRAL_ONLY_2: DevwikiConsumer = {
  ...CONFIDENTIAL,
  id: 8,
  name: 'devwiki OAuth 2.0 client (central wiki only)',
  key: 'dec0dedec0dedec0dedec0de00000008',
  secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0008',
  wiki: 'devwiki',
};

let central: Devwiki;
let second: Devwiki;
beforeAll(async () => {
  central = await startDevwiki({
    consumers: [...defaults, CENTRAL_ONLY, CENTRAL_ONLY_2],
    otherWikis: [{}],
  });
  const other = central.otherWikis[0];
  if (other === undefined) throw new Error('no second wiki');
  second = other;
});
afterAll(async () => {
  await central.close();
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function json(r: Reply): Record<string, unknown> {
  const v: unknown = JSON.parse(r.body);
  if (!isRecord(v)) throw new Error(`not a JSON object: ${r.body}`);
  return v;
}

/** Keys (in order) and value types, recursively: "the same shape" for success bodies. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (isRecord(v)) return Object.entries(v).map(([k, x]) => [k, shape(x)]);
  return typeof v;
}

/** A recorded body with the recorded farm's URLs and ids replaced by this farm's. */
function recordedBody(name: string): unknown {
  const body = loadFixture(name)
    .response.body.replaceAll('http://127.0.0.1:8081', second.origin)
    .replaceAll('http://127.0.0.1:8080', central.origin)
    .replaceAll('realcommons', second.wikiId)
    .replaceAll('realwiki', central.wikiId);
  return JSON.parse(body);
}

/** The recorded status, content type and MediaWiki-API-Error header of fixture `name`. */
function expectRecordedHead(r: Reply, name: string): void {
  const recorded = loadFixture(name).response;
  const header = (h: Record<string, string>, k: string): string | null =>
    Object.entries(h).find(([key]) => key.toLowerCase() === k)?.[1] ?? null;
  expect(r.status).toBe(recorded.status);
  expect(r.contentType).toBe(recorded.content_type);
  expect(r.headers.get('mediawiki-api-error')).toBe(header(recorded.headers, 'mediawiki-api-error'));
}

/** A signed api.php request on `wiki`, with the recorded fixture's query or form. */
function signedApi(
  wiki: Devwiki,
  c: KeyPair,
  token: KeyPair,
  params: Record<string, string>,
  post = false,
): Promise<Reply> {
  const q = new URLSearchParams(params).toString();
  return post
    ? signedFetch({ url: wiki.apiUrl, consumer: c, token, form: Object.entries(params) })
    : signedFetch({ method: 'GET', url: `${wiki.apiUrl}?${q}`, consumer: c, token });
}

async function bearerApi(
  wiki: Devwiki,
  access: string,
  params: Record<string, string>,
  post = false,
): Promise<Reply> {
  const q = new URLSearchParams(params).toString();
  const res = await fetch(post ? wiki.apiUrl : `${wiki.apiUrl}?${q}`, {
    method: post ? 'POST' : 'GET',
    headers: {
      Authorization: `Bearer ${access}`,
      ...(post ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: post ? q : undefined,
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    headers: res.headers,
    body: await res.text(),
  };
}

/** An OAuth 2.0 access token from the central wiki's rest.php (farm-09). */
async function centralAccessToken(c: DevwikiConsumer, user: string): Promise<string> {
  const authorize = `${central.restUrl}/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: c.key, state: 's' }).toString()}`;
  const code = new URL(await central.approve(authorize, user)).searchParams.get('code') ?? '';
  const res = await fetch(`${central.restUrl}/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      client_id: c.key,
      client_secret: c.secret,
    }).toString(),
  });
  const body: unknown = await res.json();
  if (!isRecord(body) || typeof body.access_token !== 'string') throw new Error('no access token');
  return body.access_token;
}

function queryParams(name: string): Record<string, string> {
  return loadFixture(name).request.query_params ?? {};
}

async function csrfToken(wiki: Devwiki, c: KeyPair, token: KeyPair): Promise<string> {
  const r = json(await signedApi(wiki, c, token, queryParams('farm-02-second-api-csrf-token')));
  const t = isRecord(r.query) && isRecord(r.query.tokens) ? r.query.tokens.csrftoken : null;
  if (typeof t !== 'string') throw new Error('no csrf token');
  return t;
}

describe('a devwiki farm', () => {
  it('should serve each wiki on its own port and api.php with its own wiki id', () => {
    expect(second.origin).not.toBe(central.origin);
    expect(second.apiUrl).toBe(`${second.origin}/w/api.php`);
    expect([central.wikiId, second.wikiId]).toEqual(['devwiki', 'devwiki2']);
    expect(second.otherWikis).toEqual([]);
  });

  it('should take an OAuth 1.0a token of the central wiki, signed for the second wiki (farm-01)', async () => {
    const { accessToken } = await handshake(central, PREFIX, 'Alice');
    const name = 'farm-01-second-api-userinfo-oauth1';
    const r = await signedApi(second, PREFIX, accessToken, queryParams(name));
    expectRecordedHead(r, name);
    expect(shape(json(r))).toEqual(shape(loadFixture(name).response.body_json));
    expect(json(r)).toMatchObject({ query: { userinfo: { id: 3, name: 'Alice' } } });
    // Signed for the central wiki's URL, the same request is refused there (the base string's host, fixture 20).
    const wrongHost = await signedFetch({
      method: 'GET',
      url: `${second.apiUrl}?${new URLSearchParams(queryParams(name)).toString()}`,
      consumer: PREFIX,
      token: accessToken,
      signFor: central.origin,
    });
    expect(wrongHost.headers.get('mediawiki-api-error')).toBe('mwoauth-invalid-authorization');
  });

  it('should give each wiki its own CSRF tokens and refuse the central one on the second wiki (farm-02, farm-05, farm-06)', async () => {
    const { accessToken } = await handshake(central, PREFIX, 'Alice');
    const secondToken = await csrfToken(second, PREFIX, accessToken);
    const centralToken = await csrfToken(central, PREFIX, accessToken);
    expect(secondToken).toMatch(/^[0-9a-f]+\+\\$/);
    expect(centralToken).not.toBe(secondToken);

    const name = 'farm-06-second-api-edit-with-central-csrf-token';
    const form = { ...loadFixture(name).request.body_params, token: centralToken };
    const r = await signedApi(second, PREFIX, accessToken, form, true);
    expectRecordedHead(r, name);
    expect(json(r)).toEqual(recordedBody(name));
    expect(second.readPage('User:Alice/sandbox')?.content ?? '').not.toContain('must not be saved');
    // And the other way round.
    const back = await signedApi(central, PREFIX, accessToken, { ...form, token: secondToken }, true);
    expect(back.headers.get('mediawiki-api-error')).toBe('badtoken');
  });

  it('should save an edit on the second wiki only, tagged with the central consumer id (farm-03, farm-04)', async () => {
    const { accessToken } = await handshake(central, PREFIX, 'Alice');
    const edit = 'farm-03-second-api-edit-oauth1';
    const form = {
      ...loadFixture(edit).request.body_params,
      token: await csrfToken(second, PREFIX, accessToken),
    };
    const before = await signedApi(
      second,
      PREFIX,
      accessToken,
      { ...form, title: 'User:Alice/farm', appendtext: 'first' },
      true,
    );
    expect(json(before)).toMatchObject({ edit: { result: 'Success' } });
    const r = await signedApi(second, PREFIX, accessToken, { ...form, title: 'User:Alice/farm' }, true);
    expectRecordedHead(r, edit);
    expect(shape(json(r))).toEqual(shape(loadFixture(edit).response.body_json));
    expect(central.readPage('User:Alice/farm')).toBeNull();
    expect(second.readPage('User:Alice/farm')?.tags).toEqual([`OAuth CID: ${PREFIX.id}`]);

    const tag = 'farm-04-second-api-edit-tag';
    const t = await signedApi(second, PREFIX, accessToken, {
      ...queryParams(tag),
      titles: 'User:Alice/farm',
    });
    expectRecordedHead(t, tag);
    // Two revisions and rvlimit=1: the recorded continuation (rvcontinue, "||", no batchcomplete).
    expect(shape(json(t))).toEqual(shape(loadFixture(tag).response.body_json));
    expect(json(t)).toMatchObject({ continue: { continue: '||' } });
  });

  it("should answer identify on the second wiki with that wiki's iss and the central user id (farm-07)", async () => {
    const { accessToken } = await handshake(central, PREFIX, 'Alice');
    const name = 'farm-07-second-identify';
    const r = await signedFetch({
      url: `${second.indexUrl}?title=Special%3AOAuth%2Fidentify`,
      consumer: PREFIX,
      token: accessToken,
    });
    expectRecordedHead(r, name);
    const claims = decodeJwtPart(r.body, 1);
    const recorded = decodeJwtPart(loadFixture(name).response.body, 1);
    expect(Object.keys(claims)).toEqual(Object.keys(recorded));
    expect(claims).toMatchObject({ iss: second.origin, aud: PREFIX.key, sub: '3', username: 'Alice' });
  });

  it("should take the central wiki's OAuth 2.0 access token on the second wiki (farm-09 ... farm-12)", async () => {
    const access = await centralAccessToken(CONFIDENTIAL, 'Alice');
    expect(decodeJwtPart(access, 1).iss).toBe(central.origin);

    const info = 'farm-10-second-api-userinfo-bearer';
    const r = await bearerApi(second, access, queryParams(info));
    expectRecordedHead(r, info);
    expect(shape(json(r))).toEqual(shape(loadFixture(info).response.body_json));

    const tokens = json(await bearerApi(second, access, queryParams('farm-02-second-api-csrf-token')));
    const csrf = isRecord(tokens.query) && isRecord(tokens.query.tokens) ? tokens.query.tokens.csrftoken : '';
    const edit = 'farm-11-second-api-edit-bearer';
    const e = await bearerApi(
      second,
      access,
      { ...loadFixture(edit).request.body_params, title: 'User:Alice/bearer', token: String(csrf) },
      true,
    );
    expectRecordedHead(e, edit);
    expect(json(e)).toMatchObject({ edit: { result: 'Success', title: 'User:Alice/bearer' } });
    expect(second.readPage('User:Alice/bearer')?.tags).toEqual([`OAuth CID: ${CONFIDENTIAL.id}`]);

    const profile = 'farm-12-second-rest-profile-bearer';
    const p = await fetch(`${second.restUrl}/oauth2/resource/profile`, {
      headers: { Authorization: `Bearer ${access}` },
    });
    expect(p.status).toBe(200);
    expect(p.headers.get('content-type')).toBe(loadFixture(profile).response.content_type);
    const body: unknown = await p.json();
    expect(shape(body)).toEqual(shape(loadFixture(profile).response.body_json));
  });

  it('should refuse a consumer registered for the central wiki on the second wiki, in both protocols (farm-13, farm-14, farm-15)', async () => {
    const { accessToken } = await handshake(central, CENTRAL_ONLY, 'Alice');
    const control = 'farm-13-central-api-userinfo-central-only-consumer';
    const ok = await signedApi(central, CENTRAL_ONLY, accessToken, queryParams(control));
    expect(json(ok)).toEqual(recordedBody(control));

    const name = 'farm-14-second-api-userinfo-wrong-wiki';
    const r = await signedApi(second, CENTRAL_ONLY, accessToken, queryParams(name));
    expectRecordedHead(r, name);
    expect(json(r)).toEqual(recordedBody(name));

    const identify = 'farm-15-second-identify-wrong-wiki';
    const i = await signedFetch({
      url: `${second.indexUrl}?title=Special%3AOAuth%2Fidentify`,
      consumer: CENTRAL_ONLY,
      token: accessToken,
    });
    expectRecordedHead(i, identify);
    expect(json(i)).toEqual(recordedBody(identify));

    // OAuth 2.0: SessionProvider checks the wiki for Bearer tokens too.
    const access = await centralAccessToken(CENTRAL_ONLY_2, 'Alice');
    const b = await bearerApi(second, access, queryParams(name));
    expect(json(b)).toEqual(recordedBody(name));
  });

  it('should refuse a user without a local account until they log in there (farm-16, farm-17, farm-18, farm-21)', async () => {
    const newcomer = `Farmnewcomer${Date.now()}`;
    const { accessToken } = await handshake(central, PREFIX, newcomer);
    expect(central.hasLocalAccount(newcomer)).toBe(true);
    expect(second.hasLocalAccount(newcomer)).toBe(false);

    const name = 'farm-17-second-api-userinfo-no-local-account';
    const r = await signedApi(second, PREFIX, accessToken, queryParams(name));
    expectRecordedHead(r, name);
    expect(json(r)).toEqual(recordedBody(name));

    const identify = 'farm-18-second-identify-no-local-account';
    const i = await signedFetch({
      url: `${second.indexUrl}?title=Special%3AOAuth%2Fidentify`,
      consumer: PREFIX,
      token: accessToken,
    });
    expectRecordedHead(i, identify);
    expect(json(i)).toEqual(recordedBody(identify));

    // Logging in on the second wiki once makes the account; the same token then works (farm-21).
    expect(await loginCookie(second, newcomer)).toMatch(/^devwiki2_session=/);
    expect(second.hasLocalAccount(newcomer)).toBe(true);
    const after = 'farm-21-second-api-userinfo-newcomer-after-visit';
    const a = await signedApi(second, PREFIX, accessToken, queryParams(after));
    expectRecordedHead(a, after);
    expect(shape(json(a))).toEqual(shape(loadFixture(after).response.body_json));
    expect(json(a)).toMatchObject({ query: { userinfo: { name: newcomer } } });
  });

  it("should fail the second wiki's resource/profile with HTTP 500 for a user without a local account, as REL1_39 does", async () => {
    const newcomer = `Farmbearer${Date.now()}`;
    const access = await centralAccessToken(CONFIDENTIAL, newcomer);
    const p = await fetch(`${second.restUrl}/oauth2/resource/profile`, {
      headers: { Authorization: `Bearer ${access}` },
    });
    expect(p.status).toBe(500);
    const api = await bearerApi(second, access, queryParams('farm-17-second-api-userinfo-no-local-account'));
    expect(api.headers.get('mediawiki-api-error')).toBe('mwoauth-invalid-authorization-invalid-user');
    second.createLocalAccount(newcomer);
    const again = await fetch(`${second.restUrl}/oauth2/resource/profile`, {
      headers: { Authorization: `Bearer ${access}` },
    });
    expect(again.status).toBe(200);
  });

  it('should count edits on every wiki of the farm in editcount (farm-01 note)', async () => {
    const user = `Counter${Date.now()}`;
    second.createLocalAccount(user);
    const { accessToken } = await handshake(central, PREFIX, user);
    for (const wiki of [central, second]) {
      const token = await csrfToken(wiki, PREFIX, accessToken);
      await signedApi(
        wiki,
        PREFIX,
        accessToken,
        { format: 'json', action: 'edit', title: `User:${user}/x`, text: 'x', token },
        true,
      );
    }
    const r = json(
      await signedApi(second, PREFIX, accessToken, {
        format: 'json',
        formatversion: '2',
        action: 'query',
        meta: 'userinfo',
        uiprop: 'editcount',
      }),
    );
    expect(r).toMatchObject({ query: { userinfo: { editcount: 2 } } });
  });
});

describe('starting a farm', () => {
  const start = (options: DevwikiOptions): Promise<Devwiki> => startDevwiki(options);

  it('should refuse wiki ids used twice or shaped unlike database names, naming each', async () => {
    await expect(start({ otherWikis: [{ wikiId: 'devwiki' }, { wikiId: 'Bad Id' }] })).rejects.toThrow(
      /"devwiki" is used twice.*"Bad Id" must be lower-case/,
    );
  });

  it('should refuse a consumer registered for a wiki the farm does not have', async () => {
    await expect(start({ consumers: [{ ...PREFIX, wiki: 'enwiki' }] })).rejects.toThrow(
      /"enwiki", which is not one of this farm's: devwiki/,
    );
  });

  it('should close the other wikis with the central one', async () => {
    const farm = await start({ otherWikis: [{ wikiId: 'commons' }, {}] });
    expect(farm.otherWikis.map((w) => w.wikiId)).toEqual(['commons', 'devwiki3']);
    const urls = farm.otherWikis.map((w) => w.apiUrl);
    await farm.close();
    for (const url of urls) await expect(fetch(url)).rejects.toThrow();
  });
});
