// An injectable fetch for lib/mwoauth tests: answers from recorded fixtures or handlers, and keeps
// every request it was given so tests can check what left (signature, body, User-Agent).
import type { Fixture } from './fixtures';

export interface SeenRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string | null;
}

export interface FakeFetch {
  (url: string, init: RequestInit): Promise<Response>;
  requests: SeenRequest[];
}

export type Answer = (request: SeenRequest) => Response | Promise<Response>;

/** A fetch that hands each request to `answer` (or to the next of several answers, in order). */
export function fakeFetch(...answers: Answer[]): FakeFetch {
  const requests: SeenRequest[] = [];
  const fn = async (url: string, init: RequestInit): Promise<Response> => {
    const body = typeof init.body === 'string' ? init.body : init.body == null ? null : String(init.body);
    const seen: SeenRequest = { url, method: init.method ?? 'GET', headers: new Headers(init.headers), body };
    requests.push(seen);
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
    if (answer === undefined) throw new Error('fakeFetch: no answer configured');
    return answer(seen);
  };
  return Object.assign(fn, { requests });
}

/** The recorded response of a fixture, as a fetch Response. */
export function recordedResponse(fixture: Fixture): Response {
  const nullBody = [101, 204, 205, 304].includes(fixture.response.status);
  return new Response(nullBody ? null : fixture.response.body, {
    status: fixture.response.status,
    headers: fixture.response.headers,
  });
}

/** A fetch that answers every request with the fixture's recorded response. */
export function fixtureFetch(fixture: Fixture): FakeFetch {
  return fakeFetch(() => recordedResponse(fixture));
}

/** The oauth_* parameters of an `Authorization: OAuth …` header, decoded. */
export function parseOAuthHeader(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (header === null || !header.startsWith('OAuth ')) return out;
  for (const m of header.slice('OAuth '.length).matchAll(/([a-z_]+)="([^"]*)"/g)) {
    const [, k, v] = m;
    if (k !== undefined && v !== undefined) out[k] = decodeURIComponent(v);
  }
  return out;
}
