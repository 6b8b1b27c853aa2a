// devwiki as a wiki farm: two or more wikis, each with its own host:port, api.php, pages, sessions
// and CSRF tokens, sharing the users, consumers and authorizations of the first (the central wiki),
// as Extension:OAuth does with $wgMWOAuthCentralWiki and $wgMWOAuthSharedUserIDs. The recorded
// two-wiki farm (tests/fixtures/mediawiki-1.39-oauth/farm-*, _facts.json "farm") is the ground truth.
import type { WikiContext } from './context';
import type { WikiResponse } from './faults';
import { WikiMessage } from './messages';
import type { User } from './store';
import type { DevwikiConsumer, DevwikiOptions } from './types';

/** The central wiki's id unless `wikiId` names it otherwise. */
export const CENTRAL_WIKI_ID = 'devwiki';

/** WikiMap ids are database names: lower-case letters, digits, '_' and '-'. */
const WIKI_ID = /^[a-z][a-z0-9_-]{0,63}$/;

/** The most other wikis one devwiki serves (each is a server of its own). */
export const MAX_OTHER_WIKIS = 9;

export interface OtherWikiSpec {
  wikiId: string;
  port: number;
}

/**
 * The ids and ports of the farm's other wikis, checked: ids unique and shaped like database names
 * (default devwiki2, devwiki3, ...), ports whole numbers from 0 (0 = any free port, the default).
 * Throws one error naming every problem.
 */
export function otherWikiSpecs(options: DevwikiOptions): { centralId: string; others: OtherWikiSpec[] } {
  const problems: string[] = [];
  const centralId = options.wikiId ?? CENTRAL_WIKI_ID;
  if (!WIKI_ID.test(centralId)) {
    problems.push(`wikiId "${centralId}" must be lower-case letters, digits, _ or - (a database name)`);
  }
  const others = (options.otherWikis ?? []).map((w, i) => ({
    wikiId: w.wikiId ?? `${CENTRAL_WIKI_ID}${i + 2}`,
    port: w.port ?? 0,
  }));
  if (others.length > MAX_OTHER_WIKIS) problems.push(`otherWikis may hold at most ${MAX_OTHER_WIKIS} wikis`);
  const seen = new Set([centralId]);
  for (const { wikiId, port } of others) {
    if (!WIKI_ID.test(wikiId)) {
      problems.push(
        `otherWikis: wikiId "${wikiId}" must be lower-case letters, digits, _ or - (a database name)`,
      );
    } else if (seen.has(wikiId)) {
      problems.push(`otherWikis: wikiId "${wikiId}" is used twice; every wiki of a farm needs its own`);
    }
    seen.add(wikiId);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      problems.push(
        `otherWikis: the port of "${wikiId}" must be a whole number from 0 to 65535, not ${String(port)}`,
      );
    }
  }
  for (const c of options.consumers ?? []) {
    if (c.wiki !== undefined && c.wiki !== '*' && !seen.has(c.wiki)) {
      problems.push(
        `consumer ${c.id} ("${c.name}") is for wiki "${c.wiki}", which is not one of this farm's: ${[...seen].join(', ')} (or "*" for all)`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`devwiki: ${problems.join('; ')}`);
  return { centralId, others };
}

const wrongWiki = (ctx: WikiContext): WikiMessage =>
  new WikiMessage(
    'mwoauth-invalid-authorization-wrong-wiki',
    `The authorization headers in your request are not valid for ${ctx.wikiId}`,
  );

// The message's $1 is an E008 help link that the English text does not show (Extension:OAuth
// REL1_39 i18n/en.json; fixtures farm-17, farm-18 record exactly this text).
const invalidUser = (): WikiMessage =>
  new WikiMessage(
    'mwoauth-invalid-authorization-invalid-user',
    'The authorization headers in your request are for a user that does not exist here',
  );

/**
 * Why this wiki refuses an OAuth request of `user` through `consumer`, or null. A consumer
 * registered for one wiki (its "Applicable project", oarc_wiki; the user's authorization carries
 * it as oaac_wiki) works there only; a user needs a local account here. api.php checks the wiki
 * first (REL1_39 SessionProvider::provideSessionInfo), Special:OAuth/identify the user first
 * (SpecialMWOAuth 'identify'); fixtures farm-14, farm-15, farm-17, farm-18. Both protocols.
 */
export function farmRefusal(
  ctx: WikiContext,
  consumer: DevwikiConsumer | null,
  user: User | null,
  where: 'api' | 'identify',
): WikiMessage | null {
  if (consumer === null || user === null) return null;
  const wrong = consumer.wiki !== undefined && consumer.wiki !== '*' && consumer.wiki !== ctx.wikiId;
  const stranger = !ctx.store.hasLocalAccount(user);
  if (where === 'api') return wrong ? wrongWiki(ctx) : stranger ? invalidUser() : null;
  return stranger ? invalidUser() : wrong ? wrongWiki(ctx) : null;
}

/**
 * rest.php/oauth2/resource/profile of a user without a local account: REL1_39's Resource handler
 * gets no local user and fails with a TypeError, which the REST framework answers with HTTP 500
 * (seen on the recorded farm, _facts.json "oauth2_profile_endpoint"; not a fixture: the body is
 * core 1.39's ResponseFactory::createFromException without the exception details). It does not
 * check the consumer's wiki.
 */
export function profileRefusal(ctx: WikiContext, user: User): WikiResponse | null {
  if (ctx.store.hasLocalAccount(user)) return null;
  return {
    status: 500,
    headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' },
    body: JSON.stringify({
      message: 'Error: exception of type TypeError',
      httpCode: 500,
      httpReason: 'Internal Server Error',
    }),
  };
}
