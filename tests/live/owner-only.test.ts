// Live, opt-in (npm run test:live): lib/mwoauth with an owner-only consumer against a real wiki
// (OAuth 1.0a, or with LIVE_MW_OAUTH_VERSION=2.0 an owner-only 2.0 client's access token as Bearer).
// Runs only when every variable of LIVE_PARTS['owner-only'] is set (tests/live/env.ts); makes exactly
// one edit per run, with maxlag=5 as Wikimedia asks of bots (https://www.mediawiki.org/wiki/Manual:Maxlag_parameter).
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ApiClient,
  fetchProfile,
  identify,
  initiate,
  MWOAuthError,
  type ApiResponse,
  type SuppressedProfile,
  type UserProfile,
} from 'mwoauth';
import { ownerOnlyConfig, skipLine } from './env';

const config = ownerOnlyConfig();
if (config === null) console.log(skipLine('owner-only'));

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : null;
}

interface LatestRevision {
  revid: number;
  user: string;
  comment: string;
  tags: string[];
  content: string;
}

/** The latest revision of `title` from a prop=revisions answer, or null when the page has none. */
function latestRevision(answer: ApiResponse): LatestRevision | null {
  const pages = record(answer.query)?.pages;
  const page = Array.isArray(pages) ? record(pages[0]) : null;
  const revisions = page?.revisions;
  const revision = Array.isArray(revisions) ? record(revisions[0]) : null;
  if (revision === null) return null;
  const content = record(record(revision.slots)?.main)?.content;
  const { revid, user, comment, tags } = revision;
  if (
    typeof revid !== 'number' ||
    typeof user !== 'string' ||
    typeof comment !== 'string' ||
    !Array.isArray(tags) ||
    typeof content !== 'string'
  ) {
    throw new Error(`The wiki answered an unexpected revision: ${JSON.stringify(revision).slice(0, 500)}`);
  }
  return { revid, user, comment, tags: tags.filter((t): t is string => typeof t === 'string'), content };
}

describe.skipIf(config === null)('an owner-only consumer on the live wiki', () => {
  // Set in beforeAll; the describe is skipped when config is null.
  let api: ApiClient;
  let owner = '';

  beforeAll(() => {
    if (config === null) return;
    api = new ApiClient({
      apiUrl: config.apiUrl,
      auth:
        config.protocol === '2.0'
          ? { bearer: config.bearer }
          : { consumer: config.consumer, accessToken: config.accessToken },
      userAgent: config.userAgent,
      maxlag: 5,
    });
  });

  /** Who the credentials act as: 1.0a's verified identify, or 2.0's profile (o2-22). */
  function whoAmI(): Promise<UserProfile | SuppressedProfile> {
    if (config === null) throw new Error('not configured');
    if (config.protocol === '2.0') {
      return fetchProfile(config.indexUrl, config.bearer, { userAgent: config.userAgent });
    }
    return identify(config.indexUrl, config.consumer, config.accessToken, {
      userAgent: config.userAgent,
      ...(config.issuer === null ? {} : { issuer: config.issuer }),
    });
  }

  it('should be identified as its owner, and userinfo should name the same user', async () => {
    if (config === null) return;
    // Both asked at once, and both failures reported (a wrong secret fails both; which answer comes
    // first is a race), so the output always names api.php's error as well as identify's.
    const [asked, answered] = await Promise.allSettled([
      whoAmI(),
      api.get({ action: 'query', meta: 'userinfo' }, { assert: 'user' }),
    ]);
    const failed = [asked, answered].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    if (asked.status === 'rejected' || answered.status === 'rejected') {
      throw new Error(failed.map((e) => (e instanceof Error ? e.message : String(e))).join('\n'));
    }
    const [me, info] = [asked.value, answered.value];
    if (me.suppressed) throw new Error('The owner account is suppressed on this wiki: use another account.');
    const userinfo = record(record(info.query)?.userinfo);
    // The access token shown at registration is the owner's own (fixtures 31, 31b).
    expect(userinfo?.anon).toBeUndefined();
    expect(userinfo?.name).toBe(me.username);
    expect(me.blocked, `${me.username} is blocked on this wiki: the edit test would fail`).toBe(false);
    owner = me.username;
    console.log(`live: the owner-only consumer acts as ${owner} (grants: ${me.grants.join(', ')})`);
  });

  // One test in each mode, so that each mode runs four: what shows this is an owner-only credential.
  it(
    config?.protocol === '2.0'
      ? 'should hold an OAuth 2.0 access token that does not expire for years, as the wiki shows it at registration (o2-21)'
      : 'should be refused a login handshake, since owner-only consumers cannot initiate (fixture 25)',
    async () => {
      if (config === null) return;
      if (config.protocol === '1.0a') {
        const error = await initiate(config.indexUrl, config.consumer, { userAgent: config.userAgent }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(MWOAuthError);
        expect(error).toMatchObject({
          code: 'mediawiki',
          mediawikiCode: 'mwoauthserver-consumer-owner-only',
        });
        return;
      }
      // The token is an RS256 JWT (o2-06); its exp says how long it lives. The owner-only one is
      // made to outlive the tool (o2-21: a thousand years): one that expires would need a refresh
      // token, which owner-only clients never get (o2-23).
      const payload = config.bearer.split('.')[1] ?? '';
      let claims: unknown = null;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        claims = null;
      }
      const exp: unknown = typeof claims === 'object' && claims !== null ? Reflect.get(claims, 'exp') : null;
      expect(typeof exp, 'LIVE_OWNER_ACCESS_TOKEN is not a JWT: copy the whole access token').toBe('number');
      expect(Number(exp)).toBeGreaterThan(Date.now() / 1000 + 10 * 365 * 24 * 3600);
    },
  );

  it("should append one line to the owner's sandbox, which reads back as the owner's latest revision", async () => {
    if (config === null) return;
    expect(owner, 'the identify test above must pass first').not.toBe('');
    const title = `User:${owner}/sandbox`;
    const marker = `next-mwoauth live test ${new Date().toISOString()} ${randomBytes(4).toString('hex')}`;
    const token = await api.getToken('csrf');
    const answer = await api.post(
      {
        action: 'edit',
        title,
        appendtext: `\n* ${marker}`,
        summary: `next-mwoauth: npm run test:live (owner-only consumer${config.protocol === '2.0' ? ', OAuth 2.0' : ''}), one line: ${marker}`,
        token,
      },
      { assert: 'user' },
    );
    const edit = record(answer.edit);
    // A wiki may answer result "Failure" with a captcha or an AbuseFilter warning instead of an error.
    expect(edit?.result, `the wiki did not save the edit: ${JSON.stringify(edit).slice(0, 500)}`).toBe(
      'Success',
    );
    const newrevid = edit?.newrevid;
    expect(typeof newrevid).toBe('number');
    console.log(`live: saved ${title} revision ${String(newrevid)}`);

    // A replica may lag behind the primary that took the edit: ask again for a few seconds.
    let latest: LatestRevision | null = null;
    for (let attempt = 0; attempt < 10; attempt++) {
      latest = latestRevision(
        await api.get({
          action: 'query',
          prop: 'revisions',
          titles: title,
          rvprop: ['ids', 'user', 'comment', 'tags', 'content'],
          rvslots: 'main',
          rvlimit: 1,
        }),
      );
      if (latest !== null && latest.revid >= Number(newrevid)) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(latest).toMatchObject({ revid: newrevid, user: owner });
    expect(latest?.content).toContain(marker);
    expect(latest?.comment).toContain(marker);
    // Extension:OAuth does not tag owner-only consumers' edits (fixture 31d, REL1_39); an ordinary
    // consumer's carry "OAuth CID: <id>" (fixture 11). If this fails, the wiki's extension differs.
    expect(latest?.tags.filter((tag) => tag.startsWith('OAuth CID'))).toEqual([]);
  });
});
