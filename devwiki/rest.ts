// rest.php/oauth2/*: Extension:OAuth's OAuth 2.0 REST endpoints, with the status codes, headers,
// content types and bodies of the recorded wiki (fixtures o2-01 ... o2-23).
import { mwTimestamp, phpUrlencode, type WikiContext, type WikiRequest } from './context';
import type { WikiResponse } from './faults';
import { sessionOf } from './browser';
import { profileRefusal } from './farm';
import { WikiMessage } from './messages';
import { matchesPrefix } from './oauth-server';
import {
  newAuthCode,
  oauth2Client,
  OAuth2Error,
  oauth2Errors,
  PKCE_SHAPE,
  tokenRequest,
  verifyBearer,
} from './oauth2';
import * as pages from './pages';
import { KNOWN_GRANTS, rightsUnderGrants } from './rights';
import type { User } from './store';
import type { DevwikiConsumer } from './types';
import { uselangFromUiLocales } from './wikimedia';

export const REST_AUTHORIZE = '/w/rest.php/oauth2/authorize';
export const REST_TOKEN = '/w/rest.php/oauth2/access_token';
export const REST_PROFILE = '/w/rest.php/oauth2/resource/profile';

/** The REST framework's JSON error for a path or method it does not serve. */
function restFailure(status: number, reason: string, text: string): WikiResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' },
    body: JSON.stringify({ messageTranslations: { en: text }, httpCode: status, httpReason: reason }),
  };
}

function json(error: OAuth2Error): WikiResponse {
  // Error bodies say plain application/json (o2-07, o2-08, o2-10).
  return {
    status: error.status,
    headers: { 'X-Content-Type-Options': 'nosniff', 'Content-type': 'application/json' },
    body: error.json(),
  };
}

/** rest.php's temporary redirects (o2-01, o2-02): 307, a lower-case charset, a small "Redirect" page. */
function redirect307(location: string): WikiResponse {
  const href = location.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return {
    status: 307,
    headers: {
      'X-Content-Type-Options': 'nosniff',
      'Content-Type': 'text/html; charset=utf-8',
      Location: location,
    },
    body: `<!doctype html><html><head><title>Redirect</title></head><body><h1>Redirect</h1><p><a href="${href}">${href}</a></p></body></html>`,
  };
}

/** The authorize endpoint's errors: an HTML page with HTTP 200 and no redirect (o2-17, o2-18). */
function errorPage(error: OAuth2Error, user: User | null): WikiResponse {
  return {
    status: 200,
    headers: {
      'X-Content-Type-Options': 'nosniff',
      'Content-language': 'en',
      'X-Frame-Options': 'DENY',
      Vary: 'Accept-Encoding, Cookie, Authorization',
      Expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
      'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate',
      Pragma: 'no-cache',
      'Content-type': 'text/html;charset=UTF-8',
    },
    body: pages.errorPage(new WikiMessage(`mwoauth-oauth2-${error.error}`, error.description), user),
  };
}

/** The query as wfArrayToCgi writes it (the returntoquery of o2-01, o2-02). */
function queryCgi(req: WikiRequest): string {
  return req.query.map(([k, v]) => `${phpUrlencode(k)}=${phpUrlencode(v)}`).join('&');
}

function query(req: WikiRequest, name: string): string | null {
  return req.query.find(([k]) => k === name)?.[1] ?? null;
}

interface AuthorizationRequest {
  consumer: DevwikiConsumer;
  scopes: string[];
  /** As given; null if the request had none (the token request must then send none either). */
  redirectUri: string | null;
  state: string | null;
  challenge: string | null;
  challengeMethod: 'plain' | 'S256';
}

/** AuthCodeGrant::validateAuthorizationRequest, with Authorize::setValidScopes. */
function validate(ctx: WikiContext, req: WikiRequest): AuthorizationRequest {
  if (query(req, 'response_type') !== 'code') throw oauth2Errors.invalidRequest('response_type');
  const clientId = query(req, 'client_id');
  if (clientId === null || clientId === '') throw oauth2Errors.invalidRequest('client_id');
  const consumer = oauth2Client(ctx, clientId);
  // Owner-only clients may only use client_credentials, so they are refused here as unknown ones.
  if (consumer === null || consumer.ownerOnly) throw oauth2Errors.invalidClient();
  const redirectUri = query(req, 'redirect_uri');
  if (
    redirectUri !== null &&
    redirectUri !== consumer.callbackUrl &&
    !(consumer.callbackIsPrefix && matchesPrefix(consumer.callbackUrl, redirectUri))
  ) {
    throw oauth2Errors.invalidClient();
  }
  let scopes = [...consumer.grants];
  const scope = query(req, 'scope');
  if (scope !== null && scope.trim() !== '') {
    const asked = scope.split(' ').filter((s) => s !== '');
    const unknown = asked.find((s) => !KNOWN_GRANTS.includes(s));
    if (unknown !== undefined) throw oauth2Errors.invalidScope(unknown);
    // Grants the client does not have are trimmed off, not refused.
    scopes = asked.filter((s) => consumer.grants.includes(s));
  }
  const challenge = query(req, 'code_challenge');
  const method = query(req, 'code_challenge_method') ?? 'plain';
  if (challenge === null || challenge === '') {
    // $wgOAuth2RequireCodeChallengeForPublicClients (o2-18).
    if (consumer.confidential === false) {
      throw oauth2Errors.invalidRequest(
        'code_challenge',
        'Code challenge must be provided for public clients',
      );
    }
  } else {
    if (method !== 'plain' && method !== 'S256') {
      throw oauth2Errors.invalidRequest(
        'code_challenge_method',
        'Code challenge method must be one of `plain`, `S256`',
      );
    }
    if (!PKCE_SHAPE.test(challenge)) {
      throw oauth2Errors.invalidRequest(
        'code_challenge',
        'Code challenge must follow the specifications of RFC-7636.',
      );
    }
  }
  return {
    consumer,
    scopes,
    redirectUri,
    state: query(req, 'state'),
    challenge: challenge === '' ? null : challenge,
    challengeMethod: method === 'S256' ? 'S256' : 'plain',
  };
}

/**
 * GET rest.php/oauth2/authorize: anonymous -> log in first (o2-01); then the approve page (o2-02);
 * back from it with approval_pass=1 and an approval covering the scopes -> the code (o2-05), with
 * approval_cancel=1 -> an error page (o2-17). Errors are pages, never redirects to the client.
 */
export function authorize(ctx: WikiContext, req: WikiRequest): WikiResponse {
  const user = sessionOf(ctx, req)?.user ?? null;
  const cgi = queryCgi(req);
  // Wikimedia-like mode (MediaWiki 1.47): ui_locales becomes the special pages' uselang (5cc52b0b).
  const uselang = ctx.wikimedia == null ? null : uselangFromUiLocales(query(req, 'ui_locales'));
  const lang = uselang === null ? '' : `&uselang=${phpUrlencode(uselang)}`;
  if (user === null) {
    const rest = `rest_url=${phpUrlencode(`${req.path}${cgi === '' ? '' : `?${cgi}`}`)}`;
    return redirect307(
      `${ctx.origin}/w/index.php?title=Special:UserLogin&returnto=${phpUrlencode('Special:OAuth/rest redirect')}&returntoquery=${phpUrlencode(rest)}${lang}`,
    );
  }
  try {
    const request = validate(ctx, req);
    const { consumer, scopes } = request;
    if (query(req, 'approval_cancel') !== null) throw oauth2Errors.approvalDenied();
    const approval = ctx.store.acceptanceFor(user.id, consumer.id);
    if (query(req, 'approval_pass') !== null && approval !== null) {
      if (scopes.every((s) => approval.grants.includes(s))) {
        const code = newAuthCode(ctx, consumer, user, request);
        const target = request.redirectUri ?? consumer.callbackUrl;
        let location = `${target}${target.includes('?') ? '&' : '?'}code=${code}`;
        if (request.state !== null) location += `&state=${phpUrlencode(request.state)}`;
        return {
          status: 302,
          headers: {
            'X-Content-Type-Options': 'nosniff',
            Location: location,
            'Content-type': 'text/html; charset=UTF-8',
          },
          body: '',
        };
      }
    }
    return redirect307(
      `${ctx.origin}/w/index.php?title=Special:OAuth/approve&returnto=${phpUrlencode(req.path)}` +
        `&returntoquery=${phpUrlencode(cgi)}&client_id=${phpUrlencode(consumer.key)}&oauth_version=2` +
        `&scope=${phpUrlencode(scopes.join(' '))}${lang}`,
    );
  } catch (err) {
    if (err instanceof OAuth2Error) return errorPage(err, user);
    throw err;
  }
}

/** POST rest.php/oauth2/access_token (o2-06 ... o2-08b, o2-14, o2-15, o2-19, o2-20, o2-23). */
export async function accessToken(ctx: WikiContext, req: WikiRequest): Promise<WikiResponse> {
  if (req.method !== 'POST') return restFailure(405, 'Method Not Allowed', 'Only POST is allowed here.');
  try {
    const answer = await tokenRequest(ctx, new Map(req.body), req.headers.authorization);
    return {
      status: 200,
      headers: {
        'X-Content-Type-Options': 'nosniff',
        pragma: 'no-cache',
        'cache-control': 'no-store',
        'content-type': 'application/json; charset=UTF-8',
      },
      body: JSON.stringify(answer),
    };
  } catch (err) {
    if (err instanceof OAuth2Error) return json(err);
    throw err;
  }
}

/**
 * GET rest.php/oauth2/resource/profile: identify's user claims without the protocol ones, `rights`
 * as the token's grants allow them, JSON sent as text/html (o2-09, o2-22); errors 401 (o2-10).
 */
export function profile(ctx: WikiContext, req: WikiRequest): WikiResponse {
  try {
    const { user, scopes } = verifyBearer(ctx, req.headers.authorization);
    const refused = profileRefusal(ctx, user);
    if (refused !== null) return refused;
    const body: Record<string, unknown> = {
      sub: String(user.id),
      username: user.name,
      editcount: ctx.store.editCount(user),
      confirmed_email: user.emailAuthenticated !== null,
      blocked: user.block !== null,
      registered: mwTimestamp(user.registered),
      groups: user.groups,
      rights: rightsUnderGrants(user.rights, scopes),
      grants: scopes,
    };
    if (scopes.includes('privateinfo') || scopes.includes('mwoauth-authonlyprivate')) {
      body.realname = user.realname;
      body.email = user.email;
    }
    return {
      status: 200,
      headers: { 'X-Content-Type-Options': 'nosniff', 'Content-type': 'text/html; charset=UTF-8' },
      body: JSON.stringify(body),
    };
  } catch (err) {
    if (err instanceof OAuth2Error) return json(err);
    throw err;
  }
}

export function rest(ctx: WikiContext, req: WikiRequest): WikiResponse | Promise<WikiResponse> {
  if (req.path === REST_AUTHORIZE) return authorize(ctx, req);
  if (req.path === REST_TOKEN) return accessToken(ctx, req);
  if (req.path === REST_PROFILE) return profile(ctx, req);
  return restFailure(404, 'Not Found', `devwiki: no REST endpoint at ${req.path}`);
}
