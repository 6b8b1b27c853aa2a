// api.php: just enough of the Action API for a login app and its tests: meta=userinfo, meta=tokens,
// prop=revisions and action=edit, with OAuth 1.0a and 2.0 (Bearer) sessions (Extension:OAuth's
// SessionProvider) and errors as recorded (fixtures 08-19, 31, 33b, o2-11 ... o2-13, o2-21).
import { isoTimestamp, param, type WikiContext, type WikiRequest } from './context';
import type { WikiResponse } from './faults';
import { WikiError } from './messages';
import type { OAuthSources } from './oauth1';
import { verifyAccessRequest } from './oauth-server';
import { OAuth2Error, verifyBearer } from './oauth2';
import { rightsUnderGrants } from './rights';
import { runQuery } from './api-lists';
import { ApiError, type ApiSession, type Json } from './api-types';
import { farmRefusal } from './farm';
import { hex, type Page, type Revision, type User } from './store';

const ANON_RIGHTS: readonly string[] = ['createaccount', 'read', 'writeapi'];

const API_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Disposition': 'inline; filename=api-result.json',
  'Cache-Control': 'private, must-revalidate, max-age=0',
};

/** formatversion=1 spells booleans as "" (true) or leaves them out (false), and keys pages by id. */
function toFormatVersion1(value: Json, key = ''): Json {
  if (Array.isArray(value)) {
    if (key === 'pages') {
      return Object.fromEntries(
        value.map((p, i) => {
          const id = typeof p === 'object' && p !== null && !Array.isArray(p) ? p.pageid : undefined;
          return [typeof id === 'number' ? String(id) : String(-1 - i), toFormatVersion1(p)];
        }),
      );
    }
    return value.map((v) => toFormatVersion1(v));
  }
  if (typeof value === 'object' && value !== null) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === false) continue;
      out[k] = v === true ? '' : toFormatVersion1(v, k);
    }
    return out;
  }
  return value;
}

function output(req: WikiRequest, data: { [key: string]: Json }, errorCode: string | null): WikiResponse {
  const fv2 = param(req, 'formatversion') === '2' || param(req, 'formatversion') === 'latest';
  const body = JSON.stringify(fv2 ? data : toFormatVersion1(data));
  const headers: Record<string, string> = { ...API_HEADERS };
  if (errorCode !== null) headers['MediaWiki-API-Error'] = errorCode;
  if (param(req, 'format') === 'json') {
    return { status: 200, headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, body };
  }
  // No format (or jsonfm): MediaWiki pretty-prints the result as an HTML page.
  const pretty = JSON.stringify(JSON.parse(body), null, 4).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return {
    status: 200,
    headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' },
    body: `<!DOCTYPE html><html><head><title>MediaWiki API result - devwiki</title></head><body><p>devwiki (a local development wiki): add format=json to get JSON.</p><pre>${pretty}</pre></body></html>`,
  };
}

function errorOutput(ctx: WikiContext, req: WikiRequest, err: ApiError): WikiResponse {
  const docref =
    `See ${ctx.origin}/w/api.php for API usage. Subscribe to the mediawiki-api-announce mailing list at ` +
    '&lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; ' +
    'for notice of API deprecations and breaking changes.';
  const fv2 = param(req, 'formatversion') === '2' || param(req, 'formatversion') === 'latest';
  const error: { [key: string]: Json } = { code: err.code, info: err.info, ...err.extra };
  if (fv2) error.docref = docref;
  else error['*'] = docref;
  return output(req, { error }, err.code);
}

/**
 * How api.php knows who is asking (Extension:OAuth's SessionProvider): one strategy per kind of
 * Authorization header. Each returns null when the header is not its kind.
 */
type AuthStrategy = (ctx: WikiContext, header: string, src: OAuthSources) => ApiSession | null;

function invalidAuthorization(detail: string): ApiError {
  return new ApiError(
    'mwoauth-invalid-authorization',
    `The authorization headers in your request are not valid: ${detail}`,
  );
}

/** OAuth 1.0a: a request signed with consumer + access token (fixtures 08-19). */
const oauth1Signature: AuthStrategy = (ctx, header, src) => {
  if (!header.startsWith('OAuth ')) return null;
  try {
    const { user, consumer, acceptance } = verifyAccessRequest(ctx, src);
    return { user, consumer, rights: rightsUnderGrants(user.rights, acceptance.grants) };
  } catch (err) {
    if (!(err instanceof WikiError)) throw err;
    throw invalidAuthorization(err.apiText);
  }
};

/** OAuth 2.0: `Bearer <access token>`; any bad token is "Invalid access token" (o2-11, o2-13, o2-21). */
const oauth2Bearer: AuthStrategy = (ctx, header) => {
  if (!header.startsWith('Bearer ')) return null;
  try {
    const { user, consumer, scopes } = verifyBearer(ctx, header);
    return { user, consumer, rights: rightsUnderGrants(user.rights, scopes) };
  } catch (err) {
    if (!(err instanceof OAuth2Error)) throw err;
    throw invalidAuthorization('Invalid access token');
  }
};

const STRATEGIES: readonly AuthStrategy[] = [oauth1Signature, oauth2Bearer];

function authenticate(ctx: WikiContext, req: WikiRequest, src: OAuthSources): ApiSession {
  const header = req.headers.authorization;
  if (header !== undefined) {
    for (const strategy of STRATEGIES) {
      const session = strategy(ctx, header, src);
      if (session === null) continue;
      // Another wiki of the farm: the consumer's wiki, then the user's local account (farm-14, farm-17).
      const refusal = farmRefusal(ctx, session.consumer, session.user, 'api');
      if (refusal !== null) throw new ApiError(refusal.key, refusal.text);
      return session;
    }
  }
  return { user: null, consumer: null, rights: ANON_RIGHTS };
}

function list(req: WikiRequest, name: string): string[] {
  const v = param(req, name);
  return v === null || v === '' ? [] : v.split('|');
}

function blockInfo(user: User): { [key: string]: Json } {
  const b = user.block;
  if (b === null) return {};
  return {
    blockid: b.id,
    blockedby: b.by,
    blockedbyid: b.byId,
    blockreason: b.reason,
    blockedtimestamp: isoTimestamp(b.timestamp),
    blockexpiry: 'infinite',
    blockpartial: false,
    blocknocreate: false,
    blockanononly: false,
    blockemail: false,
    blockowntalk: false,
  };
}

/** ApiQueryUserInfo, fields in its order (fixtures 08, 18a, 31). */
function userinfo(ctx: WikiContext, req: WikiRequest, s: ApiSession): { [key: string]: Json } {
  const props = new Set(list(req, 'uiprop'));
  const u = s.user;
  const info: { [key: string]: Json } =
    u === null ? { id: 0, name: '127.0.0.1', anon: true } : { id: u.id, name: u.name };
  if (props.has('blockinfo') && u !== null) Object.assign(info, blockInfo(u));
  if (props.has('groups')) info.groups = u === null ? ['*'] : [...u.groups];
  if (props.has('rights')) info.rights = [...s.rights];
  if (props.has('editcount')) info.editcount = u === null ? 0 : ctx.store.editCount(u);
  // email needs viewmyprivateinfo, which only the privateinfo grant gives an OAuth session (08 vs 31).
  if (props.has('email') && u !== null && s.rights.includes('viewmyprivateinfo')) {
    info.email = u.email;
    if (u.emailAuthenticated !== null) info.emailauthenticated = isoTimestamp(u.emailAuthenticated);
  }
  if (props.has('registrationdate') && u !== null) info.registrationdate = isoTimestamp(u.registered);
  // ApiQueryUserInfo's options: every preference; here the two the app reads.
  if (props.has('options')) {
    info.options =
      u === null
        ? { language: 'en', gender: 'unknown' }
        : { language: u.options.language, gender: u.options.gender };
  }
  return info;
}

function tokens(ctx: WikiContext, req: WikiRequest, s: ApiSession): { [key: string]: Json } {
  const types = list(req, 'type');
  const out: { [key: string]: Json } = {};
  const csrf = s.user === null ? '+\\' : ctx.store.csrfToken(s.user);
  for (const type of types.length === 0 ? ['csrf'] : types) {
    if (['csrf', 'watch', 'patrol', 'rollback', 'userrights'].includes(type)) out[`${type}token`] = csrf;
    else if (type === 'login') out.logintoken = `${hex(20)}+\\`;
    else throw new ApiError('badvalue', `Unrecognized value for parameter "type": ${type}.`);
  }
  return out;
}

function revisionJson(
  rev: Revision,
  props: Set<string>,
  slots: boolean,
  fv2: boolean,
): { [key: string]: Json } {
  const r: { [key: string]: Json } = {};
  if (props.has('ids')) {
    r.revid = rev.revid;
    r.parentid = rev.parentid;
  }
  if (props.has('flags')) r.minor = false;
  if (props.has('user')) r.user = rev.user;
  if (props.has('userid')) r.userid = rev.userid;
  if (props.has('timestamp')) r.timestamp = isoTimestamp(rev.timestamp);
  if (props.has('size')) r.size = Buffer.byteLength(rev.content);
  if (props.has('comment')) r.comment = rev.comment;
  if (props.has('tags')) r.tags = [...rev.tags];
  if (props.has('content')) {
    const content = {
      contentmodel: 'wikitext',
      contentformat: 'text/x-wiki',
      [fv2 ? 'content' : '*']: rev.content,
    };
    if (slots) r.slots = { main: content };
    else Object.assign(r, content);
  }
  return r;
}

/**
 * prop=revisions of one page: the latest revision; with rvlimit (MediaWiki's "enumeration mode")
 * that many, newest first from rvcontinue, and the revision the next batch starts with (farm-04).
 */
function pageRevisions(req: WikiRequest, page: Page): { revisions: Json[]; next: Revision | null } {
  const props = new Set(
    list(req, 'rvprop').length === 0 ? ['ids', 'timestamp', 'flags', 'comment', 'user'] : list(req, 'rvprop'),
  );
  const slots = param(req, 'rvslots') !== null;
  const fv2 = param(req, 'formatversion') === '2' || param(req, 'formatversion') === 'latest';
  const rvlimit = param(req, 'rvlimit');
  const limit = rvlimit === null ? 1 : Math.max(1, Math.min(50, Number(rvlimit) || 1));
  const from = Number((param(req, 'rvcontinue') ?? '').split('|')[1] ?? '');
  const newestFirst = page.revisions
    .filter((r) => !Number.isInteger(from) || from === 0 || r.revid <= from)
    .reverse();
  const revs = newestFirst.slice(0, limit);
  return {
    revisions: revs.map((r) => revisionJson(r, props, slots, fv2)),
    next: rvlimit === null ? null : (newestFirst[limit] ?? null),
  };
}

function query(ctx: WikiContext, req: WikiRequest, s: ApiSession): { [key: string]: Json } {
  return runQuery(ctx, req, s, {
    meta: { userinfo: () => userinfo(ctx, req, s), tokens: () => tokens(ctx, req, s) },
    revisions: (page) => pageRevisions(req, page),
  });
}

/**
 * action=edit (fixtures 10, 31c, o2-12): csrf token required; OAuth edits tagged 'OAuth CID: <id>'
 * (11, o2-12b), except an owner-only consumer's (31d).
 */
function edit(ctx: WikiContext, req: WikiRequest, s: ApiSession): { [key: string]: Json } {
  if (req.method !== 'POST') throw new ApiError('mustbeposted', 'The "edit" module requires a POST request.');
  const token = param(req, 'token');
  if (token === null) throw new ApiError('missingparam', 'The "token" parameter must be set.');
  const user = s.user;
  if (token !== (user === null ? '+\\' : ctx.store.csrfToken(user))) {
    throw new ApiError('badtoken', 'Invalid CSRF token.');
  }
  const rawTitle = param(req, 'title');
  if (rawTitle === null || rawTitle.trim() === '') {
    throw new ApiError('missingparam', 'One of the parameters "title" and "pageid" is required.');
  }
  const text = param(req, 'text');
  const appendtext = param(req, 'appendtext');
  const prependtext = param(req, 'prependtext');
  if (text === null && appendtext === null && prependtext === null) {
    throw new ApiError(
      'missingparam',
      'One of the parameters "text", "appendtext", "prependtext" and "undo" is required.',
    );
  }
  if (user === null || !s.rights.includes('edit')) {
    // devwiki does not allow anonymous edits; a consumer without the editpage grant cannot edit.
    throw new ApiError('permissiondenied', "You don't have permission to edit pages.");
  }
  if (user.block !== null) {
    throw new ApiError('blocked', 'You have been blocked from editing.', { blockinfo: blockInfo(user) });
  }
  const existing = ctx.store.page(rawTitle);
  const latest = existing?.revisions.at(-1) ?? null;
  if (latest === null) {
    if (param(req, 'nocreate') !== null)
      throw new ApiError('missingtitle', "The page you specified doesn't exist.");
    if (!s.rights.includes('createpage'))
      throw new ApiError('cantcreate', "You don't have permission to create new pages.");
  } else if (param(req, 'createonly') !== null) {
    throw new ApiError('articleexists', 'The article you tried to create has been created already.');
  }
  if (existing?.protected === true && !s.rights.includes('editprotected')) {
    throw new ApiError('protectedpage', 'This page has been protected to prevent editing or other actions.');
  }
  const baserevid = param(req, 'baserevid');
  const basetimestamp = param(req, 'basetimestamp');
  // devwiki does not merge: any revision newer than the one the client based its edit on conflicts.
  if (
    latest !== null &&
    ((baserevid !== null && Number(baserevid) !== latest.revid) ||
      (basetimestamp !== null && Date.parse(basetimestamp) < latest.timestamp - (latest.timestamp % 1000)))
  ) {
    throw new ApiError('editconflict', 'Edit conflict.');
  }
  const old = latest?.content ?? '';
  const content = text ?? `${prependtext ?? ''}${old}${appendtext ?? ''}`;
  const page = ctx.store.ensurePage(rawTitle);
  // The API watches what a user edits (watchlist=preferences, "watched": true in fixture 10).
  ctx.store.watch(user, page.title);
  if (latest !== null && content === old) {
    return {
      edit: {
        result: 'Success',
        pageid: page.id,
        title: page.title,
        contentmodel: 'wikitext',
        nochange: true,
        watched: true,
      },
    };
  }
  const tags = s.consumer !== null && !s.consumer.ownerOnly ? [`OAuth CID: ${s.consumer.id}`] : [];
  const rev = ctx.store.addRevision(page, user, content, param(req, 'summary') ?? '', tags, ctx.nowMs());
  const result: { [key: string]: Json } = latest === null ? { new: true } : {};
  Object.assign(result, {
    result: 'Success',
    pageid: page.id,
    title: page.title,
    contentmodel: 'wikitext',
    oldrevid: latest?.revid ?? 0,
    newrevid: rev.revid,
    newtimestamp: isoTimestamp(rev.timestamp),
    watched: true,
  });
  return { edit: result };
}

function checkAssert(req: WikiRequest, s: ApiSession): void {
  const assert = param(req, 'assert');
  if (assert === 'user' && s.user === null) {
    throw new ApiError(
      'assertuserfailed',
      'You are no longer logged in, so the action could not be completed.',
    );
  }
  if (assert === 'bot' && !s.rights.includes('bot')) {
    throw new ApiError(
      'assertbotfailed',
      'You do not have the "bot" right, so the action could not be completed.',
    );
  }
  if (assert === 'anon' && s.user !== null) {
    throw new ApiError(
      'assertanonfailed',
      'You are no longer logged out, so the action could not be completed.',
    );
  }
}

export function api(ctx: WikiContext, req: WikiRequest, src: OAuthSources): WikiResponse {
  let setCookie: string | null = null;
  const withCookie = (response: WikiResponse): WikiResponse =>
    setCookie === null
      ? response
      : { ...response, headers: { ...response.headers, 'Set-Cookie': setCookie } };
  try {
    const session = authenticate(ctx, req, src);
    // Wikimedia-like mode: the sessionJwt cookie of OAuth 1.0a and owner-only requests (wikimedia.ts).
    const jwt = ctx.wikimedia?.sessionCookie(ctx, req, session) ?? null;
    if (jwt?.refusal != null) {
      throw new ApiError('mwoauth-invalid-authorization-jwt', `Invalid 'sessionJwt' cookie: ${jwt.refusal}`);
    }
    setCookie = jwt?.setCookie ?? null;
    checkAssert(req, session);
    const action = param(req, 'action') ?? 'help';
    if (action === 'query') return withCookie(output(req, query(ctx, req, session), null));
    if (action === 'edit') return withCookie(output(req, edit(ctx, req, session), null));
    throw new ApiError('badvalue', `Unrecognized value for parameter "action": ${action}.`);
  } catch (err) {
    if (err instanceof ApiError) return withCookie(errorOutput(ctx, req, err));
    throw err;
  }
}
