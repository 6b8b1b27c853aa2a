// Routing: the wiki's usual layout (/w/index.php?title=..., the article path /w/index.php/$1, and
// /w/api.php), the request log, configured latency and faults, on node:http.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { api } from './api';
import * as browser from './browser';
import type { WikiContext, WikiRequest } from './context';
import {
  Faults,
  replacementResponse,
  streamHuge,
  trickle,
  usualContentType,
  type WikiResponse,
} from './faults';
import { formPairs, parseAuthorizationHeader, type OAuthSources } from './oauth1';
import { rest, REST_AUTHORIZE, REST_PROFILE, REST_TOKEN } from './rest';
import * as special from './special-oauth';
import type { DevwikiRequestEndpoint, DevwikiRequestRecord } from './types';

/** Form bodies larger than this are refused; nothing devwiki serves needs more. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ServerState {
  ctx: Omit<WikiContext, 'forgery'>;
  faults: Faults;
  records: DevwikiRequestRecord[];
  latencyMs: number;
  now: () => number;
  log: (line: string) => void;
  /** Timers of delayed and trickled responses, cleared on close. */
  timers: Set<NodeJS.Timeout>;
}

interface Route {
  endpoint: DevwikiRequestEndpoint;
  /** rest.php (OAuth 2.0) rather than index.php or api.php. */
  rest?: boolean;
  title?: string;
  /** The part of Special:OAuth/... or Special:OAuthManageMyGrants/... after the slash. */
  subpage: string;
  special: string | null;
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Which page a /w/index.php request is for: the path form wins, then ?title=, else the Main Page. */
function routeIndex(path: string, req: WikiRequest): Route {
  const fromPath = path.startsWith('/w/index.php/') ? decodePath(path.slice('/w/index.php/'.length)) : null;
  const fromQuery = req.query.find(([k]) => k === 'title')?.[1] ?? null;
  const title = (fromPath ?? fromQuery ?? 'Main Page').replace(/_/g, ' ').trim();
  const m = /^special:([^/]*)(?:\/(.*))?$/i.exec(title);
  if (m === null) return { endpoint: 'page', title, subpage: '', special: null };
  const name = (m[1] ?? '').toLowerCase();
  const subpage = m[2] ?? '';
  if (name === 'oauth') {
    const sub = subpage.toLowerCase();
    const endpoint: DevwikiRequestEndpoint =
      sub === 'initiate' || sub === 'token' || sub === 'identify'
        ? sub
        : sub === 'authorize' || sub === 'authenticate' || sub === 'approve'
          ? 'authorize'
          : 'other';
    return { endpoint, title, subpage: sub, special: name };
  }
  if (name === 'userlogin') return { endpoint: 'login', title, subpage, special: name };
  if (name === 'oauthmanagemygrants') return { endpoint: 'managegrants', title, subpage, special: name };
  return { endpoint: 'other', title, subpage, special: name };
}

async function handle(
  ctx: WikiContext,
  route: Route,
  req: WikiRequest,
  src: OAuthSources,
): Promise<WikiResponse> {
  if (route.endpoint === 'api') return api(ctx, req, src);
  if (route.rest === true) return rest(ctx, req);
  switch (route.special) {
    case null:
      return route.title === 'Main Page'
        ? browser.mainPage(ctx, req)
        : browser.article(ctx, req, route.title ?? '');
    case 'oauth':
      if (route.endpoint === 'initiate') return special.initiate(ctx, req, src);
      if (route.endpoint === 'token') return special.token(ctx, req, src);
      if (route.endpoint === 'identify') return special.identify(ctx, src);
      if (route.subpage === 'authorize' || route.subpage === 'authenticate') {
        return browser.authorize(ctx, req, route.subpage);
      }
      if (route.subpage === 'approve') return browser.approve(ctx, req);
      // The login's way back to rest.php (o2-01); the title's underscore became a space.
      if (route.subpage === 'rest redirect') return browser.restRedirect(ctx, req);
      return browser.mainPage(ctx, req);
    case 'userlogin':
      return browser.login(ctx, req);
    case 'userlogout':
      return browser.logout(ctx, req);
    case 'oauthmanagemygrants':
      return browser.manageMyGrants(ctx, req, route.subpage);
    default:
      return browser.article(ctx, req, route.title ?? '');
  }
}

function send(res: ServerResponse, response: WikiResponse): void {
  if (res.destroyed) return;
  const body = Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.body);
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
  res.end(body);
}

function plain(status: number, text: string): WikiResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: text };
}

export function createWikiServer(state: ServerState): Server {
  const wait = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const t = setTimeout(() => {
            state.timers.delete(t);
            resolve();
          }, ms);
          state.timers.add(t);
        });

  const onRequest = async (incoming: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawUrl = incoming.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);
    const method = (incoming.method ?? 'GET').toUpperCase();
    const bodyBuffer = await readBody(incoming);
    if (bodyBuffer === null) return send(res, plain(413, 'devwiki: request body too large'));
    const isForm =
      method === 'POST' &&
      (incoming.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const req: WikiRequest = {
      method,
      path,
      query: formPairs(rawQuery),
      body: isForm ? formPairs(bodyBuffer.toString('utf8')) : [],
      headers: incoming.headers,
      cookies: parseCookies(incoming.headers.cookie),
    };
    const src: OAuthSources = {
      method,
      path,
      query: req.query,
      body: req.body,
      header: parseAuthorizationHeader(incoming.headers.authorization),
    };

    let route: Route;
    if (path === '/w/api.php') {
      route = { endpoint: 'api', subpage: '', special: null };
    } else if (path.startsWith('/w/rest.php/')) {
      const endpoint: DevwikiRequestEndpoint =
        path === REST_AUTHORIZE
          ? 'authorize'
          : path === REST_TOKEN
            ? 'token'
            : path === REST_PROFILE
              ? 'profile'
              : 'other';
      route = { endpoint, rest: true, subpage: '', special: null };
    } else if (path === '/w/index.php' || path.startsWith('/w/index.php/')) {
      route = routeIndex(path, req);
    } else if (path === '/' || path === '/w/' || path === '/w' || path.startsWith('/wiki/')) {
      const target = path.startsWith('/wiki/') ? path.slice('/wiki/'.length) : 'Main_Page';
      return send(res, { status: 301, headers: { Location: `/w/index.php/${target}` }, body: '' });
    } else {
      return send(res, plain(404, `devwiki: nothing at ${path}; try /w/index.php or /w/api.php`));
    }

    const record: DevwikiRequestRecord = { method, endpoint: route.endpoint, path, time: state.now() };
    if (route.title !== undefined) record.title = route.title;
    if (route.rest === true && route.endpoint === 'token') {
      const grantType = req.body.find(([k]) => k === 'grant_type')?.[1];
      if (grantType !== undefined) record.grantType = grantType;
    }
    if (route.endpoint === 'api') {
      const action =
        req.body.find(([k]) => k === 'action')?.[1] ?? req.query.find(([k]) => k === 'action')?.[1];
      if (action !== undefined) record.action = action;
    }
    state.records.push(record);

    const fault = state.faults.for(route.endpoint);
    const delay = state.latencyMs + (fault?.kind === 'latency' ? fault.ms : 0);
    if (fault?.kind === 'hang') {
      state.log(`${method} ${rawUrl} -> (hanging, as asked)`);
      return;
    }
    await wait(delay);
    if (fault?.kind === 'huge') {
      state.log(`${method} ${rawUrl} -> ${fault.bytes} bytes (huge, as asked)`);
      return streamHuge(res, fault.bytes, usualContentType(route.endpoint, route.rest === true));
    }
    const replaced = fault === null ? null : replacementResponse(fault, route.endpoint, route.rest === true);
    let response: WikiResponse;
    // Wikimedia-like mode: the traffic layer answers first (devwiki/wikimedia.ts).
    const edge =
      replaced === null && (route.endpoint === 'api' || (route.rest === true && route.endpoint === 'profile'))
        ? (state.ctx.wikimedia?.edge(
            { ...state.ctx, forgery: null },
            req,
            incoming.socket.remoteAddress ?? '',
          ) ?? null)
        : null;
    if (replaced !== null) {
      response = replaced;
    } else if (edge !== null) {
      response = edge;
    } else {
      const forgery =
        fault?.kind === 'forged-identify' && route.endpoint === 'identify' ? fault.forgery : null;
      try {
        response = await handle({ ...state.ctx, forgery }, route, req, src);
      } catch (err) {
        state.log(
          `devwiki internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        response = plain(500, 'devwiki internal error (see its log)');
      }
    }
    state.log(
      `${method} ${rawUrl.slice(0, 120)} -> ${response.status}${fault === null ? '' : ` [fault ${fault.kind}]`}`,
    );
    if (fault?.kind === 'trickle') return trickle(res, response, fault.bytesPerSecond ?? 1, state.timers);
    send(res, response);
  };

  return createServer((incoming, res) => {
    onRequest(incoming, res).catch((err: unknown) => {
      state.log(`devwiki: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, plain(500, 'devwiki internal error'));
      else res.destroy();
    });
  });
}
