// Conformance: every recorded OAuth 1.0a exchange (tests/fixtures/mediawiki-1.39-oauth), replayed
// against devwiki — re-signed with a fresh nonce and timestamp for devwiki's origin, with devwiki set
// up with the recorded consumers' keys and secrets and the recorded tokens mapped onto tokens made in
// devwiki — must get the recorded status, content type and body shape (same error key and text).
import { afterEach, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '../../devwiki';
import { formPairs, type Pair } from '../../devwiki/oauth1';
import { environment, loadFixture, oauth1FixtureNames, type Fixture } from '../support/fixtures';
import {
  authorizeUrl,
  decodeJwtPart,
  exchange,
  freshNonce,
  handshake,
  hiddenField,
  initiate,
  loginCookie,
  reply,
  signedFetch,
  type KeyPair,
  type Reply,
} from './helpers';

const env = environment.consumers;
const PREFIX: KeyPair = { key: env.oauth1_prefix.key, secret: env.oauth1_prefix.secret };
const EXACT: KeyPair = { key: env.oauth1_exact.key, secret: env.oauth1_exact.secret };
const OWNER: KeyPair = { key: env.oauth1_owner_only.key, secret: env.oauth1_owner_only.secret };
const RECORDED_CALLBACK = env.oauth1_prefix.callback_url ?? '';

/** The recorded wiki's consumers, with their keys and secrets, so the recorded requests apply as they are. */
const FIXTURE_CONSUMERS: DevwikiConsumer[] = [
  {
    id: env.oauth1_prefix.id,
    name: env.oauth1_prefix.name,
    ...PREFIX,
    callbackUrl: RECORDED_CALLBACK,
    callbackIsPrefix: true,
    grants: env.oauth1_prefix.grants,
    ownerOnly: false,
  },
  {
    id: env.oauth1_exact.id,
    name: env.oauth1_exact.name,
    ...EXACT,
    callbackUrl: env.oauth1_exact.callback_url ?? '',
    callbackIsPrefix: false,
    grants: env.oauth1_exact.grants,
    ownerOnly: false,
  },
  {
    id: env.oauth1_owner_only.id,
    name: env.oauth1_owner_only.name,
    ...OWNER,
    callbackUrl: '',
    callbackIsPrefix: false,
    grants: env.oauth1_owner_only.grants,
    ownerOnly: true,
    owner: env.oauth1_owner_only.owner ?? 'Admin',
    accessToken: {
      key: env.oauth1_owner_only.access_token ?? '',
      secret: env.oauth1_owner_only.access_secret ?? '',
    },
  },
];

const SECRETS = new Map(FIXTURE_CONSUMERS.map((c) => [c.key, c.secret]));
const STANDARD_OAUTH = new Set([
  'oauth_consumer_key',
  'oauth_nonce',
  'oauth_signature_method',
  'oauth_timestamp',
  'oauth_version',
  'oauth_token',
  'oauth_signature',
]);

/** Not replayed, each with the reason. Everything else in oauth1FixtureNames() is. */
const SKIPPED: Record<string, string> = {
  '11-api-edit-attribution-and-tag':
    'it also queries list=recentchanges with query continuation, which devwiki does not implement; the ' +
    "'OAuth CID: <id>' tag it records is checked through prop=revisions in api.test.ts",
};

let wiki: Devwiki;
let open = false;
afterEach(async () => {
  if (open) await wiki.close();
  open = false;
});

async function freshWiki(): Promise<Devwiki> {
  wiki = await startDevwiki({ consumers: FIXTURE_CONSUMERS });
  open = true;
  return wiki;
}

interface ReplayOptions {
  /** The token to sign with, in place of the recorded oauth_token. */
  token?: KeyPair;
  /** Exact-value replacements for recorded query, body and oauth values (recorded token -> devwiki's). */
  values?: Record<string, string>;
  /** Substring replacements for the path and the title parameter. */
  substrings?: Array<[string, string]>;
  consumerSecret?: string;
  timestampOffset?: number;
  timestamp?: number;
  nonce?: string;
  signFor?: string;
  cookie?: string;
}

function recordedOAuth(
  f: Fixture,
): { params: Record<string, string>; placement: 'header' | 'query' | 'body' } | null {
  if (f.request.authorization_oauth_params !== undefined) {
    return { params: f.request.authorization_oauth_params, placement: 'header' };
  }
  const pick = (o: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => k.startsWith('oauth_')));
  const q = pick(f.request.query_params);
  // A browser's authorize URL carries oauth_token and oauth_consumer_key too, but is not signed.
  if ('oauth_signature' in q) return { params: q, placement: 'query' };
  const b = pick(f.request.body_params);
  if ('oauth_signature' in b) return { params: b, placement: 'body' };
  return null;
}

/** Sends fixture `name`'s request to devwiki, re-signed, with recorded values mapped as given. */
async function replay(name: string, o: ReplayOptions = {}): Promise<Reply> {
  const f = loadFixture(name);
  const url = new URL(f.request.url);
  const sub = (s: string): string =>
    (o.substrings ?? []).reduce((acc, [from, to]) => acc.split(from).join(to), s);
  const val = (v: string): string => o.values?.[v] ?? sub(v);
  const path = sub(url.pathname);
  const oauth = recordedOAuth(f);
  const notOAuth = ([k]: Pair): boolean => !k.startsWith('oauth_');
  const query = formPairs(url.search.slice(1))
    .filter((pair) => oauth?.placement !== 'query' || notOAuth(pair))
    .map(([k, v]): Pair => [k, val(v)]);
  const form = formPairs(f.request.body ?? '')
    .filter((pair) => oauth?.placement !== 'body' || notOAuth(pair))
    .map(([k, v]): Pair => [k, val(v)]);
  const origin = wiki.origin;
  const target = `${origin}${path}${query.length === 0 ? '' : '?' + new URLSearchParams(query.map(([k, v]) => [k, v])).toString()}`;
  const method = f.request.method === 'GET' ? 'GET' : 'POST';
  const headers: Record<string, string> = o.cookie === undefined ? {} : { Cookie: o.cookie };
  if (oauth === null) {
    const res = await fetch(target, {
      method,
      headers:
        method === 'POST' ? { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' } : headers,
      body: method === 'POST' ? new URLSearchParams(form.map(([k, v]) => [k, v])).toString() : undefined,
      redirect: 'manual',
    });
    return reply(res);
  }
  const p = oauth.params;
  if (p.oauth_signature === undefined) {
    // Fixture 19: a header with nothing but the consumer key, sent as recorded.
    const raw =
      Object.entries(f.request.headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1] ?? '';
    return reply(await fetch(target, { headers: { Authorization: raw }, redirect: 'manual' }));
  }
  const consumerKey = p.oauth_consumer_key ?? '';
  const extras = Object.fromEntries(
    Object.entries(p)
      .filter(([k]) => !STANDARD_OAUTH.has(k))
      .map(([k, v]) => [k, val(v)]),
  );
  const token = o.token ?? (p.oauth_token === undefined ? null : { key: val(p.oauth_token), secret: '' });
  return signedFetch({
    method,
    url: target,
    consumer: {
      key: consumerKey,
      secret: o.consumerSecret ?? SECRETS.get(consumerKey) ?? 'not-a-registered-consumer',
    },
    token,
    oauth: extras,
    form: method === 'POST' ? form : null,
    placement: oauth.placement,
    nonce: o.nonce ?? freshNonce(),
    timestamp: o.timestamp ?? Math.floor(Date.now() / 1000) + (o.timestampOffset ?? 0),
    signatureMethod: p.oauth_signature_method,
    signFor: o.signFor ?? wiki.origin,
  });
}

// --- comparison -------------------------------------------------------------------------------------

function normalize(s: string): string {
  return s
    .split(wiki.origin)
    .join('<server>')
    .split(environment.server)
    .join('<server>')
    .replace(/(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])/g, '<hex40>')
    .replace(/(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])/g, '<hex32>')
    .replace(/\d{10}/g, '<ts>');
}

/** Keys (in order) and value types, recursively: what "the same body shape" means for success bodies. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (typeof v === 'object' && v !== null) return Object.entries(v).map(([k, x]) => [k, shape(x)]);
  return typeof v;
}

/**
 * MediaWiki writes `batchcomplete` when nothing is left to fetch and a `continue` block otherwise; the
 * recorded wiki had older revisions to page through (fixture 31d), devwiki's fresh one has none. Both
 * are left out of the comparison: devwiki does not implement query continuation.
 */
function withoutContinue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'continue' && k !== 'batchcomplete'));
}

function visibleText(html: string): string {
  const start = html.indexOf('<div id="mw-content-text">');
  const region = start === -1 ? html : html.slice(start);
  return normalizeText(region.replace(/<[^>]+>/g, ' '));
}

function normalizeText(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#039;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/RealWiki/g, 'devwiki')
    .replace(/\s+/g, ' ')
    .replace(/ \./g, '.')
    .trim();
}

interface RecordedForm {
  id: string;
  action: string;
  method: string;
  fields: Array<{ name: string; value: string }>;
  buttons: Array<{ name: string; value: string }>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expectSameHtml(f: Fixture, actual: Reply): void {
  const summary: unknown = Reflect.get(f.response, 'body_summary');
  if (!isRecord(summary)) throw new Error(`${f.name}: no body_summary`);
  if (typeof summary.title !== 'string') return; // a redirect: compared by Location
  expect(/<title>([^<]*)<\/title>/.exec(actual.body)?.[1], 'title').toBe(normalizeText(summary.title));
  expect(/<h1 id="firstHeading">([^<]*)<\/h1>/.exec(actual.body)?.[1], 'heading').toBe(summary.firstHeading);
  expect(visibleText(actual.body), 'page text').toBe(normalizeText(String(summary.content_text)));
  for (const text of Array.isArray(summary.error_texts) ? summary.error_texts : []) {
    expect(visibleText(actual.body)).toContain(String(text));
  }
  const forms = Array.isArray(summary.forms) ? summary.forms.filter(isRecord) : [];
  for (const raw of forms) {
    const form: RecordedForm = {
      id: String(raw.id),
      action: String(raw.action),
      method: String(raw.method),
      fields: Array.isArray(raw.fields)
        ? raw.fields.filter(isRecord).map((x) => ({ name: String(x.name), value: String(x.value) }))
        : [],
      buttons: Array.isArray(raw.buttons)
        ? raw.buttons.filter(isRecord).map((x) => ({ name: String(x.name), value: String(x.value) }))
        : [],
    };
    const html = new RegExp(
      `<form id='${form.id}' action='${form.action}' method='${form.method.toLowerCase()}'[\\s\\S]*?</form>`,
    ).exec(actual.body)?.[0];
    expect(html, `form ${form.id} posting to ${form.action}`).toBeDefined();
    for (const field of form.fields) {
      expect(normalize(hiddenField(html ?? '', field.name) ?? '(missing)'), `field ${field.name}`).toBe(
        normalize(field.value),
      );
    }
    for (const b of form.buttons) {
      expect(html).toContain(`<button type='submit' name='${b.name}' value='${b.value}'>`);
    }
  }
}

function expectSameReply(name: string, actual: Reply): void {
  const f = loadFixture(name);
  const recorded = f.response;
  expect(actual.status, 'status').toBe(recorded.status);
  expect(actual.contentType, 'content type').toBe(recorded.content_type);
  const location = Object.entries(recorded.headers).find(([k]) => k.toLowerCase() === 'location')?.[1];
  if (location !== undefined) {
    expect(normalize(actual.headers.get('location') ?? ''), 'Location').toBe(normalize(location));
    return;
  }
  const apiError = Object.entries(recorded.headers).find(
    ([k]) => k.toLowerCase() === 'mediawiki-api-error',
  )?.[1];
  expect(actual.headers.get('mediawiki-api-error') ?? undefined, 'MediaWiki-API-Error').toBe(apiError);
  const type = recorded.content_type ?? '';
  if (type.startsWith('text/html')) return expectSameHtml(f, actual);
  if (f.jwt !== undefined) {
    expect(decodeJwtPart(actual.body, 0)).toEqual(f.jwt.header);
    expect(shape(decodeJwtPart(actual.body, 1))).toEqual(shape(f.jwt.payload));
    return;
  }
  const isError = recorded.body.startsWith('Error: ') || /^\{"error"/.test(recorded.body);
  if (type.startsWith('text/plain') || isError) {
    expect(normalize(actual.body), 'body').toBe(normalize(recorded.body));
    return;
  }
  const body: unknown = JSON.parse(actual.body);
  expect(shape(withoutContinue(body)), 'body shape').toEqual(shape(withoutContinue(recorded.body_json)));
}

// --- the scenarios ----------------------------------------------------------------------------------

const rec = (name: string): Fixture => loadFixture(name);
const recordedBody = (name: string, field: string): string =>
  formPairs(rec(name).request.body ?? '').find(([k]) => k === field)?.[1] ?? '';

async function approvedRequestToken(
  consumer: KeyPair = PREFIX,
  user = 'Alice',
): Promise<{ rt: KeyPair; verifier: string }> {
  const rt = await initiate(wiki, consumer, consumer === PREFIX ? RECORDED_CALLBACK : 'oob');
  const cb = new URL(await wiki.approve(authorizeUrl(wiki, consumer, rt), user));
  return { rt, verifier: cb.searchParams.get('oauth_verifier') ?? '' };
}

async function aliceAccess(): Promise<KeyPair> {
  return (await handshake(wiki, PREFIX, 'Alice')).accessToken;
}

/** Opens the authorize form as `user` and presses a button, mapping the recorded fixture's values. */
async function submitForm(name: string, rt: KeyPair, user = 'Alice'): Promise<Reply> {
  const cookie = await loginCookie(wiki, user);
  const form = await (await fetch(authorizeUrl(wiki, PREFIX, rt), { headers: { Cookie: cookie } })).text();
  return replay(name, {
    cookie,
    values: {
      [recordedBody(name, 'requestToken')]: rt.key,
      [recordedBody(name, 'wpEditToken')]: hiddenField(form, 'wpEditToken') ?? '',
    },
  });
}

async function csrfFor(consumer: KeyPair, token: KeyPair): Promise<string> {
  const r = await signedFetch({
    method: 'GET',
    url: `${wiki.apiUrl}?action=query&meta=tokens&format=json&formatversion=2`,
    consumer,
    token,
  });
  const data: unknown = JSON.parse(r.body);
  const csrf =
    isRecord(data) && isRecord(data.query) && isRecord(data.query.tokens)
      ? data.query.tokens.csrftoken
      : null;
  if (typeof csrf !== 'string') throw new Error(`no csrf token: ${r.body}`);
  return csrf;
}

async function editAs(consumer: KeyPair, token: KeyPair, title: string, text: string): Promise<void> {
  const csrf = await csrfFor(consumer, token);
  await signedFetch({
    url: wiki.apiUrl,
    consumer,
    token,
    form: [
      ['action', 'edit'],
      ['format', 'json'],
      ['title', title],
      ['text', text],
      ['token', csrf],
    ],
  });
}

const OWNER_TOKEN: KeyPair = {
  key: env.oauth1_owner_only.access_token ?? '',
  secret: env.oauth1_owner_only.access_secret ?? '',
};
const RECORDED_RT = '7821f1954e245fd41d3e27f9ea237398';

const SCENARIOS: Record<string, () => Promise<Reply>> = {
  '01-initiate-success': () => replay('01-initiate-success'),
  '02-authorize-page-anonymous': async () => {
    const rt = await initiate(wiki, PREFIX, RECORDED_CALLBACK);
    return replay('02-authorize-page-anonymous', { values: { [RECORDED_RT]: rt.key } });
  },
  '03-authorize-page-form': async () => {
    const rt = await initiate(wiki, PREFIX, RECORDED_CALLBACK);
    return replay('03-authorize-page-form', {
      values: { [RECORDED_RT]: rt.key },
      cookie: await loginCookie(wiki, 'Alice'),
    });
  },
  '04-authorize-accept-redirect': async () =>
    submitForm('04-authorize-accept-redirect', await initiate(wiki, PREFIX, RECORDED_CALLBACK)),
  '05-token-success': async () => {
    const { rt, verifier } = await approvedRequestToken();
    return replay('05-token-success', {
      token: rt,
      values: {
        [rec('05-token-success').request.authorization_oauth_params?.oauth_verifier ?? '']: verifier,
      },
    });
  },
  '06-token-replay-used-request-token': async () => {
    const { rt, verifier } = await approvedRequestToken();
    await exchange(wiki, PREFIX, rt, verifier);
    const recordedVerifier =
      rec('06-token-replay-used-request-token').request.authorization_oauth_params?.oauth_verifier ?? '';
    return replay('06-token-replay-used-request-token', {
      token: rt,
      values: { [recordedVerifier]: verifier },
    });
  },
  '07-identify-success': async () => replay('07-identify-success', { token: await aliceAccess() }),
  '08-api-userinfo-success': async () => replay('08-api-userinfo-success', { token: await aliceAccess() }),
  '09-api-csrf-token': async () => replay('09-api-csrf-token', { token: await aliceAccess() }),
  '10-api-edit-success': async () => {
    const at = await aliceAccess();
    await editAs(PREFIX, at, 'User:Alice/sandbox', 'an earlier revision');
    return replay('10-api-edit-success', {
      token: at,
      values: { [recordedBody('10-api-edit-success', 'token')]: await csrfFor(PREFIX, at) },
    });
  },
  '12-identify-wrong-access-secret': async () =>
    replay('12-identify-wrong-access-secret', { token: { key: (await aliceAccess()).key, secret: 'wrong' } }),
  '13-identify-unknown-access-token': () => replay('13-identify-unknown-access-token'),
  '14-api-unknown-access-token': () => replay('14-api-unknown-access-token'),
  '15-api-wrong-access-secret': async () =>
    replay('15-api-wrong-access-secret', { token: { key: (await aliceAccess()).key, secret: 'wrong' } }),
  '16-api-wrong-consumer-secret': async () =>
    replay('16-api-wrong-consumer-secret', { token: await aliceAccess(), consumerSecret: 'wrong' }),
  '17-api-stale-timestamp': async () =>
    replay('17-api-stale-timestamp', { token: await aliceAccess(), timestampOffset: -3600 }),
  '17b-api-future-timestamp': async () =>
    replay('17b-api-future-timestamp', { token: await aliceAccess(), timestampOffset: 600 }),
  '18a-api-nonce-first-use': async () =>
    replay('18a-api-nonce-first-use', {
      token: await aliceAccess(),
      nonce: `fixturenonce${Math.floor(Date.now() / 1000)}`,
    }),
  '18b-api-nonce-reused': async () => {
    const token = await aliceAccess();
    const nonce = `fixturenonce${Math.floor(Date.now() / 1000)}`;
    const timestamp = Math.floor(Date.now() / 1000);
    await replay('18a-api-nonce-first-use', { token, nonce, timestamp });
    return replay('18b-api-nonce-reused', { token, nonce, timestamp });
  },
  '18c-api-nonce-reused-new-timestamp': async () => {
    const token = await aliceAccess();
    const nonce = `fixturenonce${Math.floor(Date.now() / 1000)}`;
    const timestamp = Math.floor(Date.now() / 1000);
    await replay('18a-api-nonce-first-use', { token, nonce, timestamp });
    return replay('18c-api-nonce-reused-new-timestamp', { token, nonce, timestamp: timestamp + 1 });
  },
  '19-api-malformed-oauth-header': () => replay('19-api-malformed-oauth-header'),
  '20-identify-signed-for-other-host': async () =>
    replay('20-identify-signed-for-other-host', {
      token: await aliceAccess(),
      signFor: wiki.origin.replace('127.0.0.1', 'localhost'),
    }),
  '21-initiate-unknown-consumer': () => replay('21-initiate-unknown-consumer'),
  '22-initiate-bad-signature': () => replay('22-initiate-bad-signature', { consumerSecret: 'wrong' }),
  '23-initiate-nonprefix-callback-not-oob': () => replay('23-initiate-nonprefix-callback-not-oob'),
  '23b-initiate-nonprefix-no-callback': () => replay('23b-initiate-nonprefix-no-callback'),
  '24-initiate-prefix-callback-mismatch': () => replay('24-initiate-prefix-callback-mismatch'),
  '24b-initiate-prefix-callback-other-port': () => replay('24b-initiate-prefix-callback-other-port'),
  '24c-initiate-prefix-callback-other-path': () => replay('24c-initiate-prefix-callback-other-path'),
  '24d-initiate-prefix-no-callback': () => replay('24d-initiate-prefix-no-callback'),
  '24e-initiate-prefix-https-upgrade-and-longer-path': () =>
    replay('24e-initiate-prefix-https-upgrade-and-longer-path'),
  '25-initiate-owner-only-consumer': () => replay('25-initiate-owner-only-consumer'),
  '26-initiate-success-format-json': () => replay('26-initiate-success-format-json'),
  '26b-initiate-bad-signature-format-json': () =>
    replay('26b-initiate-bad-signature-format-json', { consumerSecret: 'wrong' }),
  '26c-initiate-get-with-authorization-header': () => replay('26c-initiate-get-with-authorization-header'),
  '26d-initiate-oauth-params-in-post-body': () => replay('26d-initiate-oauth-params-in-post-body'),
  '26e-initiate-oauth-params-in-query': () => replay('26e-initiate-oauth-params-in-query'),
  '26f-initiate-plaintext-signature': () => replay('26f-initiate-plaintext-signature'),
  '27a-initiate-nonprefix-oob-success': () => replay('27a-initiate-nonprefix-oob-success'),
  '27b-authorize-accept-redirect-oob': async () => {
    const rt = await initiate(wiki, EXACT, 'oob');
    const cookie = await loginCookie(wiki, 'Alice');
    const form = await (await fetch(authorizeUrl(wiki, EXACT, rt), { headers: { Cookie: cookie } })).text();
    const name = '27b-authorize-accept-redirect-oob';
    return replay(name, {
      cookie,
      values: {
        [recordedBody(name, 'requestToken')]: rt.key,
        [recordedBody(name, 'wpEditToken')]: hiddenField(form, 'wpEditToken') ?? '',
      },
    });
  },
  '27c-authorize-accept-redirect-prefix-consumer-oob': async () =>
    submitForm('27c-authorize-accept-redirect-prefix-consumer-oob', await initiate(wiki, PREFIX, 'oob')),
  '27d-initiate-prefix-callback-with-query': () => replay('27d-initiate-prefix-callback-with-query'),
  '27e-authorize-accept-redirect-callback-with-query': async () => {
    const callback =
      rec('27d-initiate-prefix-callback-with-query').request.authorization_oauth_params?.oauth_callback ?? '';
    return submitForm(
      '27e-authorize-accept-redirect-callback-with-query',
      await initiate(wiki, PREFIX, callback),
    );
  },
  '27f-authorize-page-form-already-authorized': async () => {
    await aliceAccess();
    const rt = await initiate(wiki, PREFIX, RECORDED_CALLBACK);
    const name = '27f-authorize-page-form-already-authorized';
    return replay(name, {
      values: { [rec(name).request.query_params?.oauth_token ?? '']: rt.key },
      cookie: await loginCookie(wiki, 'Alice'),
    });
  },
  '28-authorize-page-without-consumer-key': async () => {
    await aliceAccess();
    const rt = await initiate(wiki, PREFIX, RECORDED_CALLBACK);
    const name = '28-authorize-page-without-consumer-key';
    return replay(name, {
      values: { [rec(name).request.query_params?.oauth_token ?? '']: rt.key },
      cookie: await loginCookie(wiki, 'Alice'),
    });
  },
  '28b-authorize-page-unknown-request-token': async () =>
    replay('28b-authorize-page-unknown-request-token', { cookie: await loginCookie(wiki, 'Alice') }),
  '28c-authorize-page-wrong-consumer-key': async () => {
    const rt = await initiate(wiki, PREFIX, RECORDED_CALLBACK);
    const name = '28c-authorize-page-wrong-consumer-key';
    return replay(name, {
      values: { [rec(name).request.query_params?.oauth_token ?? '']: rt.key },
      cookie: await loginCookie(wiki, 'Alice'),
    });
  },
  '29-token-wrong-verifier': async () => {
    const { rt } = await approvedRequestToken();
    return replay('29-token-wrong-verifier', { token: rt });
  },
  '29b-token-correct-verifier-after-wrong-one': async () => {
    const { rt, verifier } = await approvedRequestToken();
    const wrong = await replay('29-token-wrong-verifier', { token: rt });
    expect(wrong.body).toContain('The verification code provided was not valid.');
    const recorded =
      rec('29b-token-correct-verifier-after-wrong-one').request.authorization_oauth_params?.oauth_verifier ??
      '';
    return replay('29b-token-correct-verifier-after-wrong-one', {
      token: rt,
      values: { [recorded]: verifier },
    });
  },
  '29c-token-unknown-request-token': () => replay('29c-token-unknown-request-token'),
  '29d-token-request-token-not-authorized': async () =>
    replay('29d-token-request-token-not-authorized', {
      token: await initiate(wiki, PREFIX, RECORDED_CALLBACK),
    }),
  '29e-token-wrong-request-token-secret': async () => {
    const rt = await initiate(wiki, PREFIX, RECORDED_CALLBACK);
    return replay('29e-token-wrong-request-token-secret', { token: { key: rt.key, secret: 'wrong' } });
  },
  '30-authorize-cancel': async () => {
    await aliceAccess();
    return submitForm('30-authorize-cancel', await initiate(wiki, PREFIX, RECORDED_CALLBACK));
  },
  '30b-token-after-cancel': async () => {
    const rt = await initiate(wiki, PREFIX, RECORDED_CALLBACK);
    const cancelled = await submitForm('30-authorize-cancel', rt);
    expect(cancelled.status).toBe(200);
    return replay('30b-token-after-cancel', { token: rt });
  },
  '31-api-owner-only-userinfo': () => replay('31-api-owner-only-userinfo', { token: OWNER_TOKEN }),
  '31b-identify-owner-only': () => replay('31b-identify-owner-only', { token: OWNER_TOKEN }),
  '31c-api-owner-only-edit': async () => {
    await editAs(OWNER, OWNER_TOKEN, 'User:Admin/sandbox', 'an earlier revision');
    return replay('31c-api-owner-only-edit', {
      token: OWNER_TOKEN,
      values: { [recordedBody('31c-api-owner-only-edit', 'token')]: await csrfFor(OWNER, OWNER_TOKEN) },
    });
  },
  '31d-api-owner-only-edit-has-no-tag': async () => {
    await editAs(OWNER, OWNER_TOKEN, 'User:Admin/sandbox', 'owner-only edit');
    return replay('31d-api-owner-only-edit-has-no-tag');
  },
  '32-revoke-authorization-ui': async () => {
    await aliceAccess();
    const cookie = await loginCookie(wiki, 'Alice');
    const page = await (
      await fetch(`${wiki.indexUrl}/Special:OAuthManageMyGrants`, { headers: { Cookie: cookie } })
    ).text();
    const id = /\/revoke\/(\d+)/.exec(page)?.[1] ?? '(none)';
    const name = '32-revoke-authorization-ui';
    return replay(name, {
      cookie,
      substrings: [['/revoke/10', `/revoke/${id}`]],
      values: { [recordedBody(name, 'wpEditToken')]: hiddenField(page, 'wpEditToken') ?? '', '10': id },
    });
  },
  '33-identify-revoked-access-token': async () => {
    const at = await aliceAccess();
    wiki.revoke('Alice', PREFIX.key);
    return replay('33-identify-revoked-access-token', { token: at });
  },
  '33b-api-revoked-access-token': async () => {
    const at = await aliceAccess();
    wiki.revoke('Alice', PREFIX.key);
    return replay('33b-api-revoked-access-token', { token: at });
  },
  '34-authorize-page-form-after-revoke': async () => {
    await aliceAccess();
    wiki.revoke('Alice', PREFIX.key);
    const rt = await initiate(wiki, PREFIX, RECORDED_CALLBACK);
    const name = '34-authorize-page-form-after-revoke';
    return replay(name, {
      values: { [rec(name).request.query_params?.oauth_token ?? '']: rt.key },
      cookie: await loginCookie(wiki, 'Alice'),
    });
  },
};

describe('devwiki against the recorded MediaWiki 1.39 + Extension:OAuth', () => {
  const names = oauth1FixtureNames();
  const replayed = names.filter((n) => n in SCENARIOS);

  it(`should replay ${replayed.length} of the ${names.length} OAuth 1.0a fixtures, skipping only those listed with a reason`, () => {
    expect(names.filter((n) => !(n in SCENARIOS) && !(n in SKIPPED))).toEqual([]);
    expect(Object.keys(SCENARIOS).filter((n) => !names.includes(n))).toEqual([]);
    expect(Object.keys(SKIPPED).filter((n) => n in SCENARIOS)).toEqual([]);
    expect(replayed.length + Object.keys(SKIPPED).length).toBe(names.length);
  });

  for (const name of replayed) {
    it(`should answer ${name} with the recorded status, content type and body shape`, async () => {
      await freshWiki();
      const scenario = SCENARIOS[name];
      if (scenario === undefined) throw new Error(`no scenario for ${name}`);
      expectSameReply(name, await scenario());
    });
  }
});
