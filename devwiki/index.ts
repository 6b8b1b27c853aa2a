// devwiki: a local stand-in for MediaWiki 1.39 + Extension:OAuth, for `npm run dev` and tests only.
// Never imported by app/ or lib/ (eslint.config.mjs enforces it). See devwiki/README.md.
import type { AddressInfo } from 'node:net';
import { defaultConsumers } from './consumers';
import { Faults } from './faults';
import { createWikiServer, type ServerState } from './server';
import { normalizeTitle, Store } from './store';
import type {
  Devwiki,
  DevwikiConsumer,
  DevwikiOptions,
  DevwikiRequestRecord,
  DevwikiRevision,
} from './types';
import { isoTimestamp } from './context';

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

export async function startDevwiki(options: DevwikiOptions = {}): Promise<Devwiki> {
  const now = options.now ?? Date.now;
  let offsetMs = 0;
  const nowMs = (): number => now() + offsetMs;
  const consumers: DevwikiConsumer[] = structuredClone(options.consumers ?? defaultConsumers());
  const store = new Store(consumers, nowMs());
  const faults = new Faults();
  const records: DevwikiRequestRecord[] = [];
  const state: ServerState = {
    ctx: { store, origin: '', nowMs },
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
    const page = await fetch(authorizeUrl, { headers: { Cookie: cookie }, redirect: 'manual' });
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
    const location = allowed.headers.get('location');
    if (allowed.status !== 302 || location === null) {
      throw new Error(
        `devwiki.approve: Allow did not redirect (HTTP ${allowed.status}): ${excerpt(await allowed.text())}`,
      );
    }
    return location;
  }

  const devwiki: Devwiki = {
    origin,
    indexUrl,
    apiUrl: `${origin}/w/api.php`,
    consumers,
    setFault: (endpoint, fault) => faults.set(endpoint, fault),
    setClockOffset: (seconds) => {
      offsetMs = seconds * 1000;
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of state.timers) clearTimeout(t);
        state.timers.clear();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
  return devwiki;
}
