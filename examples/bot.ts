// A bot with an owner-only consumer: it says who it is, then appends one line to a page (by default
// the owner's sandbox) and prints the revision's link. It uses lib/mwoauth alone: no Next, no app.
//
//   npx tsx examples/bot.ts [--page TITLE] [--dry-run]
//
// An owner-only consumer (https://www.mediawiki.org/wiki/OAuth/Owner-only_consumers) skips the
// login handshake: the wiki shows its access token once, at registration, and it acts as the owner.
// See examples/README.md for registering one.
import { parseArgs } from 'node:util';
import { ApiClient, identify, MWOAuthError, type Identity } from '../lib/mwoauth';

const USAGE = `Usage: npx tsx examples/bot.ts [--page TITLE] [--dry-run]

  --page TITLE   the page to append a line to (default: User:<you>/sandbox)
  --dry-run      say who the bot is and what it would do, without editing
  --help         this text

Environment (examples/README.md):
  MW_INDEX_URL                          the wiki's index.php, e.g. https://test.wikipedia.org/w/index.php
  MW_API_URL                            optional: its api.php (default: beside index.php)
  MW_ISSUER                             optional: its canonical server, when not the origin of MW_INDEX_URL
  MW_CONSUMER_KEY, MW_CONSUMER_SECRET   the owner-only consumer's key and secret
  MW_ACCESS_TOKEN, MW_ACCESS_SECRET     the access token and secret shown at registration
  USER_AGENT                            your bot's name and a contact (Wikimedia User-Agent policy)`;

const REQUIRED = [
  'MW_INDEX_URL',
  'MW_CONSUMER_KEY',
  'MW_CONSUMER_SECRET',
  'MW_ACCESS_TOKEN',
  'MW_ACCESS_SECRET',
  'USER_AGENT',
] as const;

interface BotConfig {
  indexUrl: string;
  apiUrl: string;
  issuer: string | null;
  consumer: { key: string; secret: string };
  accessToken: { key: string; secret: string };
  userAgent: string;
}

/** The configuration, or every problem with it at once (STYLE.md §7). Never quotes a secret. */
function readConfig(env: NodeJS.ProcessEnv): BotConfig | { problems: string[] } {
  const get = (name: string): string => (env[name] ?? '').trim();
  const missing = REQUIRED.filter((name) => get(name) === '');
  if (missing.length > 0) {
    return {
      problems: [
        `set ${missing.join(', ')} (${missing.length === 1 ? 'it is' : 'they are'} missing or empty). The four ` +
          'MW_CONSUMER_*/MW_ACCESS_* values are shown once when you register an owner-only consumer ' +
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
    consumer: { key: get('MW_CONSUMER_KEY'), secret: get('MW_CONSUMER_SECRET') },
    accessToken: { key: get('MW_ACCESS_TOKEN'), secret: get('MW_ACCESS_SECRET') },
    userAgent: get('USER_AGENT'),
  };
}

/** What to do about an error, from its code (never from its wording: MWOAuthError's codes are stable). */
function hint(error: MWOAuthError): string | null {
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
          return (
            'The wiki refused the credentials: check MW_CONSUMER_KEY, MW_CONSUMER_SECRET, MW_ACCESS_TOKEN and ' +
            'MW_ACCESS_SECRET (all four from the same owner-only consumer, on this wiki or its wiki farm), and ' +
            'that the consumer is not disabled (Special:OAuthConsumerRegistration/list).'
          );
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

function describeUser(me: Identity): string {
  if (me.suppressed) return `a suppressed user (id ${me.sub})`;
  return `${me.username} (central user id ${me.sub}; grants: ${me.grants.join(', ')})`;
}

async function run(config: BotConfig, page: string | null, dryRun: boolean): Promise<number> {
  const me = await identify(config.indexUrl, config.consumer, config.accessToken, {
    userAgent: config.userAgent,
    ...(config.issuer === null ? {} : { issuer: config.issuer }),
  });
  console.log(`Acting as ${describeUser(me)} on ${new URL(config.indexUrl).host}.`);
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
  const api = new ApiClient({
    apiUrl: config.apiUrl,
    consumer: config.consumer,
    accessToken: config.accessToken,
    userAgent: config.userAgent,
    maxlag: 5,
    assert: 'user',
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
  console.log(`Saved ${title}: revision ${result.newrevid}, ${config.indexUrl}?oldid=${result.newrevid}`);
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
    const fix = hint(error);
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
