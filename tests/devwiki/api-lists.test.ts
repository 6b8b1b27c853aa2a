// action=query beyond meta=: devwiki answers MediaWiki 1.39's warnings and errors for modules it
// does not know (never an empty success), and serves list=usercontribs, list=watchlist,
// list=allpages, prop=info, generator=allpages and query continuation in MediaWiki's shapes
// (devwiki/api-lists.ts says where each comes from; fixture 11 and farm-04 record continuation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki, type DevwikiConsumer } from '../../devwiki';
import { handshake, signedFetch, type KeyPair } from './helpers';

const [PREFIX_C] = defaultConsumers();
if (PREFIX_C === undefined) throw new Error('defaults');
const PREFIX: DevwikiConsumer = PREFIX_C;
/** The prefix consumer with the viewmywatchlist grant too. */
const WATCHER: DevwikiConsumer = {
  ...PREFIX,
  id: 9,
  name: 'watchlist reader',
  key: 'dec0dedec0dedec0dedec0de00000009',
  secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0009',
  grants: [...PREFIX.grants, 'viewmywatchlist'],
};

let wiki: Devwiki;
let alice: KeyPair;
let watcher: KeyPair;
beforeAll(async () => {
  wiki = await startDevwiki({ consumers: [...defaultConsumers(), WATCHER] });
  alice = (await handshake(wiki, PREFIX, 'Alice')).accessToken;
  watcher = (await handshake(wiki, WATCHER, 'Alice')).accessToken;
  const bob = (await handshake(wiki, PREFIX, 'Bob')).accessToken;
  // Alice: Page A (new), Page B (new), Page A again; Bob: Page C.
  for (const [token, title, text] of [
    [alice, 'Page A', 'a1'],
    [alice, 'Page B', 'b1'],
    [alice, 'Page A', 'a2 longer'],
    [bob, 'Page C', 'c1'],
  ] as const) {
    const csrf = await tokenOf(token);
    const r = await api(
      PREFIX,
      token,
      { action: 'edit', title, text, summary: `edit ${text}`, token: csrf },
      'POST',
    );
    if (!JSON.stringify(r).includes('Success')) throw new Error(JSON.stringify(r));
  }
});
afterAll(async () => {
  await wiki.close();
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function api(
  c: KeyPair,
  token: KeyPair | null,
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'GET',
): Promise<Record<string, unknown> & { header: string | null }> {
  const all = { format: 'json', formatversion: '2', ...params };
  const r =
    method === 'GET'
      ? token === null
        ? await fetch(`${wiki.apiUrl}?${new URLSearchParams(all).toString()}`).then(async (res) => ({
            body: await res.text(),
            headers: res.headers,
          }))
        : await signedFetch({
            method,
            url: `${wiki.apiUrl}?${new URLSearchParams(all).toString()}`,
            consumer: c,
            token,
          })
      : await signedFetch({ url: wiki.apiUrl, consumer: c, token, form: Object.entries(all) });
  const body: unknown = JSON.parse(r.body);
  if (!isRecord(body)) throw new Error(r.body);
  return { ...body, header: r.headers.get('mediawiki-api-error') };
}

async function tokenOf(token: KeyPair): Promise<string> {
  const r = await api(PREFIX, token, { action: 'query', meta: 'tokens' });
  const t = isRecord(r.query) && isRecord(r.query.tokens) ? r.query.tokens.csrftoken : null;
  if (typeof t !== 'string') throw new Error('no token');
  return t;
}

describe('action=query with values devwiki does not know', () => {
  it('should warn about unknown list, prop and meta values as MediaWiki 1.39 does, and answer nothing else', async () => {
    const r = await api(PREFIX, alice, {
      action: 'query',
      list: 'recentchanges|nosuchlist',
      prop: 'categories',
      meta: 'siteinfo',
    });
    expect(r).toEqual({
      batchcomplete: true,
      warnings: {
        query: {
          warnings:
            'Unrecognized value for parameter "prop": categories.\n' +
            'Unrecognized values for parameter "list": recentchanges, nosuchlist.\n' +
            'Unrecognized value for parameter "meta": siteinfo.',
        },
      },
      header: null,
    });
  });

  it('should spell the warning with "*" in formatversion 1', async () => {
    const r = await api(PREFIX, alice, { action: 'query', list: 'nosuchlist', formatversion: '1' });
    expect(r.warnings).toEqual({ query: { '*': 'Unrecognized value for parameter "list": nosuchlist.' } });
  });

  it('should answer an unknown generator with the badvalue error', async () => {
    const r = await api(PREFIX, alice, { action: 'query', generator: 'categorymembers', prop: 'info' });
    expect(r.header).toBe('badvalue');
    expect(r.error).toMatchObject({
      code: 'badvalue',
      info: 'Unrecognized value for parameter "generator": categorymembers.',
    });
  });
});

describe('list=usercontribs', () => {
  it("should list a user's edits newest first with MediaWiki's default ucprop", async () => {
    const r = await api(PREFIX, alice, { action: 'query', list: 'usercontribs', ucuser: 'Alice' });
    const items = isRecord(r.query) ? r.query.usercontribs : null;
    expect(Array.isArray(items) && items.map((i) => (isRecord(i) ? i.title : null))).toEqual([
      'Page A',
      'Page B',
      'Page A',
    ]);
    expect(Array.isArray(items) ? Object.keys(items[0] ?? {}) : null).toEqual([
      'userid', 'user', 'pageid', 'revid', 'parentid', 'ns', 'title', 'timestamp', 'new', 'minor', 'top', 'comment', 'size',
    ]); // prettier-ignore
    expect(Array.isArray(items) ? items[0] : null).toMatchObject({
      user: 'Alice',
      new: false,
      top: true,
      comment: 'edit a2 longer',
      size: 9,
    });
    expect(Array.isArray(items) ? items[2] : null).toMatchObject({ new: true, top: false });
    expect(r.batchcomplete).toBe(true);
  });

  it('should continue with uccontinue and "-||" until done', async () => {
    const first = await api(PREFIX, alice, {
      action: 'query',
      list: 'usercontribs',
      ucuser: 'Alice',
      uclimit: '2',
    });
    expect(first.batchcomplete).toBe(true);
    expect(first.continue).toEqual({ uccontinue: expect.stringMatching(/^\d{14}\|\d+$/), continue: '-||' });
    const cont = isRecord(first.continue) ? first.continue : {};
    const rest = await api(PREFIX, alice, {
      action: 'query',
      list: 'usercontribs',
      ucuser: 'Alice',
      uclimit: '2',
      uccontinue: String(cont.uccontinue),
      continue: String(cont.continue),
    });
    expect(rest.continue).toBeUndefined();
    const items =
      isRecord(rest.query) && Array.isArray(rest.query.usercontribs) ? rest.query.usercontribs : [];
    expect(items.map((i) => (isRecord(i) ? i.comment : null))).toEqual(['edit a1']);
  });

  it('should require a user', async () => {
    const r = await api(PREFIX, alice, { action: 'query', list: 'usercontribs' });
    expect(r.header).toBe('missingparam');
  });
});

describe('list=watchlist', () => {
  it('should refuse a consumer without the viewmywatchlist grant with permissiondenied', async () => {
    const r = await api(PREFIX, alice, { action: 'query', list: 'watchlist' });
    expect(r.header).toBe('permissiondenied');
    expect(r.error).toMatchObject({ info: "You don't have permission to view your watchlist." });
  });

  it('should refuse an anonymous request with notloggedin', async () => {
    const r = await api(PREFIX, null, { action: 'query', list: 'watchlist' });
    expect(r.header).toBe('notloggedin');
  });

  it('should list the latest change of each page the user edited (and so watches), newest first', async () => {
    const r = await api(WATCHER, watcher, {
      action: 'query',
      list: 'watchlist',
      wlprop: 'ids|title|flags|user|comment',
    });
    const items = isRecord(r.query) && Array.isArray(r.query.watchlist) ? r.query.watchlist : [];
    expect(items).toEqual([
      expect.objectContaining({
        type: 'edit',
        title: 'Page A',
        user: 'Alice',
        comment: 'edit a2 longer',
        new: false,
      }),
      expect.objectContaining({ type: 'new', title: 'Page B', new: true }),
    ]);
    expect(Object.keys(items[0] ?? {})).toEqual([
      'type',
      'ns',
      'title',
      'pageid',
      'revid',
      'old_revid',
      'user',
      'bot',
      'new',
      'minor',
      'comment',
    ]);
  });
});

describe('list=allpages, generator=allpages and prop=info', () => {
  it('should list pages in title order and continue with apcontinue', async () => {
    const r = await api(PREFIX, alice, { action: 'query', list: 'allpages', aplimit: '2' });
    expect(r.query).toEqual({
      allpages: [
        expect.objectContaining({ ns: 0, title: 'Page A' }),
        expect.objectContaining({ ns: 0, title: 'Page B' }),
      ],
    });
    expect(r.continue).toEqual({ apcontinue: 'Page_C', continue: '-||' });
  });

  it('should run prop=info over generator=allpages, continuing with gapcontinue', async () => {
    const r = await api(PREFIX, alice, {
      action: 'query',
      generator: 'allpages',
      gaplimit: '1',
      prop: 'info',
      inprop: 'url',
    });
    expect(r.batchcomplete).toBe(true);
    expect(r.continue).toEqual({ gapcontinue: 'Page_B', continue: 'gapcontinue||' });
    const pages = isRecord(r.query) && Array.isArray(r.query.pages) ? r.query.pages : [];
    expect(pages).toEqual([
      {
        pageid: expect.any(Number),
        ns: 0,
        title: 'Page A',
        contentmodel: 'wikitext',
        pagelanguage: 'en',
        pagelanguagehtmlcode: 'en',
        pagelanguagedir: 'ltr',
        touched: expect.stringMatching(/Z$/),
        lastrevid: expect.any(Number),
        length: 9,
        fullurl: `${wiki.origin}/w/index.php/Page_A`,
        editurl: `${wiki.origin}/w/index.php?title=Page_A&action=edit`,
        canonicalurl: `${wiki.origin}/w/index.php/Page_A`,
      },
    ]);
  });

  it('should describe a missing page with prop=info', async () => {
    const r = await api(PREFIX, alice, { action: 'query', titles: 'No such page', prop: 'info' });
    expect(r.query).toEqual({
      pages: [
        {
          ns: 0,
          title: 'No such page',
          missing: true,
          contentmodel: 'wikitext',
          pagelanguage: 'en',
          pagelanguagehtmlcode: 'en',
          pagelanguagedir: 'ltr',
        },
      ],
    });
  });
});
