// One exchange on the wire, under one overall deadline (connecting, the headers AND the body: a wiki
// that trickles a byte a second cannot hang the caller) and a cap on the body (a 50 MB answer cannot
// exhaust memory). Two ways to send it: Node's own http/https client, the default, and an injected
// fetch (HttpOptions.fetch). The default is not globalThis.fetch: Node's fetch (undici) wraps every
// body in web streams, clones the request for redirect: 'manual' and makes each stream and
// AbortSignal transferable, and inside Next.js the global fetch is Next's patched one besides. For
// one small signed POST that is about 0.7 ms more CPU than node:http on the same machine (a login
// makes three such requests); BENCHMARKS.md has the profile. Neither follows a redirect: a signed
// request must go to the URL it was signed for (the wiki checks it against $wgServer).
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { MWOAuthError } from './errors.ts';

/** What the library needs of fetch; `globalThis.fetch` fits. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** An absolute point in time (performance.now() milliseconds) by which a call must be over. */
export interface Deadline {
  at: number;
  timeoutMs: number;
}

export function startDeadline(timeoutMs: number): Deadline {
  return { at: performance.now() + timeoutMs, timeoutMs };
}

export function remainingMs(deadline: Deadline): number {
  return Math.max(0, deadline.at - performance.now());
}

/** One request as it goes out: the headers are final (User-Agent, Cookie, Content-Type set). */
export interface WireRequest {
  method: 'GET' | 'POST';
  url: URL;
  /** The URL as the caller gave it (what an injected fetch is handed). */
  href: string;
  headers: Record<string, string>;
  /** The form-encoded body of a POST ('' for none); undefined for a GET. */
  body: string | undefined;
  deadline: Deadline;
  maxBytes: number;
}

export interface WireAnswer {
  status: number;
  headers: Headers;
  text: string;
}

function timeoutError(url: URL, deadline: Deadline): MWOAuthError {
  return new MWOAuthError(
    'timeout',
    `No complete answer from ${url.origin} within ${deadline.timeoutMs} ms; the wiki may be down or slow. ` +
      'Try again later, or raise timeoutMs.',
  );
}

function tooLarge(url: URL, maxBytes: number): MWOAuthError {
  return new MWOAuthError(
    'response_too_large',
    `The answer from ${url.origin}${url.pathname} is larger than ${maxBytes} bytes; ` +
      'ask for less (e.g. a smaller limit) or raise maxResponseBytes.',
  );
}

function networkError(url: URL, cause: unknown): MWOAuthError {
  const detail =
    cause instanceof Error && cause.cause instanceof Error
      ? cause.cause.message
      : cause instanceof Error
        ? cause.message
        : String(cause);
  return new MWOAuthError(
    'network',
    `Could not reach ${url.origin}: ${detail}. Check the wiki URL and the network.`,
    { cause },
  );
}

/** A compressed answer that does not decompress: the wiki was reached, so not "could not reach". */
function undecodable(url: URL, encoding: string, cause: Error): MWOAuthError {
  return new MWOAuthError(
    'network',
    `The answer from ${url.origin}${url.pathname} says Content-Encoding: ${encoding} but does not decode ` +
      `(${cause.message}); something between this server and the wiki may be altering it. Try again, or ` +
      'check the proxies on the way.',
    { cause },
  );
}

/** A declared Content-Length over the cap: refused before the body is read. */
function declaredTooLarge(value: string | null | undefined, maxBytes: number): boolean {
  const declared = Number(value);
  return value !== null && value !== undefined && Number.isFinite(declared) && declared > maxBytes;
}

function joined(chunks: Uint8Array[], total: number): string {
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder('utf-8').decode(all); // as Response.text(): a BOM dropped, bad bytes as U+FFFD
}

/** The decoder for a Content-Encoding, as fetch decodes it (none for identity or one it does not know). */
function decoderFor(encoding: string | undefined): NodeJS.ReadWriteStream | null {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

/** The answer's headers as a `Headers`, each Set-Cookie kept apart (getSetCookie). */
function headersOf(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] ?? '', raw[i + 1] ?? '');
    } catch {
      // A header Headers refuses (a name fetch would not accept either) is dropped.
    }
  }
  return headers;
}

/** Sends with node:http or node:https (the default). */
export function viaNode(request: WireRequest): Promise<WireAnswer> {
  const { url, deadline, maxBytes } = request;
  return new Promise<WireAnswer>((resolve, reject) => {
    let settled = false;
    let outgoing: http.ClientRequest | null = null;
    const finish = (error: MWOAuthError | null, answer?: WireAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === null && answer !== undefined) return resolve(answer);
      outgoing?.destroy(); // frees the socket: it is not given back to the pool mid-answer
      reject(error);
    };
    const timer = setTimeout(() => finish(timeoutError(url, deadline)), remainingMs(deadline));
    const headers: Record<string, string> = { ...request.headers, 'Accept-Encoding': 'gzip, deflate, br' };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const client = url.protocol === 'https:' ? https : http;
    try {
      outgoing = client.request(url, { method: request.method, headers }, (incoming) => {
        if (declaredTooLarge(incoming.headers['content-length'], maxBytes)) {
          return finish(tooLarge(url, maxBytes));
        }
        const decoder = decoderFor(incoming.headers['content-encoding']);
        const body: Readable | NodeJS.ReadWriteStream = decoder ? incoming.pipe(decoder) : incoming;
        const chunks: Uint8Array[] = [];
        let total = 0;
        body.on('data', (chunk: Buffer) => {
          total += chunk.byteLength;
          if (total > maxBytes) finish(tooLarge(url, maxBytes));
          else chunks.push(chunk);
        });
        body.on('end', () =>
          finish(null, {
            status: incoming.statusCode ?? 0,
            headers: headersOf(incoming.rawHeaders),
            text: joined(chunks, total),
          }),
        );
        incoming.on('error', (cause: Error) => finish(networkError(url, cause)));
        decoder?.on('error', (cause: Error) =>
          finish(undecodable(url, incoming.headers['content-encoding'] ?? '', cause)),
        );
        incoming.on('close', () => {
          if (!incoming.complete) finish(networkError(url, new Error('the connection closed mid-answer')));
        });
      });
    } catch (cause) {
      // A URL node:http cannot send to (another scheme) throws here rather than emitting 'error'.
      return finish(networkError(url, cause));
    }
    outgoing.on('error', (cause: Error) => finish(networkError(url, cause)));
    outgoing.end(request.body);
  });
}

async function readCapped(response: Response, maxBytes: number, url: URL): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  return joined(chunks, total);
}

/** Sends with an injected fetch (HttpOptions.fetch). */
export async function viaFetch(request: WireRequest, fetchImpl: FetchLike): Promise<WireAnswer> {
  const { url, deadline, maxBytes } = request;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timeoutError(url, deadline));
      controller.abort();
    }, remainingMs(deadline));
  });
  // A failed fetch or body read: our own errors (deadline, size cap) as they are, an abort as the
  // deadline, anything else as the network.
  const failed = (cause: unknown): MWOAuthError => {
    if (cause instanceof MWOAuthError) return cause;
    if (controller.signal.aborted) return timeoutError(url, deadline);
    return networkError(url, cause);
  };
  let complete = false;
  try {
    let response: Response;
    try {
      response = await Promise.race([
        fetchImpl(request.href, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: 'manual',
          signal: controller.signal,
        }),
        expired,
      ]);
    } catch (cause) {
      throw failed(cause);
    }
    if (declaredTooLarge(response.headers.get('content-length'), maxBytes)) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(url, maxBytes);
    }
    let text: string;
    try {
      text = await Promise.race([readCapped(response, maxBytes, url), expired]);
    } catch (cause) {
      throw failed(cause);
    }
    complete = true;
    return { status: response.status, headers: response.headers, text };
  } finally {
    clearTimeout(timer);
    // Frees the connection if we stopped early (too large, timeout, an error). Not after a full
    // read: the connection is already back in the pool, and an abort is not free.
    if (!complete && !controller.signal.aborted) controller.abort();
  }
}
