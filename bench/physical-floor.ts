// The physical floor: a raw node:http server (no Next, no React, no lib/server, no lib/mwoauth) that
// does for each endpoint the same cryptography and the same wiki calls as the app, with the same
// libraries: iron-session seal/unseal, oauth-1.0a HMAC-SHA1 signing (node:crypto's HMAC and nonces,
// as lib/mwoauth/sign.ts), global fetch, jose's HS256 verify with the key imported once. It checks
// nothing the protocol does not force (no input validation, no error pages, no deadline): what is
// left is the least any implementation must spend. Run by bench/handlers.ts as a process of its own:
// (the app's paths, so the same requests serve both):
//   GET /noop      'ok'                        (node:http alone: subtracted from the others)
//   GET /api/mwoauth/initiate  sign + POST Special:OAuth/initiate, seal the handshake cookie, 303
//   GET /api/mwoauth/callback  unseal the handshake, sign + POST token, sign + POST identify, verify the JWT,
//                  seal the login cookie, 303
//   GET /api/mwoauth/identify  unseal the login, sign + POST identify, verify the JWT, JSON
//   GET /profile   unseal the login, identify and a signed GET of meta=userinfo in parallel, verify,
//                  parse, a small HTML page
// Configuration from the environment: PORT, ORIGIN, WIKI_INDEX_URL, WIKI_API_URL, CONSUMER_KEY,
// CONSUMER_SECRET, SESSION_SECRET (local bench values: never printed).
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { sealData, unsealData } from 'iron-session';
import { jwtVerify } from 'jose';
import OAuth from 'oauth-1.0a';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`physical-floor: ${name} is not set`);
  return value;
}

const PORT = Number(env('PORT'));
const ORIGIN = env('ORIGIN');
const INDEX_URL = env('WIKI_INDEX_URL');
const API_URL = env('WIKI_API_URL');
const CONSUMER = { key: env('CONSUMER_KEY'), secret: env('CONSUMER_SECRET') };
const PASSWORD = { '1': env('SESSION_SECRET') };
const ISSUER = new URL(INDEX_URL).origin;
const USER_AGENT = 'next-mwoauth-bench/1.0 (physical floor; nobody@example.org)';

const oauth = new OAuth({
  consumer: CONSUMER,
  signature_method: 'HMAC-SHA1',
  hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
});
const hmacKey = crypto.subtle.importKey(
  'raw',
  new TextEncoder().encode(CONSUMER.secret),
  { name: 'HMAC', hash: 'SHA-256' },
  false,
  ['verify'],
);

interface Token {
  key: string;
  secret: string;
}

function special(page: string, extra: Record<string, string> = {}): string {
  return `${INDEX_URL}?${new URLSearchParams({ title: `Special:OAuth/${page}`, ...extra })}`;
}

/** One signed request, as lib/mwoauth sends it (oauth_* in the Authorization header only). */
async function signed(
  method: 'GET' | 'POST',
  url: string,
  token: Token | null,
  extra: Record<string, string> = {},
): Promise<{ text: string; nonce: string }> {
  const nonce = randomBytes(16).toString('hex');
  const parsed = new URL(url);
  const data: Record<string, string> = Object.fromEntries(parsed.searchParams);
  const oauthData = {
    oauth_consumer_key: CONSUMER.key,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: Math.floor(Date.now() / 1000),
    oauth_version: '1.0',
    ...(token === null ? {} : { oauth_token: token.key }),
    ...extra,
  };
  const request = { url: `${parsed.origin}${parsed.pathname}`, method, data };
  const signature = oauth.getSignature(request, token?.secret, { ...oauthData });
  const response = await fetch(url, {
    method,
    headers: {
      Authorization: oauth.toHeader({ ...oauthData, oauth_signature: signature }).Authorization,
      'User-Agent': USER_AGENT,
    },
  });
  return { text: await response.text(), nonce };
}

function tokenFrom(text: string): Token {
  const answer = new URLSearchParams(text.trim());
  return { key: answer.get('oauth_token') ?? '', secret: answer.get('oauth_token_secret') ?? '' };
}

async function verifiedIdentity(access: Token): Promise<Record<string, unknown>> {
  const { text, nonce } = await signed('POST', special('identify'), access);
  const { payload } = await jwtVerify(text.trim(), await hmacKey, {
    algorithms: ['HS256'],
    audience: CONSUMER.key,
    issuer: ISSUER,
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'nonce'],
  });
  if (payload.nonce !== nonce) throw new Error('nonce');
  return payload;
}

function cookie(request: IncomingMessage, name: string): string | null {
  for (const pair of (request.headers.cookie ?? '').split(/;\s*/)) {
    if (pair.startsWith(`${name}=`)) return decodeURIComponent(pair.slice(name.length + 1));
  }
  return null;
}

async function unseal(request: IncomingMessage, name: string): Promise<Record<string, unknown> | null> {
  const seal = cookie(request, name);
  return seal === null ? null : unsealData<Record<string, unknown>>(seal, { password: PASSWORD });
}

function setCookie(name: string, value: string, maxAge: number): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax`;
}

function escape(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Handler = (request: IncomingMessage, url: URL, response: ServerResponse) => Promise<void>;

const handlers: Record<string, Handler> = {
  async '/noop'(_request, _url, response) {
    response.end('ok');
  },

  async '/api/mwoauth/initiate'(request, url, response) {
    const previous = await unseal(request, 'mwoauth_handshake');
    const { text } = await signed('POST', special('initiate'), null, {
      oauth_callback: `${ORIGIN}/api/mwoauth/callback`,
    });
    const requestToken = tokenFrom(text);
    const pending = [
      ...(Array.isArray(previous?.pending) ? previous.pending : []),
      { requestToken, next: url.searchParams.get('next') ?? '/', startedAt: Math.floor(Date.now() / 1000) },
    ];
    const seal = await sealData({ pending }, { password: PASSWORD, ttl: 600 });
    response.writeHead(303, {
      Location: special('authorize', { oauth_token: requestToken.key, oauth_consumer_key: CONSUMER.key }),
      'Set-Cookie': setCookie('mwoauth_handshake', seal, 600),
    });
    response.end();
  },

  async '/api/mwoauth/callback'(request, url, response) {
    const handshake = await unseal(request, 'mwoauth_handshake');
    const pending: unknown[] = Array.isArray(handshake?.pending) ? handshake.pending : [];
    const requestToken = pending
      .map((p) => (p as { requestToken: Token }).requestToken)
      .find((t) => t.key === url.searchParams.get('oauth_token'));
    if (requestToken === undefined) {
      response.writeHead(400).end();
      return;
    }
    const { text } = await signed('POST', special('token'), requestToken, {
      oauth_verifier: url.searchParams.get('oauth_verifier') ?? '',
    });
    const access = tokenFrom(text);
    const identity = await verifiedIdentity(access);
    const login = { sub: identity.sub, username: identity.username, accessToken: access, loggedInAt: 1 };
    const seal = await sealData(login, { password: PASSWORD, ttl: 7 * 24 * 3600 });
    response.writeHead(303, {
      Location: '/profile',
      'Set-Cookie': [
        setCookie('mwoauth_session', seal, 7 * 24 * 3600 - 60),
        setCookie('mwoauth_handshake', '', 0),
      ],
    });
    response.end();
  },

  async '/api/mwoauth/identify'(request, _url, response) {
    const login = await unseal(request, 'mwoauth_session');
    const identity = await verifiedIdentity(login?.accessToken as Token);
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(identity));
  },

  async '/profile'(request, _url, response) {
    const login = await unseal(request, 'mwoauth_session');
    const access = login?.accessToken as Token;
    const query = new URLSearchParams({
      action: 'query',
      meta: 'userinfo',
      uiprop: 'groups|rights|editcount|email|registrationdate|blockinfo',
      assert: 'user',
      format: 'json',
      formatversion: '2',
    });
    const [identity, info] = await Promise.all([
      verifiedIdentity(access),
      signed('GET', `${API_URL}?${query}`, access).then(({ text }) => JSON.parse(text) as unknown),
    ]);
    const user = (info as { query: { userinfo: { rights: string[]; editcount: number } } }).query.userinfo;
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(
      `<!DOCTYPE html><title>${escape(identity.username)}</title><h1>${escape(identity.username)}</h1>` +
        `<p>${escape(user.editcount)} edits</p><ul>${user.rights.map((r) => `<li>${escape(r)}</li>`).join('')}</ul>`,
    );
  },
};

createServer((request, response) => {
  const url = new URL(request.url ?? '/', ORIGIN);
  const handler = handlers[url.pathname];
  if (handler === undefined) {
    response.writeHead(404).end();
    return;
  }
  handler(request, url, response).catch((error: unknown) => {
    console.error(`physical-floor ${url.pathname}:`, error instanceof Error ? error.message : error);
    if (!response.headersSent) response.writeHead(500);
    response.end();
  });
}).listen(PORT, '127.0.0.1', () => process.send?.('listening'));
