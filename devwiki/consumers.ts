// devwiki's consumers: the six defaults (three OAuth 1.0a, three 2.0), and `--consumers FILE` (a
// JSON list that replaces them).
import { readFileSync } from 'node:fs';
import { KNOWN_GRANTS } from './rights';
import type { DevwikiConsumer } from './types';

/** The app's callback in `npm run dev` (app/api/mwoauth/callback). */
export const DEFAULT_CALLBACK = 'http://localhost:3000/api/mwoauth/callback';

/**
 * Fixed, public, local-only credentials. They are shaped like real ones (32 and 40 hex digits) so
 * any client check on the shape passes, and spell "dec0de" so nobody mistakes them for real ones.
 */
export function defaultConsumers(callbackUrl: string = DEFAULT_CALLBACK): DevwikiConsumer[] {
  return [
    {
      id: 1,
      name: 'devwiki app (callback prefix)',
      key: 'dec0dedec0dedec0dedec0de00000001',
      secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0001',
      callbackUrl,
      callbackIsPrefix: true,
      grants: ['basic', 'editpage', 'createeditmovepage'],
      ownerOnly: false,
    },
    {
      id: 2,
      name: 'devwiki app (exact callback, oob only)',
      key: 'dec0dedec0dedec0dedec0de00000002',
      secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0002',
      callbackUrl,
      callbackIsPrefix: false,
      grants: ['basic', 'editpage', 'createeditmovepage'],
      ownerOnly: false,
    },
    {
      id: 3,
      name: 'devwiki bot (owner-only, Admin)',
      key: 'dec0dedec0dedec0dedec0de00000003',
      secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0003',
      callbackUrl: '',
      callbackIsPrefix: false,
      grants: ['basic', 'editpage', 'createeditmovepage', 'privateinfo'],
      ownerOnly: true,
      owner: 'Admin',
      accessToken: {
        key: 'dec0dedec0dedec0dedec0de000000a3',
        secret: 'dec0dedec0dedec0dedec0dedec0dedec0de00a3',
      },
    },
    {
      id: 4,
      name: 'devwiki app (OAuth 2.0, confidential)',
      key: 'dec0dedec0dedec0dedec0de00000004',
      secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0004',
      oauthVersion: '2.0',
      confidential: true,
      callbackUrl,
      callbackIsPrefix: false,
      grants: ['basic', 'editpage', 'createeditmovepage'],
      ownerOnly: false,
    },
    {
      id: 5,
      // The wiki shows a public client a secret too (_environment.json); it is never checked.
      name: 'devwiki app (OAuth 2.0, public: PKCE)',
      key: 'dec0dedec0dedec0dedec0de00000005',
      secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0005',
      oauthVersion: '2.0',
      confidential: false,
      callbackUrl,
      callbackIsPrefix: false,
      grants: ['basic', 'editpage', 'createeditmovepage'],
      ownerOnly: false,
    },
    {
      id: 6,
      name: 'devwiki bot (OAuth 2.0, owner-only, Admin)',
      key: 'dec0dedec0dedec0dedec0de00000006',
      secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0006',
      oauthVersion: '2.0',
      confidential: true,
      callbackUrl: '',
      callbackIsPrefix: false,
      grants: ['basic', 'editpage', 'createeditmovepage', 'privateinfo'],
      ownerOnly: true,
      owner: 'Admin',
    },
  ];
}

export class ConsumersFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`devwiki: ${file} is not a valid consumers file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConsumersFileError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(
  o: Record<string, unknown>,
  field: string,
  at: string,
  problems: string[],
  allowEmpty = false,
): string {
  const v = o[field];
  if (typeof v === 'string' && (allowEmpty || v !== '')) return v;
  problems.push(`${at}: "${field}" must be a ${allowEmpty ? '' : 'non-empty '}string`);
  return '';
}

function bool(o: Record<string, unknown>, field: string, at: string, problems: string[]): boolean {
  const v = o[field];
  if (typeof v === 'boolean') return v;
  problems.push(`${at}: "${field}" must be true or false`);
  return false;
}

/**
 * Checks a parsed consumers list and names every problem at once (secrets are never echoed).
 * Throws ConsumersFileError; `file` only labels the message.
 */
export function validateConsumers(data: unknown, file: string): DevwikiConsumer[] {
  const problems: string[] = [];
  if (!Array.isArray(data))
    throw new ConsumersFileError(file, ['the file must hold a JSON array of consumers']);
  if (data.length === 0) problems.push('the list is empty: give at least one consumer');
  const consumers: DevwikiConsumer[] = [];
  const explicitIds = new Set(
    data.flatMap((c: unknown) => (isRecord(c) && typeof c.id === 'number' ? [c.id] : [])),
  );
  let nextId = 1;
  data.forEach((raw: unknown, i) => {
    const at = `consumer ${i + 1}`;
    if (!isRecord(raw)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    let id: number;
    if (raw.id === undefined) {
      while (explicitIds.has(nextId)) nextId++;
      id = nextId++;
    } else if (typeof raw.id === 'number' && Number.isInteger(raw.id) && raw.id > 0) {
      id = raw.id;
    } else {
      problems.push(`${at}: "id" must be a positive integer, or left out to have one assigned`);
      id = 0;
    }
    const name = str(raw, 'name', at, problems);
    const key = str(raw, 'key', at, problems);
    const secret = str(raw, 'secret', at, problems);
    const ownerOnly = bool(raw, 'ownerOnly', at, problems);
    const callbackIsPrefix = bool(raw, 'callbackIsPrefix', at, problems);
    const callbackUrl = str(raw, 'callbackUrl', at, problems, ownerOnly);
    if (callbackUrl !== '' && !URL.canParse(callbackUrl)) {
      problems.push(`${at}: "callbackUrl" must be an absolute URL such as ${DEFAULT_CALLBACK}`);
    }
    let grants: string[] = [];
    if (Array.isArray(raw.grants) && raw.grants.every((g: unknown) => typeof g === 'string')) {
      grants = raw.grants.filter((g: unknown): g is string => typeof g === 'string');
      const unknown = grants.filter((g) => !KNOWN_GRANTS.includes(g));
      if (unknown.length > 0) {
        problems.push(`${at}: unknown grant(s) ${unknown.join(', ')}; known: ${KNOWN_GRANTS.join(', ')}`);
      }
    } else {
      problems.push(`${at}: "grants" must be a list of grant names, e.g. ["basic", "editpage"]`);
    }
    const consumer: DevwikiConsumer = {
      id,
      name,
      key,
      secret,
      callbackUrl,
      callbackIsPrefix,
      grants,
      ownerOnly,
    };
    let oauth2 = false;
    if (raw.oauthVersion !== undefined) {
      if (raw.oauthVersion === '1.0a' || raw.oauthVersion === '2.0') {
        consumer.oauthVersion = raw.oauthVersion;
        oauth2 = raw.oauthVersion === '2.0';
      } else {
        problems.push(`${at}: "oauthVersion" must be "1.0a" or "2.0" (left out: "1.0a")`);
      }
    }
    if (raw.confidential !== undefined) {
      if (!oauth2) problems.push(`${at}: "confidential" is for OAuth 2.0 clients ("oauthVersion": "2.0")`);
      else consumer.confidential = bool(raw, 'confidential', at, problems);
    }
    if (oauth2 && ownerOnly && consumer.confidential === false) {
      problems.push(`${at}: an owner-only OAuth 2.0 client must be confidential (it uses its secret)`);
    }
    if (raw.owner !== undefined) consumer.owner = str(raw, 'owner', at, problems);
    if (raw.accessToken !== undefined) {
      const t = raw.accessToken;
      if (
        isRecord(t) &&
        typeof t.key === 'string' &&
        t.key !== '' &&
        typeof t.secret === 'string' &&
        t.secret !== ''
      ) {
        consumer.accessToken = { key: t.key, secret: t.secret };
      } else {
        problems.push(`${at}: "accessToken" must be {"key": "...", "secret": "..."} with non-empty strings`);
      }
    }
    // The "Applicable project": a wiki id of the farm (checked when devwiki starts) or "*".
    if (raw.wiki !== undefined) {
      if (typeof raw.wiki === 'string' && /^(\*|[a-z][a-z0-9_-]{0,63})$/.test(raw.wiki))
        consumer.wiki = raw.wiki;
      else problems.push(`${at}: "wiki" must be a wiki id such as "devwiki", or "*" for every wiki`);
    }
    if (oauth2 && consumer.accessToken !== undefined) {
      problems.push(
        `${at}: an OAuth 2.0 client takes no "accessToken": devwiki makes an owner-only one's (see the banner)`,
      );
    } else if (oauth2 && ownerOnly && consumer.owner === undefined) {
      problems.push(`${at}: an owner-only OAuth 2.0 client needs "owner" (a user name)`);
    } else if (!oauth2 && ownerOnly && (consumer.owner === undefined || consumer.accessToken === undefined)) {
      problems.push(
        `${at}: an owner-only consumer needs "owner" (a user name) and "accessToken" ({key, secret})`,
      );
    }
    consumers.push(consumer);
  });
  const seen = (field: 'id' | 'key', label: string): void => {
    const values = consumers.map((c) => c[field]).filter((v) => v !== 0 && v !== '');
    const dupes = [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
    if (dupes.length > 0) problems.push(`two consumers share the same ${label}: ${dupes.join(', ')}`);
  };
  seen('id', 'id');
  seen('key', 'key');
  if (problems.length > 0) throw new ConsumersFileError(file, problems);
  return consumers;
}

/** Reads `--consumers FILE`. Throws ConsumersFileError naming every problem. */
export function loadConsumersFile(file: string): DevwikiConsumer[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConsumersFileError(file, [`cannot read it (${e instanceof Error ? e.message : String(e)})`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConsumersFileError(file, [
      `it is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    ]);
  }
  return validateConsumers(data, file);
}
