// A bot with an owner-only consumer: it says who it is, then appends one line to a page (by default
// the owner's sandbox) and prints the revision's link. It uses lib/mwoauth alone: no Next, no app.
//
//   npx tsx examples/bot.ts [--page TITLE] [--dry-run]
//
// An owner-only consumer (https://www.mediawiki.org/wiki/OAuth/Owner-only_consumers) skips the
// login handshake: the wiki shows its access token once, at registration, and it acts as the owner.
// OAuth 1.0a (the default) signs every request with four values; OAuth 2.0 (MW_OAUTH_VERSION=2.0)
// sends one access token as a Bearer header (it never expires for owner-only clients: o2-21).
// See examples/README.md for registering one.
//
// On a wiki farm (Wikimedia's: the consumer registered on meta.wikimedia.org), the same owner-only
// token works on every wiki of the consumer's "Applicable project": MW_INDEX_URL names the wiki that
// says who the bot is, MW_API_URL the api.php of the wiki to edit, e.g. Commons (farm-01, farm-10).
import { parseArgs } from 'node:util';
import { CookieJar } from 'tough-cookie';
import {
  ApiClient,
  fetchProfile,
  identify,
  MWOAuthError,
  type ApiAuth,
  type SuppressedProfile,
  type UserProfile,
} from 'mwoauth';

const USAGE = `Usage: npx tsx examples/bot.ts [--page TITLE] [--dry-run]

  --page TITLE   the page to append a line to (default: User:<you>/sandbox)
  --dry-run      say who the bot is and what it would do, without editing
  --help         this text

Environment (examples/README.md):
  MW_INDEX_URL                          the wiki's index.php, e.g. https://test.wikipedia.org/w/index.php
  MW_API_URL                            optional: the api.php to edit on (default: beside index.php);
                                        another wiki of the same farm takes the same token, e.g.
                                        https://commons.wikimedia.org/w/api.php
  MW_ISSUER                             optional: its canonical server, when not the origin of MW_INDEX_URL
  MW_OAUTH_VERSION                      optional: 1.0a (the default) or 2.0, as the consumer was registered
  MW_CONSUMER_KEY, MW_CONSUMER_SECRET   1.0a: the owner-only consumer's key and secret (2.0: not needed)
  MW_ACCESS_TOKEN                       the access token shown at registration
  MW_ACCESS_SECRET                      1.0a: the access secret shown with it (2.0: not needed)
  USER_AGENT                            your bot's name and a contact (Wikimedia User-Agent policy)`;

const REQUIRED_1 = [
  'MW_INDEX_URL',
  'MW_CONSUMER_KEY',
  'MW_CONSUMER_SECRET',
  'MW_ACCESS_TOKEN',
  'MW_ACCESS_SECRET',
  'USER_AGENT',
] as const;
// OAuth 2.0's owner-only access token is all the wiki needs: no client ID or secret goes with it.
const REQUIRED_2 = ['MW_INDEX_URL', 'MW_ACCESS_TOKEN', 'USER_AGENT'] as const;

type BotAuth =
  | {
      protocol: '1.0a';
      consumer: { key: string; secret: string };
      accessToken: { key: string; secret: string };
    }
  | { protocol: '2.0'; bearer: string };

interface BotConfig {
  indexUrl: string;
  apiUrl: string;
  issuer: string | null;
  auth: BotAuth;
  userAgent: string;
}

/** MW_OAUTH_VERSION as the app reads it (lib/server/config/oauth.ts): 1.0a by default. */
function readVersion(raw: string): '1.0a' | '2.0' | null {
  if (raw === '' || raw === '1.0a' || raw === '1.0') return '1.0a';
  if (raw === '2.0' || raw === '2') return '2.0';
  return null;
}

/** The configuration, or every problem with it at once (CONTRIBUTING.md). Never quotes a secret. */
function readConfig(env: NodeJS.ProcessEnv): BotConfig | { problems: string[] } {
  const get = (name: string): string => (env[name] ?? '').trim();
  const protocol = readVersion(get('MW_OAUTH_VERSION'));
  if (protocol === null) {
    return {
      problems: [
        'MW_OAUTH_VERSION must be "1.0a" (the default) or "2.0": the protocol the owner-only consumer was registered for.',
      ],
    };
  }
  const missing = (protocol === '2.0' ? REQUIRED_2 : REQUIRED_1).filter((name) => get(name) === '');
  if (missing.length > 0) {
    const shown =
      protocol === '2.0'
        ? 'MW_ACCESS_TOKEN is shown once when you register an owner-only OAuth 2.0 client'
        : 'The four MW_CONSUMER_*/MW_ACCESS_* values are shown once when you register an owner-only consumer';
    return {
      problems: [
        `set ${missing.join(', ')} (${missing.length === 1 ? 'it is' : 'they are'} missing or empty). ${shown} ` +
          '(examples/README.md); USER_AGENT names your bot and how to reach you, e.g. ' +
          '"my-bot/1.0 (https://example.org/my-bot; me@example.org)".',
      ],
    };
  }
  let apiUrl = get('MW_API_URL');
  if (apiUrl === '') {
    try {
      apiUrl = new URL('api.php', get('MW_INDEX_URL')).toString();
    } catch {
      return {
        problems: [
          "MW_INDEX_URL is not a URL: give the wiki's index.php, e.g. https://test.wikipedia.org/w/index.php.",
        ],
      };
    }
  }
  const issuer = get('MW_ISSUER');
  return {
    indexUrl: get('MW_INDEX_URL'),
    apiUrl,
    issuer: issuer === '' ? null : issuer,
    auth:
      protocol === '2.0'
        ? { protocol, bearer: get('MW_ACCESS_TOKEN') }
        : {
            protocol,
            consumer: { key: get('MW_CONSUMER_KEY'), secret: get('MW_CONSUMER_SECRET') },
            accessToken: { key: get('MW_ACCESS_TOKEN'), secret: get('MW_ACCESS_SECRET') },
          },
    userAgent: get('USER_AGENT'),
  };
}

const REFUSED_1 =
  'The wiki refused the credentials: check MW_CONSUMER_KEY, MW_CONSUMER_SECRET, MW_ACCESS_TOKEN and ' +
  'MW_ACCESS_SECRET (all four from the same owner-only consumer, on this wiki or its wiki farm), and ' +
  'that the consumer is not disabled (Special:OAuthConsumerRegistration/list).';
const REFUSED_2 =
  'The wiki refused MW_ACCESS_TOKEN: give the access token shown when the owner-only OAuth 2.0 client was ' +
  'registered, on this wiki or its wiki farm, whole (a JWT: three parts joined by dots), and check that the ' +
  'client is not disabled (Special:OAuthConsumerRegistration/list). An OAuth 1.0a consumer needs ' +
  'MW_OAUTH_VERSION=1.0a.';

/** What to do about an error, from its code (never from its wording: MWOAuthError's codes are stable). */
function hint(error: MWOAuthError, protocol: BotAuth['protocol']): string | null {
  switch (error.code) {
    case 'invalid_url':
      return 'Check MW_INDEX_URL (index.php) and MW_API_URL (api.php).';
    case 'network':
    case 'timeout':
      return 'Check MW_INDEX_URL and MW_API_URL, and that this machine can reach the wiki.';
    case 'unexpected_response':
      return error.contentType === 'text/html'
        ? 'MW_INDEX_URL or MW_API_URL leads to an HTML page, not to index.php or api.php: check both.'
        : null;
    case 'invalid_identity':
      return error.reason === 'iss'
        ? "Set MW_ISSUER to the wiki's canonical server (the origin its pages link to)."
        : 'Check the computer clock, and MW_CONSUMER_SECRET.';
    case 'mediawiki':
      switch (error.mediawikiCode) {
        case 'mwoauth-invalid-authorization':
        case 'mwoauth-oauth-exception':
        case 'mwoauthdatastore-access-token-not-found':
          return protocol === '2.0' ? REFUSED_2 : REFUSED_1;
        // OAuth 2.0's profile (rest.php/oauth2/resource/profile) refuses a bad, expired or revoked
        // Bearer token with 401 access_denied (o2-10); api.php with mwoauth-invalid-authorization (o2-13);
        // Wikimedia's traffic layer with 401 invalid_token (T419034). An owner-only token has no
        // refresh token, so there is nothing to refresh: the token itself must be replaced.
        case 'access_denied':
        case 'invalid_token':
          return REFUSED_2;
        // Another wiki of the farm (MW_API_URL): the consumer is for other wikis only, or the
        // owner has no account there yet (farm-14, farm-17).
        case 'mwoauth-invalid-authorization-wrong-wiki':
          return 'The consumer may not be used on the wiki of MW_API_URL: its "Applicable project" is another wiki. Register an owner-only consumer for that wiki or for all projects (*).';
        case 'mwoauth-invalid-authorization-invalid-user':
          return 'The owner has no account on the wiki of MW_API_URL yet: log in there once in a browser, then run the bot again.';
        case 'permissiondenied':
          return 'The consumer lacks a grant: it needs "Edit existing pages" and "Create, edit, and move pages".';
        case 'protectedpage':
        case 'cascadeprotected':
          return 'The page is protected: choose another with --page.';
        case 'blocked':
        case 'autoblocked':
          return 'The owner account is blocked on this wiki.';
        case 'maxlag':
          return 'The wiki is lagging (maxlag): try again in a few minutes.';
        default:
          return null;
      }
    default:
      return null;
  }
}

function describeUser(me: UserProfile | SuppressedProfile): string {
  if (me.suppressed) return `a suppressed user (id ${me.sub})`;
  return `${me.username} (central user id ${me.sub}; grants: ${me.grants.join(', ')})`;
}

/**
 * The bot's cookies, one jar for the process (it acts as one user): Wikimedia's wikis set a
 * `sessionJwt` cookie on OAuth 1.0a and owner-only OAuth 2.0 answers, and count the bot's requests
 * against its own rate-limit budget (not its IP's anonymous one) only when it comes back
 * (Extension:OAuth a87d4516; https://www.mediawiki.org/wiki/Wikimedia_APIs/Rate_limits).
 */
const cookieJar = new CookieJar();

/** Who the credentials act as: 1.0a's verified identify JWT, or 2.0's profile (over TLS; no JWT). */
function whoAmI(config: BotConfig): Promise<UserProfile | SuppressedProfile> {
  const { auth } = config;
  if (auth.protocol === '2.0')
    return fetchProfile(config.indexUrl, auth.bearer, { userAgent: config.userAgent, cookieJar });
  return identify(config.indexUrl, auth.consumer, auth.accessToken, {
    userAgent: config.userAgent,
    cookieJar,
    ...(config.issuer === null ? {} : { issuer: config.issuer }),
  });
}

async function run(config: BotConfig, page: string | null, dryRun: boolean): Promise<number> {
  const me = await whoAmI(config);
  // The wiki to edit: MW_API_URL's, which may be another wiki of the farm than MW_INDEX_URL's.
  const editHost = new URL(config.apiUrl).host;
  const whoHost = new URL(config.indexUrl).host;
  console.log(
    `Acting as ${describeUser(me)} on ${whoHost}${editHost === whoHost ? '' : `, editing on ${editHost}`}.`,
  );
  if (me.suppressed) {
    console.error('examples/bot.ts: a suppressed account cannot edit.');
    return 1;
  }
  if (me.blocked) console.log('Warning: this account is blocked; the edit will most likely fail.');

  const title = page ?? `User:${me.username}/sandbox`;
  const line = `* Hello from next-mwoauth's example bot, ${new Date().toISOString()}`;
  if (dryRun) {
    console.log(`Dry run: would append to ${title}: ${line}`);
    return 0;
  }

  // maxlag=5: Wikimedia asks bots to pause when replicas lag (Manual:Maxlag_parameter); the client
  // waits and retries as the wiki says. assert=user: fail rather than edit logged out.
  const auth: ApiAuth =
    config.auth.protocol === '2.0'
      ? { bearer: config.auth.bearer }
      : { consumer: config.auth.consumer, accessToken: config.auth.accessToken };
  const api = new ApiClient({
    apiUrl: config.apiUrl,
    auth,
    userAgent: config.userAgent,
    maxlag: 5,
    assert: 'user',
    cookieJar,
  });
  const answer = await api.post({
    action: 'edit',
    title,
    appendtext: `\n${line}`,
    summary: 'next-mwoauth example bot (examples/bot.ts): append one line',
    // Edits need a csrf token even with OAuth (fixtures 09, 10).
    token: await api.getToken('csrf'),
  });
  const edit = answer.edit;
  const result = typeof edit === 'object' && edit !== null ? Object.fromEntries(Object.entries(edit)) : {};
  if (result.result !== 'Success') {
    // A captcha, an AbuseFilter warning or a spam blacklist hit come back as a "Failure" result.
    console.error(`examples/bot.ts: the wiki did not save the edit: ${JSON.stringify(edit)}`);
    return 1;
  }
  if (result.nochange === true || typeof result.newrevid !== 'number') {
    console.log(`${title} is unchanged (the wiki saw nothing new).`);
    return 0;
  }
  // The revision is the edited wiki's: its index.php, beside MW_API_URL (MW_INDEX_URL's when the same host).
  const editIndex = editHost === whoHost ? config.indexUrl : new URL('index.php', config.apiUrl).href;
  console.log(`Saved ${title}: revision ${result.newrevid}, ${editIndex}?oldid=${result.newrevid}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let args: { page?: string; 'dry-run'?: boolean; help?: boolean };
  try {
    ({ values: args } = parseArgs({
      args: argv,
      options: { page: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`examples/bot.ts: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help === true) {
    console.log(USAGE);
    return 0;
  }
  const page = args.page === undefined ? null : args.page.trim();
  if (page === '') {
    console.error('examples/bot.ts: --page needs a title, e.g. --page "User:Example/sandbox".');
    return 2;
  }

  const config = readConfig(process.env);
  if ('problems' in config) {
    console.error(`examples/bot.ts cannot start: ${config.problems.join(' ')}`);
    return 2;
  }
  try {
    return await run(config, page, args['dry-run'] === true);
  } catch (error) {
    if (!(error instanceof MWOAuthError)) throw error;
    // lib/mwoauth keeps secrets out of its messages; the code says what kind of failure it was.
    const code = error.mediawikiCode === null ? error.code : `${error.code}: ${error.mediawikiCode}`;
    const fix = hint(error, config.auth.protocol);
    console.error(`examples/bot.ts failed [${code}]: ${error.message}${fix === null ? '' : `\n${fix}`}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
