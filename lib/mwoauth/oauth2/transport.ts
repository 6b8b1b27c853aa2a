// oauth4webapi makes the OAuth 2.0 requests; lib/mwoauth's http.ts sends them. Its fetch is
// replaced (the customFetch option) by one that goes through `send`, so every 2.0 request has the
// same User-Agent rule, overall deadline and body cap as 1.0a's, and the answer read under them is
// kept for the error messages.
import * as oauth from 'oauth4webapi';
import { type Deadline, type HttpResponse, send, type Transport } from '../http.ts';

/** What the wiki answered, once it has (null before, or when nothing came back). */
export interface AnswerSeen {
  answer: HttpResponse | null;
}

/** Statuses a Response may not have a body with (the Response constructor throws otherwise). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * oauth4webapi's request options for one call to `endpoint`: our fetch, and allowInsecureRequests
 * only for a plain-http wiki (a local one such as devwiki: oauth4webapi refuses http otherwise).
 */
export function requestOptions(
  endpoint: string,
  transport: Transport,
  deadline: Deadline,
  seen: AnswerSeen,
): oauth.TokenEndpointRequestOptions {
  const fetchThroughSend = async (
    url: string,
    init: oauth.CustomFetchOptions<'POST', URLSearchParams>,
  ): Promise<Response> => {
    // send sets User-Agent (ours, not oauth4webapi's) and the form Content-Type itself; header
    // names from oauth4webapi are lower-case, so drop those two rather than send them twice.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(init.headers)) {
      if (name.toLowerCase() !== 'user-agent' && name.toLowerCase() !== 'content-type') headers[name] = value;
    }
    const answer = await send({ method: init.method, url, headers, body: init.body }, transport, deadline);
    seen.answer = answer;
    return new Response(NULL_BODY.has(answer.status) ? null : answer.text, {
      status: answer.status,
      headers: answer.headers,
    });
  };
  const options: oauth.TokenEndpointRequestOptions = { [oauth.customFetch]: fetchThroughSend };
  if (new URL(endpoint).protocol === 'http:') options[oauth.allowInsecureRequests] = true;
  return options;
}
