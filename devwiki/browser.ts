// The pages a person (or browser automation) uses: Special:UserLogin, the authorize form and its
// Allow/Cancel, Special:OAuthManageMyGrants, and plain article views.
import { param, phpUrlencode, type WikiContext, type WikiRequest } from './context';
import type { WikiResponse } from './faults';
import { messages, type WikiMessage } from './messages';
import { newVerifier } from './oauth-server';
import { oauth2Client } from './oauth2';
import * as pages from './pages';
import type { Session, User } from './store';

export const SESSION_COOKIE = 'devwiki_session';

/**
 * Each wiki of a farm has its own session cookie (realwiki_* and realcommons_* on the recorded farm):
 * browsers share cookies across the ports of one host. The default wiki id gives SESSION_COOKIE.
 */
function sessionCookie(ctx: WikiContext): string {
  return `${ctx.wikiId}_session`;
}
const OAUTH1_SUBTITLE = 'Allows usage of OAuth 1.0a for API authorization';
/** Special:OAuth's subtitle on the 2.0 approve page (o2-03). */
const OAUTH2_SUBTITLE = 'Allows usage of OAuth 1.0a and OAuth 2.0 for API authorization';

function html(body: string, status = 200, extra: Record<string, string | string[]> = {}): WikiResponse {
  return {
    status,
    headers: {
      'Content-Type': 'text/html; charset=UTF-8',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'private, must-revalidate, max-age=0',
      ...extra,
    },
    body,
  };
}

function redirect(location: string, extra: Record<string, string | string[]> = {}): WikiResponse {
  return html('', 302, { Location: location, ...extra });
}

export function sessionOf(ctx: WikiContext, req: WikiRequest): { session: Session; user: User } | null {
  const id = req.cookies.get(sessionCookie(ctx));
  if (id === undefined) return null;
  const session = ctx.store.session(id);
  if (session === null) return null;
  const user = ctx.store.users.get(session.userId);
  return user === undefined ? null : { session, user };
}

/** The query string without `title`, re-encoded as wfArrayToCgi would (fixture 02's returntoquery). */
function queryWithoutTitle(req: WikiRequest): string {
  return req.query
    .filter(([k]) => k !== 'title')
    .map(([k, v]) => `${phpUrlencode(k)}=${phpUrlencode(v)}`)
    .join('&');
}

/** Anonymous visitors are sent to log in first, and come back afterwards (fixture 02). */
function loginRedirect(
  ctx: WikiContext,
  returnto: string,
  returntoquery: string,
  warn: boolean,
): WikiResponse {
  let url = `${ctx.origin}/w/index.php?title=Special:UserLogin&returnto=${phpUrlencode(returnto)}`;
  if (returntoquery !== '') url += `&returntoquery=${phpUrlencode(returntoquery)}`;
  if (warn) url += '&warning=mwoauth-login-required-reason';
  return redirect(url);
}

// --- Special:UserLogin / UserLogout ----------------------------------------------------------------

export function login(ctx: WikiContext, req: WikiRequest): WikiResponse {
  const returnto = param(req, 'returnto') ?? '';
  const returntoquery = param(req, 'returntoquery') ?? '';
  if (req.method !== 'POST') {
    const warning = param(req, 'warning') === 'mwoauth-login-required-reason';
    return html(pages.loginPage({ returnto, returntoquery, warning, error: null, name: '' }));
  }
  const name = param(req, 'wpName') ?? '';
  // Any password is accepted, and any valid name that does not exist yet becomes a new ordinary user.
  const user = ctx.store.ensureUser(name, ctx.nowMs());
  if (user === null) {
    const error = 'That is not a valid user name: use letters and spaces, without # < > [ ] | { } / @ or :.';
    return html(pages.loginPage({ returnto, returntoquery, warning: false, error, name }));
  }
  // Logging in on a wiki of the farm makes the user's local account there (farm-21).
  ctx.store.attachLocalAccount(user);
  const session = ctx.store.createSession(user);
  const target =
    returnto === ''
      ? `${ctx.origin}/w/index.php/Main_Page`
      : `${ctx.origin}/w/index.php?title=${phpUrlencode(returnto)}${returntoquery === '' ? '' : `&${returntoquery}`}`;
  return redirect(target, {
    'Set-Cookie': `${sessionCookie(ctx)}=${session.id}; Path=/; HttpOnly; SameSite=Lax`,
  });
}

export function logout(ctx: WikiContext, req: WikiRequest): WikiResponse {
  const id = req.cookies.get(sessionCookie(ctx));
  if (id !== undefined) ctx.store.endSession(id);
  return redirect(`${ctx.origin}/w/index.php/Main_Page`, {
    'Set-Cookie': `${sessionCookie(ctx)}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
  });
}

// --- Special:OAuth/authorize and /authenticate -----------------------------------------------------

function connectionError(message: WikiMessage, user: User | null): WikiResponse {
  return html(pages.errorPage(message, user));
}

/**
 * GET shows the form (fixture 03); POST handles Allow (302 to the callback with oauth_verifier then
 * oauth_token, fixtures 04, 27b-27e) and Cancel (a page, no redirect, fixture 30).
 */
export function authorize(
  ctx: WikiContext,
  req: WikiRequest,
  subpage: 'authorize' | 'authenticate',
): WikiResponse {
  const current = sessionOf(ctx, req);
  if (current === null) return loginRedirect(ctx, `Special:OAuth/${subpage}`, queryWithoutTitle(req), true);
  const { session, user } = current;
  const requestKey = param(req, 'oauth_token') ?? param(req, 'requestToken') ?? '';
  if (requestKey === '') return connectionError(messages.missingParams(), user);
  const now = ctx.nowMs();
  const token = ctx.store.requestToken(requestKey, now);
  // Without oauth_consumer_key the consumer is found from the request token (fixture 28); an
  // unknown key, or an unknown token without a key, is E006 (fixtures 28b, 28c).
  let consumerKey = param(req, 'oauth_consumer_key') ?? param(req, 'consumerKey') ?? '';
  if (consumerKey === '' && token !== null && token !== 'used') consumerKey = token.consumerKey;
  const consumer = ctx.store.consumerByKey(consumerKey);
  if (consumer === null || consumer.oauthVersion === '2.0')
    return connectionError(messages.badConsumerKey(), user);
  if (consumer.ownerOnly)
    return connectionError(messages.consumerOwnerOnly(consumer.name, consumer.key), user);

  if (req.method !== 'POST') {
    return html(
      pages.authorizePage({
        user,
        consumer,
        subpage,
        editToken: session.editToken,
        confirmUpdate: ctx.store.acceptanceFor(user.id, consumer.id) !== null,
        grants: consumer.grants,
        fields: [
          ['oauth_version', '1'],
          ['consumerKey', consumer.key],
          ['requestToken', requestKey],
        ],
        subtitle: OAUTH1_SUBTITLE,
      }),
    );
  }
  if (param(req, 'wpEditToken') !== session.editToken)
    return connectionError(messages.sessionFailure(), user);
  if (token === 'used') return connectionError(messages.requestTokenAlreadyUsed(), user);
  if (token === null || token.consumerKey !== consumer.key)
    return connectionError(messages.requestTokenNotFound(), user);
  if (param(req, 'cancel') !== null && param(req, 'accept') === null) {
    // The consumer is never told; the request token stays unauthorized (fixture 30b).
    return html(pages.cancelPage(user, consumer));
  }
  const acceptance = ctx.store.accept(user, consumer, now);
  token.verifier = newVerifier();
  token.accessKey = acceptance.accessKey;
  // 'oob' sends the browser to the registered callback, not to a page showing the verifier (27b, 27c).
  const callback = token.callback === 'oob' ? consumer.callbackUrl : token.callback;
  const sep = callback.includes('?') ? '&' : '?';
  return redirect(`${callback}${sep}oauth_verifier=${token.verifier}&oauth_token=${token.key}`);
}

// --- Special:OAuth/approve and /rest_redirect (OAuth 2.0) -----------------------------------------

/** Where Allow and Cancel send the browser back to: only the wiki's own authorize endpoint. */
const REST_AUTHORIZE_PATH = '/w/rest.php/oauth2/authorize';

/**
 * Special:OAuth/approve: GET shows the authorize form with the 2.0 fields (o2-03); Allow goes back to
 * the REST authorize endpoint with approval_pass=1 (o2-04), Cancel with approval_cancel=1 (o2-16).
 */
export function approve(ctx: WikiContext, req: WikiRequest): WikiResponse {
  const current = sessionOf(ctx, req);
  if (current === null) return loginRedirect(ctx, 'Special:OAuth/approve', queryWithoutTitle(req), true);
  const { session, user } = current;
  const consumer = oauth2Client(ctx, param(req, 'client_id') ?? '');
  if (consumer === null || consumer.ownerOnly) return connectionError(messages.badConsumerKey(), user);
  const returnto = param(req, 'returnto') ?? '';
  const returntoquery = param(req, 'returntoquery') ?? '';
  // Never an open redirect: Allow and Cancel only ever lead back to devwiki's authorize endpoint.
  if (returnto !== REST_AUTHORIZE_PATH) return connectionError(messages.missingParams(), user);
  const scope = param(req, 'scope') ?? '';
  // Only grants the client has (ClientEntity::getVerifiedScopes).
  const scopes = scope.split(' ').filter((g) => g !== '' && consumer.grants.includes(g));
  if (req.method !== 'POST') {
    return html(
      pages.authorizePage({
        user,
        consumer,
        subpage: 'approve',
        editToken: session.editToken,
        confirmUpdate: ctx.store.acceptanceFor(user.id, consumer.id) !== null,
        grants: scopes,
        fields: [
          ['oauth_version', '2'],
          ['client_id', consumer.key],
          ['scope', scope],
          ['returnto', returnto],
          ['returntoquery', returntoquery],
        ],
        subtitle: OAUTH2_SUBTITLE,
      }),
    );
  }
  if (param(req, 'wpEditToken') !== session.editToken)
    return connectionError(messages.sessionFailure(), user);
  const back = `${ctx.origin}${returnto}?${returntoquery === '' ? '' : `${returntoquery}&`}`;
  if (param(req, 'cancel') !== null && param(req, 'accept') === null) {
    return redirect(`${back}approval_cancel=1`);
  }
  ctx.store.accept(user, consumer, ctx.nowMs(), scopes);
  return redirect(`${back}approval_pass=1`);
}

/** Special:OAuth/rest_redirect: where the login sends the browser back to a rest.php URL (o2-01). */
export function restRedirect(ctx: WikiContext, req: WikiRequest): WikiResponse {
  const restUrl = param(req, 'rest_url') ?? '';
  if (!restUrl.startsWith('/w/rest.php/')) {
    return connectionError(messages.missingParams(), sessionOf(ctx, req)?.user ?? null);
  }
  return redirect(`${ctx.origin}${restUrl}`);
}

// --- Special:OAuthManageMyGrants -------------------------------------------------------------------

export function manageMyGrants(ctx: WikiContext, req: WikiRequest, subpage: string): WikiResponse {
  const current = sessionOf(ctx, req);
  if (current === null) return loginRedirect(ctx, `Special:OAuthManageMyGrants`, '', false);
  const { session, user } = current;
  const revoke = /^revoke\/(\d+)$/.exec(subpage);
  if (revoke !== null && req.method === 'POST') {
    const acceptance = ctx.store.acceptanceById(Number(revoke[1]));
    if (param(req, 'wpEditToken') !== session.editToken)
      return connectionError(messages.sessionFailure(), user);
    if (acceptance === null || acceptance.userId !== user.id) {
      return html(
        pages.layout('Manage connected applications', '<p>No such connected application.</p>', user),
      );
    }
    ctx.store.revokeAcceptance(acceptance.id);
    return html(pages.revokedPage(user));
  }
  const rows = ctx.store.acceptancesOf(user.id).flatMap((a) => {
    const consumer = ctx.store.consumerById(a.consumerId);
    // Owner-only consumers are managed on Special:OAuthConsumerRegistration, not here.
    return consumer === null || consumer.ownerOnly
      ? []
      : [{ acceptanceId: a.id, consumer, grants: a.grants }];
  });
  return html(pages.manageGrantsPage(user, rows, session.editToken));
}

// --- everything else -------------------------------------------------------------------------------

export function mainPage(ctx: WikiContext, req: WikiRequest): WikiResponse {
  const user = sessionOf(ctx, req)?.user ?? null;
  return html(
    pages.mainPage(
      user,
      { index: `${ctx.origin}/w/index.php`, api: `${ctx.origin}/w/api.php` },
      ctx.store.consumers,
    ),
  );
}

export function article(ctx: WikiContext, req: WikiRequest, title: string): WikiResponse {
  const user = sessionOf(ctx, req)?.user ?? null;
  const page = ctx.store.page(title);
  const latest = page?.revisions.at(-1);
  return html(
    pages.articlePage(page?.title ?? title, latest?.content ?? null, user),
    latest === undefined ? 404 : 200,
  );
}
