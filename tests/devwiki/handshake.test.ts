// The three-legged OAuth 1.0a handshake against devwiki over HTTP, with a small signing helper:
// tokens, nonces, timestamps, callbacks, Cancel, revocation, owner-only consumers and identify's JWT.
import { jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki, type DevwikiConsumer } from '../../devwiki';
import { loadFixture } from '../support/fixtures';
import {
  authorizeUrl,
  decodeJwtPart,
  exchange,
  handshake,
  hiddenField,
  initiate,
  loginCookie,
  signedFetch,
  tokenFrom,
  type KeyPair,
} from './helpers';

const [PREFIX_C, EXACT_C, OWNER_C] = defaultConsumers();
if (PREFIX_C === undefined || EXACT_C === undefined || OWNER_C === undefined)
  throw new Error('three defaults');
const PREFIX: KeyPair = PREFIX_C;
const EXACT: KeyPair = EXACT_C;
const OWNER: KeyPair = OWNER_C;
const OWNER_TOKEN: KeyPair = OWNER_C.accessToken ?? { key: '', secret: '' };

let wiki: Devwiki;
let open = false;
async function start(options: Parameters<typeof startDevwiki>[0] = {}): Promise<Devwiki> {
  wiki = await startDevwiki(options);
  open = true;
  return wiki;
}
afterEach(async () => {
  if (open) await wiki.close();
  open = false;
});

const identifyUrl = (w: Devwiki): string => `${w.indexUrl}?title=Special%3AOAuth%2Fidentify`;

describe('the handshake', () => {
  it('should issue a request token, redirect back with oauth_verifier then oauth_token, and exchange it', async () => {
    await start();
    const rt = await initiate(wiki, PREFIX, 'http://localhost:3000/api/mwoauth/callback');
    expect(rt.key).toMatch(/^[0-9a-f]{32}$/);
    const location = await wiki.approve(authorizeUrl(wiki, PREFIX, rt), 'Alice');
    expect(location).toMatch(
      new RegExp(
        `^http://localhost:3000/api/mwoauth/callback\\?oauth_verifier=[0-9a-f]{32}&oauth_token=${rt.key}$`,
      ),
    );
    const verifier = new URL(location).searchParams.get('oauth_verifier') ?? '';
    const reply = await exchange(wiki, PREFIX, rt, verifier);
    expect(reply.contentType).toBe('text/plain;charset=UTF-8');
    expect(reply.body).toMatch(
      /^oauth_token=[0-9a-f]{32}&oauth_token_secret=[0-9a-f]{40}&oauth_callback_confirmed=true$/,
    );
  });

  it('should spend a request token once: a second exchange is E009', async () => {
    await start();
    const rt = await initiate(wiki, PREFIX);
    const verifier =
      new URL(await wiki.approve(authorizeUrl(wiki, PREFIX, rt), 'Alice')).searchParams.get(
        'oauth_verifier',
      ) ?? '';
    expect((await exchange(wiki, PREFIX, rt, verifier)).body).toMatch(/^oauth_token=/);
    expect((await exchange(wiki, PREFIX, rt, verifier)).body).toContain('Help:OAuth/Errors#E009');
  });

  it('should forget a request token after 600 s', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    await start({ now: () => now });
    const at = (): number => Math.floor(now / 1000);
    const rt = tokenFrom(
      (
        await signedFetch({
          url: `${wiki.indexUrl}?title=Special:OAuth/initiate`,
          consumer: PREFIX,
          oauth: { oauth_callback: 'oob' },
          timestamp: at(),
        })
      ).body,
    );
    const verifier =
      new URL(await wiki.approve(authorizeUrl(wiki, PREFIX, rt), 'Alice')).searchParams.get(
        'oauth_verifier',
      ) ?? '';
    now += 601_000;
    const late = await signedFetch({
      url: `${wiki.indexUrl}?title=Special:OAuth/token`,
      consumer: PREFIX,
      token: rt,
      oauth: { oauth_verifier: verifier },
      timestamp: at(),
    });
    expect(late.body).toContain('Help:OAuth/Errors#E004');
  });

  it('should not spend the request token on a wrong verifier', async () => {
    await start();
    const rt = await initiate(wiki, PREFIX);
    const verifier =
      new URL(await wiki.approve(authorizeUrl(wiki, PREFIX, rt), 'Alice')).searchParams.get(
        'oauth_verifier',
      ) ?? '';
    expect((await exchange(wiki, PREFIX, rt, '0'.repeat(32))).body).toBe(
      'Error: The verification code provided was not valid.',
    );
    expect((await exchange(wiki, PREFIX, rt, verifier)).body).toMatch(/^oauth_token=/);
  });

  it('should give the same access token when a user authorizes again, and a new one after revocation', async () => {
    await start();
    const first = (await handshake(wiki, PREFIX, 'Alice')).accessToken;
    const again = (await handshake(wiki, PREFIX, 'Alice')).accessToken;
    expect(again).toEqual(first);
    wiki.revoke('Alice', PREFIX.key);
    const revoked = await signedFetch({ url: identifyUrl(wiki), consumer: PREFIX, token: first });
    expect(JSON.parse(revoked.body)).toEqual({
      error: 'mwoauthdatastore-access-token-not-found',
      message: 'No approved grant was found for that authorization token.',
    });
    const fresh = (await handshake(wiki, PREFIX, 'Alice')).accessToken;
    expect(fresh.key).not.toBe(first.key);
  });

  it('should revoke through Special:OAuthManageMyGrants like a person would', async () => {
    await start();
    const { accessToken } = await handshake(wiki, PREFIX, 'Alice');
    const cookie = await loginCookie(wiki, 'Alice');
    const page = await (
      await fetch(`${wiki.indexUrl}/Special:OAuthManageMyGrants`, { headers: { Cookie: cookie } })
    ).text();
    const action = /action="([^"]*\/revoke\/\d+)"/.exec(page)?.[1] ?? '';
    expect(page).toContain(PREFIX_C.name);
    const res = await fetch(new URL(action, wiki.origin), {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        wpEditToken: hiddenField(page, 'wpEditToken') ?? '',
        renounce: 'Deauthorize',
      }).toString(),
    });
    expect(await res.text()).toContain("The application's access to your account has been revoked.");
    const after = await signedFetch({ url: identifyUrl(wiki), consumer: PREFIX, token: accessToken });
    expect(after.body).toContain('mwoauthdatastore-access-token-not-found');
  });

  it('should show a page on Cancel, never redirect, and leave the request token unauthorized', async () => {
    await start();
    const rt = await initiate(wiki, PREFIX);
    const cookie = await loginCookie(wiki, 'Alice');
    const form = await (await fetch(authorizeUrl(wiki, PREFIX, rt), { headers: { Cookie: cookie } })).text();
    const res = await fetch(`${wiki.indexUrl}/Special:OAuth/authorize`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        title: 'Special:OAuth/authorize',
        wpEditToken: hiddenField(form, 'wpEditToken') ?? '',
        consumerKey: PREFIX.key,
        requestToken: rt.key,
        cancel: 'Cancel',
      }).toString(),
      redirect: 'manual',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain(
      `You have chosen not to allow "${PREFIX_C.name}" to access your account.`,
    );
    expect((await exchange(wiki, PREFIX, rt, '0'.repeat(32))).body).toBe(
      'Error: No token was found matching your request.',
    );
  });

  it('should send an anonymous visitor to Special:UserLogin and back to the form after logging in', async () => {
    await start();
    const rt = await initiate(wiki, PREFIX);
    const url = `${wiki.indexUrl}/Special:OAuth/authenticate?oauth_token=${rt.key}&oauth_consumer_key=${PREFIX.key}`;
    const anon = await fetch(url, { redirect: 'manual' });
    expect(anon.status).toBe(302);
    const login = new URL(anon.headers.get('location') ?? '');
    expect(login.searchParams.get('returnto')).toBe('Special:OAuth/authenticate');
    expect(login.searchParams.get('returntoquery')).toBe(
      `oauth_token=${rt.key}&oauth_consumer_key=${PREFIX.key}`,
    );
    expect(login.searchParams.get('warning')).toBe('mwoauth-login-required-reason');
    const loginPage = await (await fetch(login)).text();
    expect(loginPage).toContain('name="wpName"');
    expect(loginPage).toContain('name="wpPassword"');
    expect(loginPage).toContain('local development wiki');
    const posted = await fetch(`${wiki.indexUrl}?title=Special:UserLogin`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        wpName: 'Newcomer 42',
        wpPassword: 'anything',
        returnto: login.searchParams.get('returnto') ?? '',
        returntoquery: login.searchParams.get('returntoquery') ?? '',
      }).toString(),
      redirect: 'manual',
    });
    const back = posted.headers.get('location') ?? '';
    const cookie = (posted.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const form = await (await fetch(back, { headers: { Cookie: cookie } })).text();
    expect(form).toContain(
      "<form id='mw-mwoauth-authorize-form' action='/w/index.php/Special:OAuth/authenticate'",
    );
    expect(form).toContain('Hi Newcomer 42,');
    expect(hiddenField(form, 'requestToken')).toBe(rt.key);
  });

  it('should let an approve() caller know when the wiki shows an error instead of the form', async () => {
    await start();
    await expect(
      wiki.approve(`${wiki.indexUrl}?title=Special:OAuth/authorize&oauth_token=${'0'.repeat(32)}`, 'Alice'),
    ).rejects.toThrow(/did not show the authorize form.*Unknown OAuth key, E006/);
  });

  it('should record every request, so a test can tell that nothing reached the token endpoint', async () => {
    await start();
    const rt = await initiate(wiki, PREFIX);
    await wiki.approve(authorizeUrl(wiki, PREFIX, rt), 'Alice');
    const endpoints = wiki.requests.map((r) => r.endpoint);
    expect(endpoints).toEqual(['initiate', 'login', 'authorize', 'authorize']);
    expect(endpoints).not.toContain('token');
    expect(wiki.requests[0]).toMatchObject({ method: 'POST', title: 'Special:OAuth/initiate' });
  });
});

describe('signatures, timestamps and nonces', () => {
  it('should accept the OAuth parameters in the header, the query string or a form body, but refuse PLAINTEXT', async () => {
    await start();
    const url = `${wiki.indexUrl}?title=Special:OAuth/initiate`;
    for (const placement of ['header', 'query', 'body'] as const) {
      const r = await signedFetch({ url, consumer: PREFIX, oauth: { oauth_callback: 'oob' }, placement });
      expect(r.body, placement).toMatch(/^oauth_token=/);
    }
    const plain = await signedFetch({
      url,
      consumer: PREFIX,
      oauth: { oauth_callback: 'oob' },
      signatureMethod: 'PLAINTEXT',
    });
    expect(plain.body).toContain('Signature method &#039;PLAINTEXT&#039; not supported');
  });

  it('should build the base string from its own origin and ignore the Host header', async () => {
    await start();
    const url = `${wiki.indexUrl}?title=Special:OAuth/initiate`;
    const viaOtherHost = await signedFetch({
      url,
      consumer: PREFIX,
      oauth: { oauth_callback: 'oob' },
      headers: { Host: 'wiki.example.org' },
    });
    expect(viaOtherHost.body).toMatch(/^oauth_token=/);
    const signedForLocalhost = await signedFetch({
      url,
      consumer: PREFIX,
      oauth: { oauth_callback: 'oob' },
      signFor: wiki.origin.replace('127.0.0.1', 'localhost'),
    });
    expect(signedForLocalhost.body).toBe('Error: An error occurred in the OAuth protocol: Invalid signature');
  });

  it('should refuse a nonce used before by the same consumer and token, whatever the timestamp', async () => {
    await start();
    const { accessToken } = await handshake(wiki, PREFIX);
    const api = `${wiki.apiUrl}?action=query&meta=userinfo&format=json&formatversion=2`;
    const ts = Math.floor(Date.now() / 1000);
    const first = await signedFetch({
      method: 'GET',
      url: api,
      consumer: PREFIX,
      token: accessToken,
      nonce: 'n-1',
      timestamp: ts,
    });
    expect(first.headers.get('mediawiki-api-error')).toBeNull();
    const again = await signedFetch({
      method: 'GET',
      url: api,
      consumer: PREFIX,
      token: accessToken,
      nonce: 'n-1',
      timestamp: ts + 1,
    });
    expect(again.headers.get('mediawiki-api-error')).toBe('mwoauth-invalid-authorization');
    expect(again.body).toContain('Nonce already used: n-1');
    const otherToken = await signedFetch({
      url: `${wiki.indexUrl}?title=Special:OAuth/initiate`,
      consumer: PREFIX,
      oauth: { oauth_callback: 'oob' },
      nonce: 'n-1',
    });
    expect(otherToken.body).toMatch(/^oauth_token=/);
  });

  it('should accept a clock 290 s off and refuse one 310 s off, before checking the signature', async () => {
    await start();
    const url = `${wiki.indexUrl}?title=Special:OAuth/initiate`;
    wiki.setClockOffset(290);
    expect((await signedFetch({ url, consumer: PREFIX, oauth: { oauth_callback: 'oob' } })).body).toMatch(
      /^oauth_token=/,
    );
    wiki.setClockOffset(-310);
    const stale = await signedFetch({
      url,
      consumer: { key: PREFIX.key, secret: 'wrong' },
      oauth: { oauth_callback: 'oob' },
    });
    expect(stale.body).toMatch(
      /^Error: An error occurred in the OAuth protocol: Expired timestamp, yours \d+, ours \d+$/,
    );
  });
});

describe('callbacks (fixtures 23-24e, 27)', () => {
  const registered = 'http://localhost:3000/api/mwoauth/callback';
  const cases: Array<[string, string, string | null, boolean]> = [
    ['prefix', registered, 'oob', true],
    ['prefix', registered, registered, true],
    ['prefix', registered, `${registered}?returnTo=%2Fdashboard`, true],
    ['prefix', registered, 'https://localhost:3000/api/mwoauth/callback/extra?state=xyz', true],
    ['prefix', registered, 'http://evil.example.org/api/mwoauth/callback', false],
    ['prefix', registered, 'http://localhost:4000/api/mwoauth/callback', false],
    ['prefix', registered, 'http://localhost:3000/api/other', false],
    ['prefix', registered, null, false],
    ['prefix', 'https://tool.example.org/cb', 'http://tool.example.org/cb', false],
    ['prefix', 'http://localhost:1/cb', 'http://localhost:4567/cb/deeper', true],
    ['prefix', 'http://localhost:3000/cb?app=1', 'http://localhost:3000/cb?app=1&state=2', true],
    ['prefix', 'http://localhost:3000/cb?app=1', 'http://localhost:3000/cb/more?app=1', false],
    ['exact', registered, 'oob', true],
    ['exact', registered, registered, false],
    ['exact', registered, null, false],
  ];

  it.each(cases)(
    'a %s consumer registered for %s should %s accept oauth_callback=%s',
    async (kind, callbackUrl, callback, ok) => {
      const consumer: DevwikiConsumer = {
        id: 9,
        name: 'callback test',
        key: 'k'.repeat(32),
        secret: 's'.repeat(40),
        callbackUrl,
        callbackIsPrefix: kind === 'prefix',
        grants: ['basic'],
        ownerOnly: false,
      };
      await start({ consumers: [consumer] });
      const r = await signedFetch({
        url: `${wiki.indexUrl}?title=Special:OAuth/initiate`,
        consumer,
        oauth: callback === null ? {} : { oauth_callback: callback },
      });
      if (ok) expect(r.body).toMatch(/^oauth_token=/);
      else
        expect(r.body).toMatch(
          kind === 'prefix'
            ? /^Error: oauth_callback must be set.*or the configured callback must be a prefix/
            : /^Error: oauth_callback must be set, and must be set to &quot;oob&quot; \(case-sensitive\)$/,
        );
    },
  );

  it('should send oob to the registered callback, and append with & to a callback that has a query', async () => {
    await start();
    const oob = await initiate(wiki, EXACT, 'oob');
    expect(await wiki.approve(authorizeUrl(wiki, EXACT, oob), 'Alice')).toMatch(
      /^http:\/\/localhost:3000\/api\/mwoauth\/callback\?oauth_verifier=/,
    );
    const withQuery = await initiate(
      wiki,
      PREFIX,
      'http://localhost:3000/api/mwoauth/callback?next=%2Fsandbox',
    );
    expect(await wiki.approve(authorizeUrl(wiki, PREFIX, withQuery), 'Alice')).toMatch(
      /^http:\/\/localhost:3000\/api\/mwoauth\/callback\?next=%2Fsandbox&oauth_verifier=[0-9a-f]{32}&oauth_token=[0-9a-f]{32}$/,
    );
  });
});

describe('owner-only consumers', () => {
  it('should refuse initiate with E010 but answer identify and the API with the fixed access token', async () => {
    await start();
    const r = await signedFetch({
      url: `${wiki.indexUrl}?title=Special:OAuth/initiate`,
      consumer: OWNER,
      oauth: { oauth_callback: 'oob' },
    });
    expect(r.body).toContain('is an owner-only Connected App');
    expect(r.body).toContain('Help:OAuth/Errors#E010');
    const id = await signedFetch({ url: identifyUrl(wiki), consumer: OWNER, token: OWNER_TOKEN });
    const claims = decodeJwtPart(id.body, 1);
    expect(claims.username).toBe('Admin');
    expect(claims.email).toBe('admin@example.org');
    expect(Object.keys(claims).slice(-3)).toEqual(['realname', 'email', 'nonce']);
  });
});

describe("identify's JWT", () => {
  it('should have the header, claims, claim order and types of fixture 07, signed HS256 with the consumer secret', async () => {
    await start();
    const { accessToken } = await handshake(wiki, PREFIX, 'Alice');
    const nonce = 'identify-nonce-1';
    const r = await signedFetch({ url: identifyUrl(wiki), consumer: PREFIX, token: accessToken, nonce });
    expect(r.contentType).toBe('application/json');
    const recorded = loadFixture('07-identify-success').jwt;
    if (recorded === undefined) throw new Error('fixture 07 has its JWT decoded');
    expect(decodeJwtPart(r.body, 0)).toEqual(recorded.header);
    const { payload, protectedHeader } = await jwtVerify(r.body, new TextEncoder().encode(PREFIX_C.secret), {
      algorithms: ['HS256'],
      issuer: wiki.origin,
      audience: PREFIX.key,
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(Object.keys(payload)).toEqual(Object.keys(recorded.payload));
    expect(payload.exp).toBe((payload.iat ?? 0) + 100);
    expect(payload.sub).toBe('3');
    expect(payload.nonce).toBe(nonce);
    expect(payload.grants).toEqual(recorded.payload.grants);
    expect(payload.rights).toEqual(recorded.payload.rights);
    expect(payload.groups).toEqual(recorded.payload.groups);
    expect(payload).not.toHaveProperty('email');
    expect(payload.registered).toMatch(/^\d{14}$/);
  });

  it('should say a blocked user is blocked', async () => {
    await start();
    const { accessToken } = await handshake(wiki, PREFIX, 'Blocked');
    const claims = decodeJwtPart(
      (await signedFetch({ url: identifyUrl(wiki), consumer: PREFIX, token: accessToken })).body,
      1,
    );
    expect(claims.blocked).toBe(true);
  });

  it('should carry every right given with setUserRights, in order, for a new user and for Alice', async () => {
    await start();
    const many = Array.from({ length: 200 }, (_, i) => `right-${i}`);
    wiki.setUserRights('Many rights', many);
    wiki.setUserRights('Alice', ['read', 'edit']);
    for (const [user, rights] of [
      ['Many rights', many],
      ['Alice', ['read', 'edit']],
    ] as const) {
      const { accessToken } = await handshake(wiki, PREFIX, user);
      const r = await signedFetch({ url: identifyUrl(wiki), consumer: PREFIX, token: accessToken });
      const claims = decodeJwtPart(r.body, 1);
      expect(claims.username).toBe(user);
      expect(claims.rights).toEqual(rights);
    }
    expect(() => wiki.setUserRights('a|b', [])).toThrow(/not a valid user name/);
  });
});
