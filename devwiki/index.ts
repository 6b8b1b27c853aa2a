// devwiki: a local stand-in for MediaWiki 1.39 + Extension:OAuth, for `npm run dev` and tests only.
// Never imported by app/ or lib/ (eslint.config.mjs enforces it). See devwiki/README.md.
import type { AddressInfo } from 'node:net';
import { defaultConsumers } from './consumers';
import { otherWikiSpecs } from './farm';
import { Faults } from './faults';
import { createWikiServer, type ServerState } from './server';
import { normalizeTitle, Store } from './store';
import type {
  Devwiki,
  DevwikiConsumer,
  DevwikiOptions,
  DevwikiRequestRecord,
  DevwikiRevision,
  DevwikiTokenLifetimes,
} from './types';
import { isoTimestamp } from './context';
import {
  DEFAULT_ACCESS_TOKEN_TTL_S,
  DEFAULT_REFRESH_TOKEN_TTL_S,
  OAuth2Keys,
  ownerOnlyToken,
  type OAuth2Settings,
} from './oauth2';
import { WIKIMEDIA_ACCESS_TOKEN_TTL_S, WIKIMEDIA_REFRESH_TOKEN_TTL_S, WikimediaMode } from './wikimedia';

export type * from './types';

/** The port `npm run devwiki` and `npm run dev` use when it is free. */
export const DEFAULT_PORT = 8181;
export { defaultConsumers, loadConsumersFile, ConsumersFileError, DEFAULT_CALLBACK } from './consumers';

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#039;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The hidden inputs and action of the authorize form, read the way a browser would. */
function parseAuthorizeForm(html: string): { action: string; fields: Array<[string, string]> } | null {
  const form = /<form id='mw-mwoauth-authorize-form' action='([^']*)'[\s\S]*?<\/form>/.exec(html);
  if (form === null) return null;
  const fields: Array<[string, string]> = [];
  for (const input of form[0].matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(input[0])?.[1];
    const value = /\bvalue="([^"]*)"/.exec(input[0])?.[1];
    if (name !== undefined && value !== undefined) fields.push([name, decodeEntities(value)]);
  }
  return { action: decodeEntities(form[1] ?? ''), fields };
}

/** The page's own text (not the banner), for error messages. */
function excerpt(html: string): string {
  const start = html.indexOf('<div id="mw-content-text">');
  const text = (start === -1 ? html : html.slice(start))
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.slice(0, 300);
}

/** A token lifetime must be a whole number of seconds, from 1 to 1000 years. */
function lifetime(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 31_556_952_000) {
    throw new Error(`devwiki: ${name} must be a whole number of seconds from 1, not ${String(value)}`);
  }
  return value;
}

function applyLifetimes(settings: OAuth2Settings, lifetimes: DevwikiTokenLifetimes): void {
  const access = lifetime(lifetimes.accessTokenTtlS, 'accessTokenTtlS', settings.accessTokenTtlS);
  const refresh = lifetime(lifetimes.refreshTokenTtlS, 'refreshTokenTtlS', settings.refreshTokenTtlS);
  settings.accessTokenTtlS = access;
  settings.refreshTokenTtlS = refresh;
}

/** The most redirects approve() follows inside devwiki (2.0: authorize -> approve -> authorize). */
const MAX_WIKI_REDIRECTS = 5;

/** What the wikis of one farm share (devwiki/farm.ts): the clock, the OAuth 2.0 keys, the central store. */
interface Shared {
  now: () => number;
  offsetMs: number;
  oauth2: OAuth2Settings;
  consumers: DevwikiConsumer[];
  central: Store;
  /** Owner-only 2.0 clients' registration tokens, minted on first ask and the same afterwards. */
  ownerOnlyTokens: Map<number, Promise<string>>;
  /** The Wikimedia-like edge (devwiki/wikimedia.ts), one for the farm as Wikimedia's is; null: 1.39. */
  wikimedia: WikimediaMode | null;
}

/** Starts the central wiki, then the farm's other wikis (DevwikiOptions.otherWikis). */
export async function startDevwiki(options: DevwikiOptions = {}): Promise<Devwiki> {
  const { centralId, others } = otherWikiSpecs(options);
  const now = options.now ?? Date.now;
  const wikimedia =
    options.wikimedia === undefined || options.wikimedia === false
      ? null
      : new WikimediaMode(options.wikimedia === true ? {} : options.wikimedia);
  const oauth2: OAuth2Settings = {
    keys: new OAuth2Keys(),
    // Wikimedia's wikis: 4 hours and 365 days (wmf-config); the recorded 1.39 wiki: 1 hour and 1 minute.
    accessTokenTtlS: wikimedia === null ? DEFAULT_ACCESS_TOKEN_TTL_S : WIKIMEDIA_ACCESS_TOKEN_TTL_S,
    refreshTokenTtlS: wikimedia === null ? DEFAULT_REFRESH_TOKEN_TTL_S : WIKIMEDIA_REFRESH_TOKEN_TTL_S,
  };
  applyLifetimes(oauth2, options);
  const consumers: DevwikiConsumer[] = structuredClone(options.consumers ?? defaultConsumers());
  const shared: Shared = {
    now,
    offsetMs: 0,
    oauth2,
    consumers,
    central: new Store(consumers, now()),
    ownerOnlyTokens: new Map(),
    wikimedia,
  };
  const central = await startWiki(options, centralId, shared, null);
  try {
    for (const other of others) {
      const log = options.log;
      const wiki = await startWiki(
        {
          ...options,
          port: other.port,
          log: log === undefined ? undefined : (line) => log(`${other.wikiId}: ${line}`),
        },
        other.wikiId,
        shared,
        new Store(consumers, now(), shared.central),
      );
      central.otherWikis.push(wiki);
    }
  } catch (e) {
    await central.close();
    throw e;
  }
  return central;
}

/** One wiki of the farm: the central one (`ownStore` null) or another with a store of its own. */
async function startWiki(
  options: DevwikiOptions,
  wikiId: string,
  shared: Shared,
  ownStore: Store | null,
): Promise<Devwiki> {
  const { now, oauth2, consumers, ownerOnlyTokens, wikimedia } = shared;
  const nowMs = (): number => now() + shared.offsetMs;
  const store = ownStore ?? shared.central;
  const faults = new Faults();
  const records: DevwikiRequestRecord[] = [];
  const state: ServerState = {
    ctx: { store, origin: '', wikiId, nowMs, oauth2, wikimedia },
    faults,
    records,
    latencyMs: options.latencyMs ?? 0,
    now,
    log: options.log ?? ((): void => {}),
    timers: new Set(),
  };
  const server = createWikiServer(state);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('devwiki: the server has no TCP address');
  const { port } = address;
  const origin = `http://127.0.0.1:${port}`;
  state.ctx.origin = origin;
  const indexUrl = `${origin}/w/index.php`;
  const otherWikis: Devwiki[] = [];
  let closing: Promise<void> | null = null;

  /** GETs `url` with the cookie, following redirects that stay inside devwiki; the last answer. */
  async function follow(url: string, cookie: string): Promise<{ page: Response; url: string }> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const page = await fetch(current, { headers: { Cookie: cookie }, redirect: 'manual' });
      const location = page.headers.get('location');
      if (location === null || hop === MAX_WIKI_REDIRECTS) return { page, url: current };
      const next = new URL(location, current);
      if (next.origin !== origin) return { page, url: current };
      await page.arrayBuffer();
      current = next.href;
    }
  }

  async function approve(authorizeUrl: string, username: string): Promise<string> {
    const login = await fetch(`${indexUrl}?title=Special:UserLogin`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ wpName: username, wpPassword: 'any password works' }).toString(),
      redirect: 'manual',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    if (login.status !== 302 || cookie === '') {
      throw new Error(`devwiki.approve: could not log in as "${username}" (HTTP ${login.status})`);
    }
    // OAuth 2.0's authorize URL redirects to Special:OAuth/approve first (o2-02).
    const { page } = await follow(authorizeUrl, cookie);
    const html = await page.text();
    const form = page.status === 200 ? parseAuthorizeForm(html) : null;
    if (form === null) {
      throw new Error(
        `devwiki.approve: ${authorizeUrl} did not show the authorize form (HTTP ${page.status}): ${excerpt(html)}`,
      );
    }
    const body = new URLSearchParams([...form.fields, ['accept', 'Allow']]).toString();
    const allowed = await fetch(new URL(form.action, origin), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      body,
      redirect: 'manual',
    });
    let location = allowed.headers.get('location');
    if (allowed.status !== 302 || location === null) {
      throw new Error(
        `devwiki.approve: Allow did not redirect (HTTP ${allowed.status}): ${excerpt(await allowed.text())}`,
      );
    }
    // OAuth 2.0: Allow leads back to the authorize endpoint, which redirects to the app (o2-04, o2-05).
    if (new URL(location, origin).origin === origin) {
      const { page: last, url } = await follow(new URL(location, origin).href, cookie);
      location = last.headers.get('location');
      if (location === null) {
        throw new Error(
          `devwiki.approve: ${url} did not redirect to the application (HTTP ${last.status}): ${excerpt(await last.text())}`,
        );
      }
      await last.arrayBuffer();
    }
    return location;
  }

  const devwiki: Devwiki = {
    wikiId,
    otherWikis,
    hasLocalAccount(username) {
      const user = store.userByName(username);
      return user !== null && store.hasLocalAccount(user);
    },
    createLocalAccount(username) {
      const user = store.ensureUser(username, nowMs());
      if (user === null)
        throw new Error(`devwiki.createLocalAccount: "${username}" is not a valid user name`);
      store.attachLocalAccount(user);
    },
    origin,
    indexUrl,
    apiUrl: `${origin}/w/api.php`,
    restUrl: `${origin}/w/rest.php`,
    consumers,
    setFault: (endpoint, fault) => faults.set(endpoint, fault),
    setClockOffset: (seconds) => {
      shared.offsetMs = seconds * 1000;
    },
    approve,
    revoke(username, consumerKey) {
      const user = store.userByName(username);
      const consumer = store.consumerByKey(consumerKey);
      if (user === null || consumer === null) {
        throw new Error(`devwiki.revoke: no such ${user === null ? `user "${username}"` : 'consumer key'}`);
      }
      const acceptance = store.acceptanceFor(user.id, consumer.id);
      if (acceptance !== null) store.revokeAcceptance(acceptance.id);
    },
    setTokenLifetimes: (lifetimes) => applyLifetimes(oauth2, lifetimes),
    async ownerOnlyAccessToken(clientId) {
      const client = store.consumerByKey(clientId);
      if (client === null || client.oauthVersion !== '2.0' || !client.ownerOnly) {
        throw new Error(`devwiki.ownerOnlyAccessToken: ${clientId} is not an owner-only OAuth 2.0 client`);
      }
      let token = ownerOnlyTokens.get(client.id);
      if (token === undefined) {
        token = ownerOnlyToken({ ...state.ctx, forgery: null }, client);
        ownerOnlyTokens.set(client.id, token);
      }
      return token;
    },
    async oauth2PublicKey() {
      const { publicKey } = await oauth2.keys.get();
      return publicKey.export({ type: 'spki', format: 'pem' }).toString();
    },
    requests: records,
    readPage(title): DevwikiRevision | null {
      const rev = store.page(title)?.revisions.at(-1);
      if (rev === undefined) return null;
      return {
        revid: rev.revid,
        user: rev.user,
        comment: rev.comment,
        tags: [...rev.tags],
        content: rev.content,
        timestamp: isoTimestamp(rev.timestamp),
      };
    },
    protectPage(title) {
      store.ensurePage(normalizeTitle(title).title).protected = true;
    },
    blockUser(username) {
      const user = store.ensureUser(username, nowMs());
      if (user === null) throw new Error(`devwiki.blockUser: "${username}" is not a valid user name`);
      store.block(user, nowMs());
    },
    setUserRights(username, rights) {
      const user = store.ensureUser(username, nowMs());
      if (user === null) throw new Error(`devwiki.setUserRights: "${username}" is not a valid user name`);
      user.rights = [...rights];
    },
    setUserOptions(username, options) {
      const user = store.ensureUser(username, nowMs());
      if (user === null) throw new Error(`devwiki.setUserOptions: "${username}" is not a valid user name`);
      user.options = { ...user.options, ...options };
    },
    wikimedia:
      wikimedia === null
        ? null
        : {
            invalidateAccessTokens(username, clientId) {
              const user = store.userByName(username);
              const client = store.consumerByKey(clientId);
              if (user === null || client === null || client.oauthVersion !== '2.0') {
                throw new Error(
                  `devwiki.wikimedia.invalidateAccessTokens: no such ${user === null ? `user "${username}"` : 'OAuth 2.0 client'}`,
                );
              }
              return store.revokeOAuth2AccessTokens(user.id, client.id);
            },
            setBudgets: (budgets) => wikimedia.setBudgets(budgets),
            sessionJwtFor(username) {
              const user = store.ensureUser(username, nowMs());
              if (user === null)
                throw new Error(`devwiki.wikimedia.sessionJwtFor: "${username}" is not a valid user name`);
              return wikimedia.sessionJwt({ ...state.ctx, forgery: null }, user);
            },
            get counted() {
              return wikimedia.counted;
            },
            get refusals() {
              return wikimedia.refusals;
            },
            get crossUserCookies() {
              return wikimedia.crossUserCookies;
            },
          },
    // Once: closing the central wiki closes the others, which may have been closed already.
    close: () =>
      (closing ??= (async (): Promise<void> => {
        await Promise.all(otherWikis.map((w) => w.close()));
        await new Promise<void>((resolve, reject) => {
          for (const t of state.timers) clearTimeout(t);
          state.timers.clear();
          server.close((err) => (err === undefined ? resolve() : reject(err)));
          server.closeAllConnections();
        });
      })()),
  };
  return devwiki;
}
