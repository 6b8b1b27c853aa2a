// api.php through an OAuth 1.0a session: userinfo, tokens, edits (tagging, conflicts, protection,
// blocks) and reading pages back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki } from '../../devwiki';
import { loadFixture } from '../support/fixtures';
import { handshake, signedFetch, type KeyPair } from './helpers';

const [PREFIX_C, , OWNER_C] = defaultConsumers();
if (PREFIX_C === undefined || OWNER_C === undefined) throw new Error('defaults');
const PREFIX: KeyPair = PREFIX_C;
const OWNER: KeyPair = OWNER_C;
const OWNER_TOKEN: KeyPair = OWNER_C.accessToken ?? { key: '', secret: '' };

let wiki: Devwiki;
beforeEach(async () => {
  wiki = await startDevwiki();
});
afterEach(async () => {
  await wiki.close();
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function api(
  consumer: KeyPair,
  token: KeyPair | null,
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'GET',
): Promise<{ json: Record<string, unknown>; error: string | null }> {
  const all = { format: 'json', formatversion: '2', ...params };
  const r =
    token === null
      ? await fetch(`${wiki.apiUrl}?${new URLSearchParams(all).toString()}`)
      : method === 'GET'
        ? await signedFetch({
            method,
            url: `${wiki.apiUrl}?${new URLSearchParams(all).toString()}`,
            consumer,
            token,
          })
        : await signedFetch({ method, url: wiki.apiUrl, consumer, token, form: Object.entries(all) });
  const body = r instanceof Response ? await r.text() : r.body;
  const error =
    r instanceof Response ? r.headers.get('mediawiki-api-error') : r.headers.get('mediawiki-api-error');
  const json: unknown = JSON.parse(body);
  if (!isRecord(json)) throw new Error(`not an object: ${body}`);
  return { json, error };
}

function path(v: unknown, ...keys: Array<string | number>): unknown {
  let cur: unknown = v;
  for (const k of keys)
    cur = Array.isArray(cur) ? cur[Number(k)] : isRecord(cur) ? cur[String(k)] : undefined;
  return cur;
}

async function csrf(consumer: KeyPair, token: KeyPair): Promise<string> {
  const { json } = await api(consumer, token, { action: 'query', meta: 'tokens' });
  const t = path(json, 'query', 'tokens', 'csrftoken');
  if (typeof t !== 'string') throw new Error('no csrf token');
  return t;
}

async function edit(
  consumer: KeyPair,
  token: KeyPair,
  params: Record<string, string>,
): ReturnType<typeof api> {
  return api(consumer, token, { action: 'edit', token: await csrf(consumer, token), ...params }, 'POST');
}

describe('meta=userinfo', () => {
  it("should give the user's rights under the consumer's grants, as fixture 08, and no email without privateinfo", async () => {
    const { accessToken } = await handshake(wiki, PREFIX, 'Alice');
    const { json } = await api(PREFIX, accessToken, {
      action: 'query',
      meta: 'userinfo',
      uiprop: 'groups|rights|editcount|email|registrationdate|blockinfo',
    });
    const recorded = loadFixture('08-api-userinfo-success').response.body_json;
    expect(path(json, 'query', 'userinfo', 'rights')).toEqual(path(recorded, 'query', 'userinfo', 'rights'));
    expect(path(json, 'query', 'userinfo', 'groups')).toEqual(['*', 'user', 'autoconfirmed']);
    expect(path(json, 'query', 'userinfo', 'id')).toBe(3);
    expect(path(json, 'query', 'userinfo', 'email')).toBeUndefined();
    expect(path(json, 'query', 'userinfo', 'registrationdate')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(path(json, 'query', 'userinfo', 'blockid')).toBeUndefined();
  });

  it('should give the email to an owner-only consumer with privateinfo, with the rights of fixture 31', async () => {
    const { json } = await api(OWNER, OWNER_TOKEN, {
      action: 'query',
      meta: 'userinfo',
      uiprop: 'groups|rights|editcount|email',
    });
    const recorded = loadFixture('31-api-owner-only-userinfo').response.body_json;
    expect(path(json, 'query', 'userinfo', 'rights')).toEqual(path(recorded, 'query', 'userinfo', 'rights'));
    expect(path(json, 'query', 'userinfo', 'email')).toBe('admin@example.org');
  });

  it('should show block details for a blocked user', async () => {
    const { accessToken } = await handshake(wiki, PREFIX, 'Blocked');
    const { json } = await api(PREFIX, accessToken, {
      action: 'query',
      meta: 'userinfo',
      uiprop: 'blockinfo',
    });
    expect(path(json, 'query', 'userinfo', 'blockedby')).toBe('Admin');
    expect(path(json, 'query', 'userinfo', 'blockexpiry')).toBe('infinite');
  });

  it('should answer anonymously without an Authorization header, and fail assert=user', async () => {
    const { json } = await api(PREFIX, null, { action: 'query', meta: 'userinfo' });
    expect(path(json, 'query', 'userinfo', 'anon')).toBe(true);
    const asserted = await api(PREFIX, null, { action: 'query', meta: 'userinfo', assert: 'user' });
    expect(asserted.error).toBe('assertuserfailed');
  });
});

describe('action=edit', () => {
  it("should tag edits through a consumer 'OAuth CID: <id>', and read them back with prop=revisions", async () => {
    const { accessToken } = await handshake(wiki, PREFIX, 'Alice');
    const first = await edit(PREFIX, accessToken, {
      title: 'User:Alice/sandbox',
      text: 'one',
      summary: 'first',
    });
    expect(path(first.json, 'edit', 'result')).toBe('Success');
    expect(path(first.json, 'edit', 'new')).toBe(true);
    await edit(PREFIX, accessToken, { title: 'User:Alice/sandbox', appendtext: ' two', summary: 'second' });
    expect(wiki.readPage('User:Alice/sandbox')).toMatchObject({
      user: 'Alice',
      comment: 'second',
      tags: [`OAuth CID: ${PREFIX_C.id}`],
      content: 'one two',
    });
    const { json } = await api(PREFIX, null, {
      action: 'query',
      prop: 'revisions',
      titles: 'User:Alice/sandbox',
      rvprop: 'content|user|comment|tags|ids|timestamp',
      rvslots: 'main',
    });
    expect(path(json, 'query', 'pages', 0, 'revisions', 0, 'slots', 'main', 'content')).toBe('one two');
    expect(path(json, 'query', 'pages', 0, 'revisions', 0, 'tags')).toEqual(['OAuth CID: 1']);
  });

  it('should not tag edits through an owner-only consumer (fixture 31d)', async () => {
    await edit(OWNER, OWNER_TOKEN, { title: 'User:Admin/sandbox', text: 'bot edit' });
    expect(wiki.readPage('User:Admin/sandbox')).toMatchObject({ user: 'Admin', tags: [] });
  });

  it('should refuse an edit without a valid csrf token', async () => {
    const { accessToken } = await handshake(wiki, PREFIX, 'Alice');
    const r = await api(PREFIX, accessToken, { action: 'edit', title: 'X', text: 'y', token: '+\\' }, 'POST');
    expect(r.error).toBe('badtoken');
    expect(wiki.readPage('X')).toBeNull();
  });

  it('should report an edit conflict when the page changed after baserevid', async () => {
    const { accessToken } = await handshake(wiki, PREFIX, 'Alice');
    const first = await edit(PREFIX, accessToken, { title: 'Shared', text: 'v1' });
    const base = String(path(first.json, 'edit', 'newrevid'));
    await edit(PREFIX, accessToken, { title: 'Shared', text: 'v2' });
    const late = await edit(PREFIX, accessToken, { title: 'Shared', text: 'v3', baserevid: base });
    expect(late.error).toBe('editconflict');
    expect(wiki.readPage('Shared')?.content).toBe('v2');
  });

  it('should refuse edits to a protected page and edits by a blocked user', async () => {
    const { accessToken } = await handshake(wiki, PREFIX, 'Alice');
    wiki.protectPage('Main Page');
    expect((await edit(PREFIX, accessToken, { title: 'Main_Page', text: 'vandalism' })).error).toBe(
      'protectedpage',
    );
    wiki.blockUser('Alice');
    const blocked = await edit(PREFIX, accessToken, { title: 'User:Alice/sandbox', text: 'x' });
    expect(blocked.error).toBe('blocked');
    expect(path(blocked.json, 'error', 'info')).toBe('You have been blocked from editing.');
  });

  it('should answer API errors as recorded: HTTP 200, MediaWiki-API-Error header, code, info and docref', async () => {
    const r = await signedFetch({
      method: 'GET',
      url: `${wiki.apiUrl}?action=query&meta=userinfo&format=json&formatversion=2`,
      consumer: PREFIX,
      token: { key: 'f'.repeat(32), secret: '' },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('mediawiki-api-error')).toBe('mwoauth-invalid-authorization');
    expect(JSON.parse(r.body)).toEqual({
      error: {
        code: 'mwoauth-invalid-authorization',
        info: 'The authorization headers in your request are not valid: No approved grant was found for that authorization token.',
        docref: expect.stringContaining(`See ${wiki.apiUrl} for API usage.`),
      },
    });
  });
});
