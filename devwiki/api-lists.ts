// api.php action=query beyond meta=: the page set (titles= or generator=allpages), prop=info,
// list=usercontribs, list=watchlist and list=allpages, query continuation, and MediaWiki's answers
// to values it does not know.
//
// Shapes: the recorded fixtures where they show them (prop=revisions and list=recentchanges with
// continuation in 11 and farm-04: `continue: {rvcontinue: "<TS_MW>|<revid>", continue: "||"}`, no
// batchcomplete while a prop module has more), and otherwise MediaWiki 1.39's API modules as
// mediawiki.org's API:Usercontribs, API:Watchlist, API:Allpages, API:Info and API:Continue document
// them, field by field in the order of core's includes/api/ApiQueryUserContribs.php
// (extractRowInfo), ApiQueryWatchlist.php (extractOutputData), ApiQueryAllPages.php,
// ApiQueryInfo.php (extractPageInfo) and ApiContinuationManager.php (getContinuation). API
// parameters ignore unrecognized values of multi-value parameters with a warning
// (ApiParamValidator::normalizeSettings sets PARAM_IGNORE_UNRECOGNIZED_VALUES), so an unknown prop=,
// list= or meta= is a warning "Unrecognized value for parameter "list": x." under the query module,
// and an unknown generator= (one value) is the error `badvalue`.
import { isoTimestamp, mwTimestamp, param, type WikiContext, type WikiRequest } from './context';
import { ApiError, type ApiSession, type Json } from './api-types';
import { normalizeTitle, type Page, type Revision, type User } from './store';

type JsonObject = { [key: string]: Json };

/** How a module continues: its continuation parameters, or null when it is done. */
type Continuation = Record<string, string> | null;

export interface QueryHooks {
  /** The meta= modules devwiki serves (api.ts: userinfo, tokens), by name. */
  meta: Record<string, () => Json>;
  /** prop=revisions of one existing page, and the revision the next batch starts with. */
  revisions(page: Page): { revisions: Json[]; next: Revision | null };
}

const PROP_MODULES = ['revisions', 'info'];
const LIST_MODULES = ['usercontribs', 'watchlist', 'allpages'];
const GENERATORS = ['allpages'];

/** $wgAPIMaxResultsLow... ApiBase::LIMIT_BIG1: what users without apihighlimits may ask for. */
const MAX_LIMIT = 500;

export function formatVersion2(req: WikiRequest): boolean {
  return param(req, 'formatversion') === '2' || param(req, 'formatversion') === 'latest';
}

function values(req: WikiRequest, name: string): string[] {
  const v = param(req, name);
  return v === null || v === '' ? [] : v.split('|');
}

/** paramvalidator-unrecognizedvalues, as the API's plain-text warnings spell it. */
function unrecognized(name: string, bad: readonly string[]): string {
  return `Unrecognized value${bad.length === 1 ? '' : 's'} for parameter "${name}": ${bad.join(', ')}.`;
}

/** A limit parameter: a whole number (or "max") from 1 to 500, default `fallback`. */
function limit(req: WikiRequest, name: string, fallback: number): number {
  const raw = param(req, name);
  if (raw === null || raw === '') return fallback;
  if (raw === 'max') return MAX_LIMIT;
  if (!/^\d+$/.test(raw))
    throw new ApiError('badinteger', `Invalid value "${raw}" for integer parameter "${name}".`);
  return Math.min(MAX_LIMIT, Math.max(1, Number(raw)));
}

/** The database key of a title: the part after the namespace, spaces as underscores. */
function dbKey(title: string, ns: number): string {
  const text = ns === 0 ? title : title.slice(title.indexOf(':') + 1);
  return text.replace(/ /g, '_');
}

function ucfirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Whether `rev` comes at or after the "<TS_MW>|<id>" position, newest first. */
function atOrAfter(rev: Revision, position: string | null, newestFirst: boolean): boolean {
  if (position === null) return true;
  const [ts = '', id = ''] = position.split('|');
  const key = `${mwTimestamp(rev.timestamp)}|${String(rev.revid).padStart(12, '0')}`;
  const from = `${ts}|${id.padStart(12, '0')}`;
  return newestFirst ? key <= from : key >= from;
}

function byTime(newestFirst: boolean): (a: Revision, b: Revision) => number {
  return (a, b) => (newestFirst ? -1 : 1) * (a.timestamp - b.timestamp || a.revid - b.revid);
}

function position(rev: Revision): string {
  return `${mwTimestamp(rev.timestamp)}|${rev.revid}`;
}

function existing(ctx: WikiContext): Page[] {
  return ctx.store.allPages().filter((p) => p.revisions.length > 0);
}

/** Every revision of this wiki with the page it belongs to. */
function allRevisions(ctx: WikiContext): Array<{ page: Page; rev: Revision }> {
  return existing(ctx).flatMap((page) => page.revisions.map((rev) => ({ page, rev })));
}

// --- list=usercontribs ------------------------------------------------------------------------------

/** ApiQueryUserContribs: a user's edits, newest first (ucdir=older), default ucprop as in 1.39. */
function usercontribs(ctx: WikiContext, req: WikiRequest): { items: Json[]; next: Continuation } {
  const names = values(req, 'ucuser');
  const ids = values(req, 'ucuserids').map(Number);
  if (names.length === 0 && ids.length === 0) {
    throw new ApiError(
      'missingparam',
      'One of the parameters "ucuser", "ucuserids", "ucuserprefix" and "uciprange" is required.',
    );
  }
  const users = [...names.map((n) => ctx.store.userByName(n)), ...ids.map((id) => ctx.store.users.get(id))];
  const wanted = new Set(users.filter((u): u is User => u !== null && u !== undefined).map((u) => u.id));
  const props = new Set(
    values(req, 'ucprop').length > 0
      ? values(req, 'ucprop')
      : ['ids', 'title', 'timestamp', 'comment', 'size', 'flags'],
  );
  const namespaces = values(req, 'ucnamespace').map(Number);
  const newestFirst = param(req, 'ucdir') !== 'newer';
  const from = param(req, 'uccontinue');
  const max = limit(req, 'uclimit', 10);
  const rows = allRevisions(ctx)
    .filter(
      ({ page, rev }) => wanted.has(rev.userid) && (namespaces.length === 0 || namespaces.includes(page.ns)),
    )
    .sort((a, b) => byTime(newestFirst)(a.rev, b.rev))
    .filter(({ rev }) => atOrAfter(rev, from, newestFirst));
  const items = rows.slice(0, max).map(({ page, rev }) => {
    const item: JsonObject = { userid: rev.userid, user: rev.user };
    if (props.has('ids')) Object.assign(item, { pageid: page.id, revid: rev.revid, parentid: rev.parentid });
    if (props.has('title')) Object.assign(item, { ns: page.ns, title: page.title });
    if (props.has('timestamp')) item.timestamp = isoTimestamp(rev.timestamp);
    if (props.has('flags')) {
      Object.assign(item, { new: rev.parentid === 0, minor: false, top: page.revisions.at(-1) === rev });
    }
    if (props.has('comment')) item.comment = rev.comment;
    if (props.has('size')) item.size = Buffer.byteLength(rev.content);
    if (props.has('tags')) item.tags = [...rev.tags];
    return item;
  });
  const next = rows[max];
  return { items, next: next === undefined ? null : { uccontinue: position(next.rev) } };
}

// --- list=watchlist -----------------------------------------------------------------------------------

/**
 * ApiQueryWatchlist: the latest change of each watched page (wlallrev for all), newest first.
 * ApiBase::getWatchlistUser: anonymous -> notloggedin; without the viewmywatchlist right (an OAuth
 * session has it with the viewmywatchlist grant) -> permissiondenied. devwiki's rcid is the revid.
 */
function watchlist(ctx: WikiContext, req: WikiRequest, s: ApiSession): { items: Json[]; next: Continuation } {
  const user = s.user;
  if (user === null) {
    throw new ApiError('notloggedin', 'Please log in to view or edit items on your watchlist.');
  }
  if (!s.rights.includes('viewmywatchlist')) {
    throw new ApiError('permissiondenied', "You don't have permission to view your watchlist.");
  }
  const watched = ctx.store.watchedTitles(user);
  const props = new Set(values(req, 'wlprop').length > 0 ? values(req, 'wlprop') : ['ids', 'title', 'flags']);
  const namespaces = values(req, 'wlnamespace').map(Number);
  const only = param(req, 'wluser');
  const except = param(req, 'wlexcludeuser');
  const newestFirst = param(req, 'wldir') !== 'newer';
  const allrev = param(req, 'wlallrev') !== null;
  const rows = existing(ctx)
    .filter((page) => watched.has(page.title) && (namespaces.length === 0 || namespaces.includes(page.ns)))
    .flatMap((page) => (allrev ? page.revisions : page.revisions.slice(-1)).map((rev) => ({ page, rev })))
    .filter(({ rev }) => (only === null || rev.user === normalizeTitle(only).title) && rev.user !== except)
    .sort((a, b) => byTime(newestFirst)(a.rev, b.rev))
    .filter(({ rev }) => atOrAfter(rev, param(req, 'wlcontinue'), newestFirst));
  const max = limit(req, 'wllimit', 10);
  const items = rows.slice(0, max).map(({ page, rev }) => {
    const item: JsonObject = { type: rev.parentid === 0 ? 'new' : 'edit' };
    if (props.has('title')) Object.assign(item, { ns: page.ns, title: page.title });
    if (props.has('ids')) Object.assign(item, { pageid: page.id, revid: rev.revid, old_revid: rev.parentid });
    if (props.has('user')) item.user = rev.user;
    if (props.has('userid')) item.userid = rev.userid;
    if (props.has('flags')) Object.assign(item, { bot: false, new: rev.parentid === 0, minor: false });
    if (props.has('sizes')) {
      const parent = page.revisions.find((r) => r.revid === rev.parentid);
      Object.assign(item, {
        oldlen: parent === undefined ? 0 : Buffer.byteLength(parent.content),
        newlen: Buffer.byteLength(rev.content),
      });
    }
    if (props.has('timestamp')) item.timestamp = isoTimestamp(rev.timestamp);
    if (props.has('comment')) item.comment = rev.comment;
    if (props.has('tags')) item.tags = [...rev.tags];
    return item;
  });
  const next = rows[max];
  return { items, next: next === undefined ? null : { wlcontinue: position(next.rev) } };
}

// --- list=allpages (and generator=allpages) -----------------------------------------------------------

/**
 * ApiQueryAllPages: existing pages of one namespace (default 0) in database-key order; `prefix` is
 * '' for the list and 'g' for the generator (gapcontinue, gaplimit, ...). Continues with the next
 * page's database key.
 */
function allpages(
  ctx: WikiContext,
  req: WikiRequest,
  prefix: '' | 'g',
): { pages: Page[]; next: Continuation } {
  const p = (name: string): string | null => param(req, `${prefix}ap${name}`);
  const ns = Number(p('namespace') ?? '0');
  const descending = p('dir') === 'descending';
  // ApiQueryBase::titlePartToKey: first letter upper case, spaces as underscores.
  const key = (raw: string | null): string | null =>
    raw === null ? null : ucfirst(raw.trim().replace(/[ _]+/g, '_'));
  const from = key(p('continue') ?? p('from'));
  const to = key(p('to'));
  const prefixKey = key(p('prefix'));
  const pages = existing(ctx)
    .filter((page) => page.ns === ns)
    .map((page) => ({ page, key: dbKey(page.title, page.ns) }))
    .filter(({ key: k }) => prefixKey === null || k.startsWith(prefixKey))
    .filter(({ key: k }) => from === null || (descending ? k <= from : k >= from))
    .filter(({ key: k }) => to === null || (descending ? k >= to : k <= to))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * (descending ? -1 : 1));
  const max = limit(req, `${prefix}aplimit`, 10);
  const next = pages[max];
  return {
    pages: pages.slice(0, max).map(({ page }) => page),
    next: next === undefined ? null : { [`${prefix}apcontinue`]: next.key },
  };
}

// --- prop=info --------------------------------------------------------------------------------------

/** ApiQueryInfo::extractPageInfo, for the inprop values devwiki knows (url, watched). */
function info(
  ctx: WikiContext,
  s: ApiSession,
  title: string,
  page: Page | null,
  props: Set<string>,
): JsonObject {
  const out: JsonObject = {
    contentmodel: 'wikitext',
    pagelanguage: 'en',
    pagelanguagehtmlcode: 'en',
    pagelanguagedir: 'ltr',
  };
  const latest = page?.revisions.at(-1);
  if (page !== null && latest !== undefined) {
    out.touched = isoTimestamp(latest.timestamp);
    out.lastrevid = latest.revid;
    out.length = Buffer.byteLength(latest.content);
    if (page.revisions.length === 1) out.new = true;
  }
  // Only a session that may read the watchlist learns what is on it (ApiQueryInfo::getWatchedInfo).
  if (props.has('watched') && s.user !== null && s.rights.includes('viewmywatchlist')) {
    out.watched = ctx.store.watchedTitles(s.user).has(title);
  }
  if (props.has('url')) {
    const path = encodeURIComponent(title.replace(/ /g, '_')).replace(/%3A/g, ':').replace(/%2F/g, '/');
    out.fullurl = `${ctx.origin}/w/index.php/${path}`;
    out.editurl = `${ctx.origin}/w/index.php?title=${path}&action=edit`;
    out.canonicalurl = `${ctx.origin}/w/index.php/${path}`;
  }
  return out;
}

// --- action=query -------------------------------------------------------------------------------------

/**
 * The query module: the page set with its prop modules, then the list modules, then the meta
 * modules (ApiQuery::execute), with `batchcomplete`, `continue` and `warnings` as MediaWiki writes them.
 */
export function runQuery(ctx: WikiContext, req: WikiRequest, s: ApiSession, hooks: QueryHooks): JsonObject {
  const fv2 = formatVersion2(req);
  const warnings: string[] = [];
  const pick = (name: string, known: readonly string[]): string[] => {
    const asked = values(req, name);
    const bad = asked.filter((v) => !known.includes(v));
    if (bad.length > 0) warnings.push(unrecognized(name, bad));
    return asked.filter((v) => known.includes(v));
  };
  const props = pick('prop', PROP_MODULES);
  const lists = pick('list', LIST_MODULES);
  const metas = pick('meta', Object.keys(hooks.meta));
  const generator = param(req, 'generator');
  if (generator !== null && !GENERATORS.includes(generator)) {
    throw new ApiError('badvalue', `Unrecognized value for parameter "generator": ${generator}.`);
  }
  // continue=<generator part>||<finished modules>: '-' means the page set and its props are done.
  const resumed = param(req, 'continue');
  const [pageSetPart = '', finishedPart = ''] = (resumed ?? '').split('||');
  const finished = new Set(resumed === null ? [] : finishedPart.split('|').filter((m) => m !== ''));
  const pageSetDone = resumed !== null && pageSetPart === '-';

  const q: JsonObject = {};
  const continuation: Record<string, string> = {};
  const done: string[] = [];
  let propsContinue = false;
  let generatorContinue: Continuation = null;

  // The page set: titles=, or the pages generator=allpages yields.
  const titles = values(req, 'titles');
  if (!pageSetDone && (generator !== null || titles.length > 0 || props.length > 0)) {
    const normalized: Json[] = [];
    let set: Array<{ title: string; ns: number; page: Page | null }>;
    if (generator !== null) {
      const generated = allpages(ctx, req, 'g');
      generatorContinue = generated.next;
      set = generated.pages.map((page) => ({ title: page.title, ns: page.ns, page }));
    } else {
      set = titles.map((raw) => {
        const { title, ns } = normalizeTitle(raw);
        if (title !== raw) normalized.push({ fromencoded: false, from: raw, to: title });
        const page = ctx.store.page(title);
        return { title, ns, page: page !== null && page.revisions.length > 0 ? page : null };
      });
    }
    const inprop = new Set(props.includes('info') ? pick('inprop', ['url', 'watched']) : []);
    const pages = set.map(({ title, ns, page }) => {
      const entry: JsonObject =
        page === null ? { ns, title, missing: true } : { pageid: page.id, ns: page.ns, title: page.title };
      for (const prop of props) {
        if (prop === 'info') Object.assign(entry, info(ctx, s, title, page, inprop));
        if (prop === 'revisions' && page !== null) {
          const { revisions, next } = hooks.revisions(page);
          entry.revisions = revisions;
          if (next !== null) {
            continuation.rvcontinue = position(next);
            propsContinue = true;
          }
        }
      }
      return entry;
    });
    if (normalized.length > 0) q.normalized = normalized;
    // ApiQuery::outputGeneralPageInfo writes `pages` only when there are some.
    if (pages.length > 0) q.pages = pages;
  }

  for (const name of lists) {
    if (finished.has(name)) continue;
    const { items, next } =
      name === 'usercontribs'
        ? usercontribs(ctx, req)
        : name === 'watchlist'
          ? watchlist(ctx, req, s)
          : (() => {
              const { pages, next: more } = allpages(ctx, req, '');
              return {
                items: pages.map((p): Json => ({ pageid: p.id, ns: p.ns, title: p.title })),
                next: more,
              };
            })();
    q[name] = items;
    if (next === null) done.push(name);
    else Object.assign(continuation, next);
  }
  for (const name of metas) {
    if (finished.has(name)) continue;
    q[name] = hooks.meta[name]?.() ?? null;
    done.push(name);
  }

  const out: JsonObject = {};
  if (!propsContinue) out.batchcomplete = true;
  if (Object.keys(continuation).length > 0 || generatorContinue !== null) {
    // ApiContinuationManager::getContinuation: the generator's parameters (or '-' when the page
    // set is done), '||', and the modules already finished.
    const head =
      generatorContinue !== null ? Object.keys(generatorContinue).join('|') : propsContinue ? '' : '-';
    out.continue = {
      ...(generatorContinue ?? {}),
      ...continuation,
      continue: `${head}||${[...finished, ...done].join('|')}`,
    };
  }
  if (warnings.length > 0) out.warnings = { query: { [fv2 ? 'warnings' : '*']: warnings.join('\n') } };
  if (Object.keys(q).length > 0) out.query = q;
  return out;
}
