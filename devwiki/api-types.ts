// What api.php's modules share (devwiki/api.ts, devwiki/api-lists.ts): the session, the JSON they
// build and the error they throw.
import type { User } from './store';
import type { DevwikiConsumer } from './types';

/** Who is asking: a user through a consumer, or nobody. */
export interface ApiSession {
  user: User | null;
  consumer: DevwikiConsumer | null;
  rights: readonly string[];
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An API error: `code` and `info` as MediaWiki-API-Error and {"error": {code, info}} carry them. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly info: string,
    readonly extra: Record<string, Json> = {},
  ) {
    super(info);
    this.name = 'ApiError';
  }
}
