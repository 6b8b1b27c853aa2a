// Interop with lib/mwoauth: the real client library, unchanged, through devwiki — a whole handshake,
// identify, and ApiClient userinfo + csrf + edit; and the wiki's errors reaching the caller typed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki } from '../../devwiki';
import { ApiClient, complete, identify, initiate, isMWOAuthError, makeToken } from 'mwoauth';

const [APP, , BOT] = defaultConsumers();
if (APP === undefined || BOT === undefined) throw new Error('defaults');
const consumer = makeToken(APP.key, APP.secret);
const userAgent = 'next-mwoauth devwiki interop test/1.0 (https://example.org/contact)';

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

describe('lib/mwoauth against devwiki', () => {
  it('should log a user in, identify them and edit on their behalf', async () => {
    const callback = 'http://localhost:3000/api/mwoauth/callback?next=%2Fprofile';
    const { redirectUrl, requestToken } = await initiate(wiki.indexUrl, consumer, { callback, userAgent });
    const back = new URL(await wiki.approve(redirectUrl, 'Alice'));
    expect(back.searchParams.get('next')).toBe('/profile');
    const accessToken = await complete(wiki.indexUrl, consumer, requestToken, back.searchParams, {
      userAgent,
    });

    const identity = await identify(wiki.indexUrl, consumer, accessToken, { userAgent });
    expect(identity).toMatchObject({ iss: wiki.origin, aud: APP.key, sub: '3', username: 'Alice' });
    expect(Reflect.get(identity, 'grants')).toEqual(['basic', 'editpage', 'createeditmovepage']);

    const api = new ApiClient({ apiUrl: wiki.apiUrl, consumer, accessToken, userAgent });
    const me = await api.get({ action: 'query', meta: 'userinfo', uiprop: ['groups', 'rights'] });
    const userinfo = isRecord(me.query) ? me.query.userinfo : null;
    expect(userinfo).toMatchObject({ id: 3, name: 'Alice', groups: ['*', 'user', 'autoconfirmed'] });

    const saved = await api.post({
      action: 'edit',
      title: 'User:Alice/sandbox',
      appendtext: '\nHello from lib/mwoauth',
      summary: 'interop test',
      token: await api.getToken('csrf'),
    });
    expect(isRecord(saved.edit) ? saved.edit.result : null).toBe('Success');
    expect(wiki.readPage('User:Alice/sandbox')).toMatchObject({
      user: 'Alice',
      comment: 'interop test',
      tags: [`OAuth CID: ${APP.id}`],
      content: '\nHello from lib/mwoauth',
    });
    expect(wiki.requests.filter((r) => r.endpoint === 'api').map((r) => r.action)).toEqual([
      'query',
      'query',
      'edit',
    ]);
  });

  it('should let a bot edit with an owner-only consumer, untagged', async () => {
    const api = new ApiClient({
      apiUrl: wiki.apiUrl,
      consumer: makeToken(BOT.key, BOT.secret),
      accessToken: makeToken(BOT.accessToken?.key ?? '', BOT.accessToken?.secret ?? ''),
      userAgent,
    });
    await api.post({
      action: 'edit',
      title: 'User:Admin/sandbox',
      text: 'bot',
      token: await api.getToken('csrf'),
    });
    expect(wiki.readPage('User:Admin/sandbox')).toMatchObject({ user: 'Admin', tags: [] });
  });

  it("should surface the wiki's errors with their MediaWiki keys: replayed token, revoked access", async () => {
    const { redirectUrl, requestToken } = await initiate(wiki.indexUrl, consumer, { userAgent });
    const back = new URL(await wiki.approve(redirectUrl, 'Alice'));
    const accessToken = await complete(wiki.indexUrl, consumer, requestToken, back.searchParams, {
      userAgent,
    });
    const replay = await complete(wiki.indexUrl, consumer, requestToken, back.searchParams, {
      userAgent,
    }).catch((e: unknown) => e);
    expect(isMWOAuthError(replay) ? replay.mediawikiCode : replay).toBe(
      'mwoauthdatastore-request-token-already-used',
    );
    wiki.revoke('Alice', APP.key);
    const revoked = await identify(wiki.indexUrl, consumer, accessToken, { userAgent }).catch(
      (e: unknown) => e,
    );
    expect(isMWOAuthError(revoked) ? revoked.mediawikiCode : revoked).toBe(
      'mwoauthdatastore-access-token-not-found',
    );
  });

  it('should reject every forged identify answer', async () => {
    const { redirectUrl, requestToken } = await initiate(wiki.indexUrl, consumer, { userAgent });
    const back = new URL(await wiki.approve(redirectUrl, 'Alice'));
    const accessToken = await complete(wiki.indexUrl, consumer, requestToken, back.searchParams, {
      userAgent,
    });
    const forgeries = [
      'alg-none',
      'hs512',
      'wrong-key',
      'wrong-aud',
      'wrong-iss',
      'wrong-nonce',
      'expired',
      'stale',
      'future-iat',
      'missing-claims',
    ] as const;
    for (const forgery of forgeries) {
      wiki.setFault('identify', { kind: 'forged-identify', forgery });
      const err = await identify(wiki.indexUrl, consumer, accessToken, { userAgent }).catch(
        (e: unknown) => e,
      );
      expect(isMWOAuthError(err) ? err.code : err, forgery).toBe('invalid_identity');
    }
  });
});
