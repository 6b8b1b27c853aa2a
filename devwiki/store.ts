// devwiki's state, all in memory: users, consumers, request tokens, authorizations (access tokens),
// nonces, browser sessions, pages and revisions. Times are ms since epoch by the wiki's clock.
// In a farm (devwiki/farm.ts) each wiki has its own Store, and the other wikis' Stores share the
// central wiki's users, consumers, authorizations and tokens (see the constructor).
import { createHmac, randomBytes } from 'node:crypto';
import { ADMIN_GROUPS, ADMIN_RIGHTS, USER_GROUPS, USER_RIGHTS } from './rights';
import type { DevwikiConsumer } from './types';

export interface Block {
  id: number;
  by: string;
  byId: number;
  reason: string;
  timestamp: number;
}

export interface User {
  id: number;
  name: string;
  groups: readonly string[];
  rights: readonly string[];
  email: string;
  emailAuthenticated: number | null;
  realname: string;
  registered: number;
  block: Block | null;
  /** Preferences read by uiprop=options: the interface language and the gender (for GENDER). */
  options: { language: string; gender: 'male' | 'female' | 'unknown' };
}

export interface RequestToken {
  key: string;
  secret: string;
  consumerKey: string;
  /** 'oob' or the URL given at initiate. */
  callback: string;
  created: number;
  /** Set when the user presses Allow (Special:OAuth/authorize). */
  verifier: string | null;
  accessKey: string | null;
}

/** A user's authorization of a consumer (ConsumerAcceptance): holds the access token. */
export interface Acceptance {
  id: number;
  userId: number;
  consumerId: number;
  accessKey: string;
  accessSecret: string;
  grants: readonly string[];
  accepted: number;
}

export interface Revision {
  revid: number;
  parentid: number;
  user: string;
  userid: number;
  timestamp: number;
  comment: string;
  tags: string[];
  content: string;
}

export interface Page {
  id: number;
  title: string;
  ns: number;
  protected: boolean;
  revisions: Revision[];
}

/** An OAuth 2.0 authorization code (league/oauth2-server's AuthCodeGrant payload). */
export interface AuthCode {
  code: string;
  consumerId: number;
  userId: number;
  scopes: readonly string[];
  /** The redirect_uri given at authorize, which the token request must repeat; null if none was. */
  redirectUri: string | null;
  challenge: string | null;
  challengeMethod: 'plain' | 'S256';
  expires: number;
  /** Exchanged already: a second exchange is 'Authorization code has been revoked' (o2-07). */
  spent: boolean;
}

/** An OAuth 2.0 access token, by its JWT `jti`. */
export interface OAuth2AccessToken {
  jti: string;
  consumerId: number;
  userId: number;
  scopes: readonly string[];
  expires: number;
  revoked: boolean;
}

export interface OAuth2RefreshToken {
  token: string;
  consumerId: number;
  userId: number;
  scopes: readonly string[];
  accessJti: string;
  expires: number;
  revoked: boolean;
}

export interface Session {
  id: string;
  userId: number;
  editToken: string;
}

/** Request tokens live 600 s in the wiki's object cache, and so does the '**USED**' marker (_facts.json). */
export const REQUEST_TOKEN_TTL_MS = 600_000;
/** Nonces are remembered until oauth_timestamp + 300 s (MWOAuthDataStore::lookup_nonce). */
export const NONCE_TTL_S = 300;

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

const NAMESPACES: ReadonlyArray<[string, number]> = [
  ['Talk', 1],
  ['User', 2],
  ['User talk', 3],
  ['Project', 4],
  ['Project talk', 5],
  ['Help', 12],
];

function ucfirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** MediaWiki title normalization: underscores are spaces, first letters upper case, known namespaces. */
export function normalizeTitle(raw: string): { title: string; ns: number } {
  const clean = raw.replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
  const colon = clean.indexOf(':');
  if (colon > 0) {
    const prefix = clean.slice(0, colon).trim().toLowerCase();
    const known = NAMESPACES.find(([name]) => name.toLowerCase() === prefix);
    if (known !== undefined) {
      return { title: `${known[0]}:${ucfirst(clean.slice(colon + 1).trim())}`, ns: known[1] };
    }
  }
  return { title: ucfirst(clean), ns: 0 };
}

/** User names are titles in the User namespace: first letter upper case, underscores are spaces. */
export function normalizeUserName(raw: string): string | null {
  const name = ucfirst(raw.replace(/_/g, ' ').replace(/\s+/g, ' ').trim());
  if (name === '' || name.length > 85 || /[#<>[\]|{}/@:]/.test(name)) return null;
  return name;
}

export class Store {
  readonly users = new Map<number, User>();
  readonly consumers: DevwikiConsumer[];
  private readonly requestTokens = new Map<string, RequestToken>();
  /** Request tokens already exchanged, with the time the marker expires. */
  private readonly usedRequestTokens = new Map<string, number>();
  private readonly acceptances = new Map<number, Acceptance>();
  /** Nonce key -> expiry (ms). */
  private readonly nonces = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();
  private readonly pages = new Map<string, Page>();
  private readonly authCodes = new Map<string, AuthCode>();
  private readonly oauth2AccessTokens = new Map<string, OAuth2AccessToken>();
  private readonly refreshTokens = new Map<string, OAuth2RefreshToken>();
  /** Ids of what the farm shares (user_id, oaac_id, bl_id), shared with the central wiki's store. */
  private readonly ids = { user: 5, acceptance: 1, block: 1 };
  /** user_editcount of the shared user table: edits on every wiki of the farm (fixture farm-01). */
  private readonly editCounts = new Map<number, number>();
  /** Ids of users with a local account here; null on the central wiki, which holds the user table. */
  private readonly localUsers: Set<number> | null = null;
  /** Titles each user watches on this wiki (edits watch the page: `watched: true`, fixture 10). */
  private readonly watchlists = new Map<number, Set<string>>();
  private nextPageId = 1;
  private nextRevId = 1;
  /** Keys the per-user CSRF tokens; new each run. */
  private readonly tokenSalt = hex(16);

  /**
   * `central`: this store is another wiki of `central`'s farm (Extension:OAuth's
   * $wgMWOAuthCentralWiki with $wgMWOAuthSharedUserIDs and a shared user table, as the recorded farm:
   * tests/fixtures/mediawiki-1.39-oauth/_facts.json "farm"). It shares the users, consumers,
   * request tokens, authorizations, OAuth 2.0 codes and tokens, and edit counts; it keeps its own
   * pages, browser sessions, CSRF tokens (farm-06), nonces (per wiki there) and local accounts:
   * the users the central wiki has now get one here, later ones when they log in here (farm-21).
   */
  constructor(consumers: DevwikiConsumer[], now: number, central: Store | null = null) {
    this.consumers = consumers;
    if (central !== null) {
      this.users = central.users;
      this.requestTokens = central.requestTokens;
      this.usedRequestTokens = central.usedRequestTokens;
      this.acceptances = central.acceptances;
      this.authCodes = central.authCodes;
      this.oauth2AccessTokens = central.oauth2AccessTokens;
      this.refreshTokens = central.refreshTokens;
      this.ids = central.ids;
      this.editCounts = central.editCounts;
      this.localUsers = new Set(central.users.keys());
      return;
    }
    this.addUser(1, 'Admin', ADMIN_GROUPS, ADMIN_RIGHTS, 'admin@example.org', now);
    this.addUser(3, 'Alice', USER_GROUPS, USER_RIGHTS, 'alice@example.org', now);
    const blocked = this.addUser(2, 'Blocked', USER_GROUPS, USER_RIGHTS, 'blocked@example.org', now);
    this.block(blocked, now);
    for (const c of consumers) {
      // A 2.0 owner-only client has no 1.0a token; its acceptance holds the owner's approval.
      const oauth2 = c.oauthVersion === '2.0';
      if (!c.ownerOnly || (c.accessToken === undefined && !oauth2) || c.owner === undefined) continue;
      const owner = this.ensureUser(c.owner, now);
      if (owner === null) continue;
      this.acceptances.set(this.ids.acceptance, {
        id: this.ids.acceptance++,
        userId: owner.id,
        consumerId: c.id,
        accessKey: c.accessToken?.key ?? hex(16),
        accessSecret: c.accessToken?.secret ?? hex(20),
        grants: c.grants,
        accepted: now,
      });
    }
  }

  private addUser(
    id: number,
    name: string,
    groups: readonly string[],
    rights: readonly string[],
    email: string,
    now: number,
  ): User {
    const user: User = {
      id,
      name,
      groups,
      rights,
      email,
      emailAuthenticated: email === '' ? null : now,
      realname: '',
      registered: now,
      block: null,
      options: { language: 'en', gender: 'unknown' },
    };
    this.users.set(id, user);
    return user;
  }

  userByName(raw: string): User | null {
    const name = normalizeUserName(raw);
    if (name === null) return null;
    for (const u of this.users.values()) if (u.name === name) return u;
    return null;
  }

  /** Any valid name logs in: unknown names become new ordinary users (load tests log in hundreds). */
  ensureUser(raw: string, now: number): User | null {
    const existing = this.userByName(raw);
    if (existing !== null) return existing;
    const name = normalizeUserName(raw);
    if (name === null) return null;
    return this.addUser(this.ids.user++, name, USER_GROUPS, USER_RIGHTS, '', now);
  }

  block(user: User, now: number): void {
    user.block ??= {
      id: this.ids.block++,
      by: 'Admin',
      byId: 1,
      reason: 'devwiki demo block',
      timestamp: now,
    };
  }

  consumerByKey(key: string): DevwikiConsumer | null {
    return this.consumers.find((c) => c.key === key) ?? null;
  }

  consumerById(id: number): DevwikiConsumer | null {
    return this.consumers.find((c) => c.id === id) ?? null;
  }

  // --- request tokens -------------------------------------------------------------------------

  createRequestToken(consumer: DevwikiConsumer, callback: string, now: number): RequestToken {
    this.purge(now);
    const token: RequestToken = {
      key: hex(16),
      secret: hex(16),
      consumerKey: consumer.key,
      callback,
      created: now,
      verifier: null,
      accessKey: null,
    };
    this.requestTokens.set(token.key, token);
    return token;
  }

  /** The live request token, 'used' if it was exchanged in the last 600 s, or null. */
  requestToken(key: string, now: number): RequestToken | 'used' | null {
    const usedUntil = this.usedRequestTokens.get(key);
    if (usedUntil !== undefined && usedUntil > now) return 'used';
    const token = this.requestTokens.get(key);
    if (token === undefined || token.created + REQUEST_TOKEN_TTL_MS <= now) return null;
    return token;
  }

  markRequestTokenUsed(key: string, now: number): void {
    this.requestTokens.delete(key);
    this.usedRequestTokens.set(key, now + REQUEST_TOKEN_TTL_MS);
  }

  // --- authorizations -------------------------------------------------------------------------

  acceptanceFor(userId: number, consumerId: number): Acceptance | null {
    for (const a of this.acceptances.values())
      if (a.userId === userId && a.consumerId === consumerId) return a;
    return null;
  }

  acceptanceByToken(accessKey: string): Acceptance | null {
    for (const a of this.acceptances.values()) if (a.accessKey === accessKey) return a;
    return null;
  }

  acceptancesOf(userId: number): Acceptance[] {
    return [...this.acceptances.values()].filter((a) => a.userId === userId);
  }

  acceptanceById(id: number): Acceptance | null {
    return this.acceptances.get(id) ?? null;
  }

  /**
   * One access token per (user, consumer): authorizing again returns the same one (fixture 29b).
   * `grants` (OAuth 2.0: the approved scopes) default to the consumer's.
   */
  accept(
    user: User,
    consumer: DevwikiConsumer,
    now: number,
    grants: readonly string[] = consumer.grants,
  ): Acceptance {
    const existing = this.acceptanceFor(user.id, consumer.id);
    if (existing !== null) {
      existing.grants = grants;
      return existing;
    }
    const acceptance: Acceptance = {
      id: this.ids.acceptance++,
      userId: user.id,
      consumerId: consumer.id,
      accessKey: hex(16),
      accessSecret: hex(20),
      grants,
      accepted: now,
    };
    this.acceptances.set(acceptance.id, acceptance);
    return acceptance;
  }

  /** Deauthorize: the 1.0a access token, and every OAuth 2.0 code, access and refresh token of the pair. */
  revokeAcceptance(id: number): boolean {
    const acceptance = this.acceptances.get(id);
    if (acceptance === undefined) return false;
    this.acceptances.delete(id);
    const mine = (t: { userId: number; consumerId: number }): boolean =>
      t.userId === acceptance.userId && t.consumerId === acceptance.consumerId;
    for (const c of this.authCodes.values()) if (mine(c)) c.spent = true;
    for (const t of this.oauth2AccessTokens.values()) if (mine(t)) t.revoked = true;
    for (const t of this.refreshTokens.values()) if (mine(t)) t.revoked = true;
    return true;
  }

  /** Revokes the user's OAuth 2.0 access tokens of the client, not the refresh tokens (Extension:OAuth 0bdc100a). */
  revokeOAuth2AccessTokens(userId: number, consumerId: number): number {
    let revoked = 0;
    for (const t of this.oauth2AccessTokens.values()) {
      if (t.userId === userId && t.consumerId === consumerId && !t.revoked) {
        t.revoked = true;
        revoked++;
      }
    }
    return revoked;
  }

  // --- OAuth 2.0 codes and tokens -------------------------------------------------------------

  saveAuthCode(code: AuthCode, now: number): void {
    this.purgeOAuth2(now);
    this.authCodes.set(code.code, code);
  }

  authCode(code: string): AuthCode | null {
    return this.authCodes.get(code) ?? null;
  }

  saveOAuth2AccessToken(token: OAuth2AccessToken): void {
    this.oauth2AccessTokens.set(token.jti, token);
  }

  oauth2AccessToken(jti: string): OAuth2AccessToken | null {
    return this.oauth2AccessTokens.get(jti) ?? null;
  }

  saveRefreshToken(token: OAuth2RefreshToken): void {
    this.refreshTokens.set(token.token, token);
  }

  refreshToken(token: string): OAuth2RefreshToken | null {
    return this.refreshTokens.get(token) ?? null;
  }

  /** Forgets what can no longer be used, when the maps grow (load tests log in hundreds). */
  private purgeOAuth2(now: number): void {
    if (this.authCodes.size + this.oauth2AccessTokens.size + this.refreshTokens.size < 10_000) return;
    for (const [k, c] of this.authCodes) if (c.expires <= now) this.authCodes.delete(k);
    for (const [k, t] of this.oauth2AccessTokens) if (t.expires <= now) this.oauth2AccessTokens.delete(k);
    for (const [k, t] of this.refreshTokens) if (t.expires <= now) this.refreshTokens.delete(k);
  }

  // --- nonces ---------------------------------------------------------------------------------

  /**
   * Records a nonce; false if it was seen before. Keyed by (consumer key, token, nonce), not by
   * timestamp: the same nonce with a new timestamp is refused too (fixtures 18b, 18c).
   */
  useNonce(consumerKey: string, token: string, nonce: string, timestamp: number, now: number): boolean {
    const key = JSON.stringify([consumerKey, token, nonce]);
    const expires = this.nonces.get(key);
    if (expires !== undefined && expires > now) return false;
    this.nonces.set(key, (timestamp + NONCE_TTL_S) * 1000);
    return true;
  }

  private purge(now: number): void {
    if (this.nonces.size > 10_000) for (const [k, exp] of this.nonces) if (exp <= now) this.nonces.delete(k);
    for (const [k, t] of this.requestTokens)
      if (t.created + REQUEST_TOKEN_TTL_MS <= now) this.requestTokens.delete(k);
    for (const [k, exp] of this.usedRequestTokens) if (exp <= now) this.usedRequestTokens.delete(k);
  }

  // --- sessions and CSRF tokens ---------------------------------------------------------------

  createSession(user: User): Session {
    const session: Session = { id: hex(16), userId: user.id, editToken: this.csrfToken(user) };
    this.sessions.set(session.id, session);
    return session;
  }

  session(id: string): Session | null {
    return this.sessions.get(id) ?? null;
  }

  endSession(id: string): void {
    this.sessions.delete(id);
  }

  /** A CSRF token shaped like MediaWiki's: hex followed by '+\' (fixture 09). */
  csrfToken(user: User): string {
    return createHmac('sha1', this.tokenSalt).update(String(user.id)).digest('hex') + '+\\';
  }

  // --- pages ----------------------------------------------------------------------------------

  page(rawTitle: string): Page | null {
    return this.pages.get(normalizeTitle(rawTitle).title) ?? null;
  }

  ensurePage(rawTitle: string): Page {
    const { title, ns } = normalizeTitle(rawTitle);
    let page = this.pages.get(title);
    if (page === undefined) {
      page = { id: this.nextPageId++, title, ns, protected: false, revisions: [] };
      this.pages.set(title, page);
    }
    return page;
  }

  addRevision(
    page: Page,
    user: User,
    content: string,
    comment: string,
    tags: string[],
    now: number,
  ): Revision {
    const latest = page.revisions.at(-1);
    const rev: Revision = {
      revid: this.nextRevId++,
      parentid: latest?.revid ?? 0,
      user: user.name,
      userid: user.id,
      timestamp: now,
      comment,
      tags,
      content,
    };
    page.revisions.push(rev);
    this.editCounts.set(user.id, this.editCount(user) + 1);
    return rev;
  }

  editCount(user: User): number {
    return this.editCounts.get(user.id) ?? 0;
  }

  // --- local accounts and watchlists ------------------------------------------------------------

  /**
   * Whether the user has an account on this wiki: CentralAuth's "attached" (the recorded farm's
   * RealwikiFarmIdLookup). Without one, Extension:OAuth REL1_39 refuses the user's requests here
   * with mwoauth-invalid-authorization-invalid-user (fixtures farm-17, farm-18).
   */
  hasLocalAccount(user: User): boolean {
    return this.localUsers === null || this.localUsers.has(user.id);
  }

  /** Logging in on a wiki makes the local account (farm-21). */
  attachLocalAccount(user: User): void {
    this.localUsers?.add(user.id);
  }

  watch(user: User, title: string): void {
    const titles = this.watchlists.get(user.id) ?? new Set<string>();
    titles.add(normalizeTitle(title).title);
    this.watchlists.set(user.id, titles);
  }

  watchedTitles(user: User): ReadonlySet<string> {
    return this.watchlists.get(user.id) ?? new Set<string>();
  }

  /** Every page of this wiki, in no particular order. */
  allPages(): Page[] {
    return [...this.pages.values()];
  }
}
