// Loads the exchanges recorded from a real MediaWiki 1.39 + Extension:OAuth (REL1_39), copied from
// the project's shared fixtures so the project stands alone. The recorded data is the ground truth: see
// tests/fixtures/mediawiki-1.39-oauth/_facts.json.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'mediawiki-1.39-oauth');

export interface RecordedRequest {
  method: string;
  url: string;
  query_params?: Record<string, string>;
  headers: Record<string, string>;
  body: string | null;
  body_params?: Record<string, string>;
  /** The OAuth parameters sent in the Authorization header, decoded. */
  authorization_oauth_params?: Record<string, string>;
}

export interface RecordedResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  content_type: string | null;
  body: string;
  body_json?: unknown;
  body_form_params?: Record<string, string>;
  /** Set when the recorder shortened a long (HTML) body. */
  body_is_trimmed?: boolean;
}

export interface Fixture {
  name: string;
  description: string;
  notes?: string[];
  request: RecordedRequest;
  response: RecordedResponse;
  derived?: Record<string, unknown>;
  jwt?: { raw: string; header: Record<string, unknown>; payload: Record<string, unknown> };
}

export interface RecordedConsumer {
  id: number;
  name: string;
  key: string;
  secret: string;
  access_token?: string;
  access_secret?: string;
  owner?: string;
  callback_url?: string;
  callback_is_prefix?: boolean;
  owner_only: boolean;
  grants: string[];
}

export interface RecordedEnvironment {
  server: string;
  index_php: string;
  api_php: string;
  consumers: Record<'oauth1_prefix' | 'oauth1_exact' | 'oauth1_owner_only', RecordedConsumer> &
    Record<string, unknown>;
  users: Record<string, { id: number; groups: string[]; email: string }>;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8'));
}

/** One fixture by name, with or without `.json`: `loadFixture('07-identify-success')`. */
export function loadFixture(name: string): Fixture {
  return readJson(name.endsWith('.json') ? name : `${name}.json`) as Fixture;
}

/** The names of the OAuth 1.0a fixtures (not the o2-* OAuth 2 ones), in order. */
export function oauth1FixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => /^\d/.test(f) && f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export const environment = readJson('_environment.json') as RecordedEnvironment;
export const facts = readJson('_facts.json') as Record<string, unknown>;
