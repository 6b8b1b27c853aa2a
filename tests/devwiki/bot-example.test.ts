// examples/bot.ts run as a bot author runs it (`npx tsx examples/bot.ts`, a child process) against
// devwiki's owner-only consumer 3 (owner Admin) and its documented access token, and with
// MW_OAUTH_VERSION=2.0 against the owner-only OAuth 2.0 client 6 (owner Admin) and its access token.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki } from '../../devwiki';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const bot = join(root, 'examples', 'bot.ts');

const ownerOnly = defaultConsumers().find((c) => c.ownerOnly);
if (ownerOnly?.accessToken === undefined)
  throw new Error('devwiki has no owner-only consumer with an access token');
const ACCESS_SECRET = ownerOnly.accessToken.secret;
const VARIABLES = [
  'MW_OAUTH_VERSION',
  'MW_INDEX_URL',
  'MW_API_URL',
  'MW_ISSUER',
  'MW_CONSUMER_KEY',
  'MW_CONSUMER_SECRET',
  'MW_ACCESS_TOKEN',
  'MW_ACCESS_SECRET',
  'USER_AGENT',
];

const ownerOnly2 = defaultConsumers().find((c) => c.ownerOnly && c.oauthVersion === '2.0');
if (ownerOnly2 === undefined) throw new Error('devwiki has no owner-only OAuth 2.0 client');

let wiki: Devwiki;
let bearer: string;

beforeAll(async () => {
  // A farm: the second wiki is where the farm tests send the edit (MW_API_URL).
  wiki = await startDevwiki({ otherWikis: [{}] });
  bearer = await wiki.ownerOnlyAccessToken(ownerOnly2.key);
});

afterAll(async () => {
  await wiki?.close();
});

/** The bot's environment for devwiki, with `overrides` (undefined: unset). */
function botEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  if (ownerOnly?.accessToken === undefined) throw new Error('devwiki has no owner-only consumer');
  return {
    MW_INDEX_URL: wiki.indexUrl,
    MW_CONSUMER_KEY: ownerOnly.key,
    MW_CONSUMER_SECRET: ownerOnly.secret,
    MW_ACCESS_TOKEN: ownerOnly.accessToken.key,
    MW_ACCESS_SECRET: ownerOnly.accessToken.secret,
    USER_AGENT: 'next-mwoauth-example-bot-test/1.0 (tests/devwiki; nobody@example.org)',
    ...overrides,
  };
}

/** Runs the example with only `vars` of the bot's variables set (the rest of the environment kept). */
function runBot(
  vars: Record<string, string | undefined>,
  args: string[] = [],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of VARIABLES) delete env[name];
  for (const [name, value] of Object.entries(vars)) if (value !== undefined) env[name] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [bot, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('examples/bot.ts', () => {
  it("should say who it is and append a line to the owner's sandbox, as Admin and without an OAuth tag", async () => {
    const run = await runBot(botEnv());
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'Acting as Admin (central user id 1; grants: basic, editpage, createeditmovepage, privateinfo)',
    );
    const saved = wiki.readPage('User:Admin/sandbox');
    expect(saved).toMatchObject({
      user: 'Admin',
      comment: 'next-mwoauth example bot (examples/bot.ts): append one line',
      // Owner-only consumers' edits carry no "OAuth CID" tag (fixture 31d).
      tags: [],
    });
    expect(saved?.content).toMatch(/^\* Hello from next-mwoauth's example bot, \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    expect(run.stdout).toContain(
      `Saved User:Admin/sandbox: revision ${saved?.revid}, ${wiki.indexUrl}?oldid=${saved?.revid}`,
    );
    expect(wiki.requests.filter((r) => r.endpoint === 'api' && r.action === 'edit')).toHaveLength(1);
  });

  it('should edit the page given with --page, and nothing with --dry-run', async () => {
    const dry = await runBot(botEnv(), ['--page', 'Project:Bot test', '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/Dry run: would append to Project:Bot test: \* Hello from/);
    expect(wiki.readPage('Project:Bot test')).toBeNull();

    const real = await runBot(botEnv(), ['--page', 'Project:Bot test']);
    expect(real.status).toBe(0);
    expect(wiki.readPage('Project:Bot test')).toMatchObject({ user: 'Admin' });
  });

  it('should name every missing variable in one message, and exit 2 without a request', async () => {
    const before = wiki.requests.length;
    const run = await runBot(
      botEnv({ MW_CONSUMER_SECRET: undefined, MW_ACCESS_TOKEN: ' ', USER_AGENT: undefined }),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      'examples/bot.ts cannot start: set MW_CONSUMER_SECRET, MW_ACCESS_TOKEN, USER_AGENT (they are missing or empty).',
    );
    expect(run.stderr).not.toContain(ACCESS_SECRET);
    expect(wiki.requests.length).toBe(before);
  });

  it("should fail with the wiki's error code and the fix, without printing a secret, when the access secret is wrong", async () => {
    const wrong = 'wrong-access-secret-99f0';
    const run = await runBot(botEnv({ MW_ACCESS_SECRET: wrong }));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^examples\/bot\.ts failed \[mediawiki: mwoauth-oauth-exception\]/);
    expect(run.stderr).toContain('The wiki refused the credentials: check MW_CONSUMER_KEY');
    for (const secret of [wrong, ownerOnly?.secret ?? '']) {
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });

  it('should say when MW_INDEX_URL leads nowhere', async () => {
    const run = await runBot(botEnv({ MW_INDEX_URL: 'http://127.0.0.1:1/w/index.php' }));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^examples\/bot\.ts failed \[network\]/);
    expect(run.stderr).toContain('Check MW_INDEX_URL and MW_API_URL');
  });

  it('should refuse unknown options with the usage', async () => {
    const run = await runBot(botEnv(), ['--pgae', 'X']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--pgae'");
    expect(run.stderr).toContain('Usage: npx tsx examples/bot.ts [--page TITLE] [--dry-run]');
  });
});

describe('examples/bot.ts with MW_OAUTH_VERSION=2.0', () => {
  /** The 2.0 environment: the owner-only client's access token, no consumer key or secret. */
  function bot2Env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      MW_OAUTH_VERSION: '2.0',
      MW_INDEX_URL: wiki.indexUrl,
      MW_ACCESS_TOKEN: bearer,
      USER_AGENT: 'next-mwoauth-example-bot-test/1.0 (tests/devwiki; nobody@example.org)',
      ...overrides,
    };
  }

  it('should say who it is from the profile and append a line with a Bearer token, as Admin and untagged', async () => {
    const before = wiki.requests.length;
    const run = await runBot(bot2Env(), ['--page', 'User:Admin/OAuth 2.0 sandbox']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'Acting as Admin (central user id 1; grants: basic, editpage, createeditmovepage, privateinfo)',
    );
    const saved = wiki.readPage('User:Admin/OAuth 2.0 sandbox');
    expect(saved).toMatchObject({
      user: 'Admin',
      comment: 'next-mwoauth example bot (examples/bot.ts): append one line',
      // Owner-only clients' edits carry no "OAuth CID" tag, in 2.0 as in 1.0a (devwiki/api.ts).
      tags: [],
    });
    expect(saved?.content).toMatch(/^\* Hello from next-mwoauth's example bot, \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    expect(run.stdout).toContain(`Saved User:Admin/OAuth 2.0 sandbox: revision ${saved?.revid}`);
    // The profile said who; no 1.0a identify, no token request (the owner-only token is ready).
    const made = wiki.requests.slice(before);
    expect(made.filter((r) => r.endpoint === 'profile')).toHaveLength(1);
    expect(made.filter((r) => r.endpoint === 'identify' || r.endpoint === 'token')).toEqual([]);
    expect(made.filter((r) => r.endpoint === 'api' && r.action === 'edit')).toHaveLength(1);
  });

  it("should default to the owner's sandbox and edit nothing with --dry-run", async () => {
    const before = wiki.requests.length;
    const run = await runBot(bot2Env(), ['--dry-run']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Dry run: would append to User:Admin\/sandbox: \* Hello from/);
    const made = wiki.requests.slice(before);
    expect(made.map((r) => r.endpoint)).toEqual(['profile']);
  });

  it('should need only MW_INDEX_URL, MW_ACCESS_TOKEN and USER_AGENT, naming those missing', async () => {
    const before = wiki.requests.length;
    const run = await runBot(bot2Env({ MW_ACCESS_TOKEN: undefined, USER_AGENT: '' }));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      'examples/bot.ts cannot start: set MW_ACCESS_TOKEN, USER_AGENT (they are missing or empty).',
    );
    expect(run.stderr).not.toContain('MW_CONSUMER_KEY');
    expect(wiki.requests.length).toBe(before);
  });

  it('should refuse an unknown MW_OAUTH_VERSION before any request', async () => {
    const before = wiki.requests.length;
    const run = await runBot(bot2Env({ MW_OAUTH_VERSION: '3' }));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('MW_OAUTH_VERSION must be "1.0a" (the default) or "2.0"');
    expect(wiki.requests.length).toBe(before);
  });

  it("should fail with the profile's access_denied and the fix, without printing the token, when the token is wrong", async () => {
    // A well-formed JWT the wiki did not sign: the profile answers 401 access_denied (o2-10).
    const [header, payload] = bearer.split('.');
    const wrong = `${header}.${payload}.AAAA`;
    const run = await runBot(bot2Env({ MW_ACCESS_TOKEN: wrong }));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^examples\/bot\.ts failed \[mediawiki: access_denied\]/);
    expect(run.stderr).toContain('The wiki refused MW_ACCESS_TOKEN');
    for (const secret of [wrong, bearer, ownerOnly2?.secret ?? '']) {
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });

  it('should treat a 1.0a consumer left in the environment as unused', async () => {
    const run = await runBot(
      bot2Env({
        MW_CONSUMER_KEY: ownerOnly?.key,
        MW_CONSUMER_SECRET: 'not-used-in-2.0',
        MW_ACCESS_SECRET: 'not-used-in-2.0',
      }),
      ['--dry-run'],
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Acting as Admin');
  });
});

describe('examples/bot.ts on another wiki of the farm (MW_API_URL)', () => {
  const second = (): Devwiki => {
    const other = wiki.otherWikis[0];
    if (other === undefined) throw new Error('devwiki started no second wiki');
    return other;
  };

  it.each(['1.0a', '2.0'] as const)(
    "should edit the second wiki's page with the same owner-only token (OAuth %s), and say where",
    async (protocol) => {
      const other = second();
      const title = `User:Admin/farm sandbox ${protocol}`;
      const env =
        protocol === '2.0'
          ? {
              MW_OAUTH_VERSION: '2.0',
              MW_INDEX_URL: wiki.indexUrl,
              MW_ACCESS_TOKEN: bearer,
              USER_AGENT: 'next-mwoauth-example-bot-test/1.0 (tests/devwiki; nobody@example.org)',
            }
          : botEnv();
      const before = other.requests.length;
      const run = await runBot({ ...env, MW_API_URL: other.apiUrl }, ['--page', title]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const saved = other.readPage(title);
      expect(saved).toMatchObject({ user: 'Admin', tags: [] });
      // Not on the wiki that said who the bot is.
      expect(wiki.readPage(title)).toBeNull();
      expect(run.stdout).toContain(
        `on ${new URL(wiki.origin).host}, editing on ${new URL(other.origin).host}.`,
      );
      expect(run.stdout).toContain(
        `Saved ${title}: revision ${saved?.revid}, ${other.indexUrl}?oldid=${saved?.revid}`,
      );
      // The second wiki's own CSRF token, then the edit.
      expect(other.requests.slice(before).map((r) => r.action)).toEqual(['query', 'edit']);
    },
  );

  it("should name the consumer's Applicable project when it is registered for the central wiki only", async () => {
    if (ownerOnly?.accessToken === undefined) throw new Error('devwiki has no owner-only consumer');
    const centralOnly = {
      ...ownerOnly,
      id: 9,
      name: 'owner-only bot, central wiki only',
      key: 'dec0dedec0dedec0dedec0de00000009',
      secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0009',
      accessToken: {
        key: 'dec0dedec0dedec0dedec0de000000a9',
        secret: 'dec0dedec0dedec0dedec0dedec0dedec0de00a9',
      },
      wiki: 'devwiki',
    };
    const farm = await startDevwiki({ consumers: [centralOnly], otherWikis: [{}] });
    try {
      const other = farm.otherWikis[0];
      if (other === undefined) throw new Error('devwiki started no second wiki');
      const run = await runBot(
        {
          MW_INDEX_URL: farm.indexUrl,
          MW_API_URL: other.apiUrl,
          MW_CONSUMER_KEY: centralOnly.key,
          MW_CONSUMER_SECRET: centralOnly.secret,
          MW_ACCESS_TOKEN: centralOnly.accessToken.key,
          MW_ACCESS_SECRET: centralOnly.accessToken.secret,
          USER_AGENT: 'next-mwoauth-example-bot-test/1.0 (tests/devwiki; nobody@example.org)',
        },
        ['--page', 'User:Admin/refused'],
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        /^examples\/bot\.ts failed \[mediawiki: mwoauth-invalid-authorization-wrong-wiki\]/,
      );
      expect(run.stderr).toContain('its "Applicable project" is another wiki');
      expect(other.readPage('User:Admin/refused')).toBeNull();
      expect(run.stdout + run.stderr).not.toContain(centralOnly.accessToken.secret);
    } finally {
      await farm.close();
    }
  });
});

describe('examples/bot.ts against the Wikimedia-like devwiki (its own cookie jar)', () => {
  it("should edit with the sessionJwt the wiki set, counted in its user's budget, not its IP's", async () => {
    // One anonymous API request per minute: getToken's, which gets the cookie; the edit then carries it.
    const wm = await startDevwiki({ wikimedia: { anonymousBudget: { requests: 1, windowS: 60 } } });
    try {
      const run = await runBot({ ...botEnv(), MW_INDEX_URL: wm.indexUrl });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(wm.readPage('User:Admin/sandbox')?.user).toBe('Admin');
      expect(wm.wikimedia?.counted.map((c) => c.kind)).toEqual(['anonymous', 'user']);
      expect(wm.wikimedia?.refusals).toBe(0);
    } finally {
      await wm.close();
    }
  });
});
