// Upstream failures on demand: what a wiki behind a proxy does on a bad day. Set per endpoint with
// devwiki.setFault(endpoint, fault); '*' applies to every request that has no fault of its own.
// 'authorize', 'token' and 'api' cover both protocols (rest.php/oauth2/authorize and
// Special:OAuth/approve, rest.php/oauth2/access_token, Bearer api.php); 'profile' is
// rest.php/oauth2/resource/profile.
import type { ServerResponse } from 'node:http';
import type { DevwikiEndpoint, DevwikiFault, DevwikiRequestEndpoint } from './types';

/** A complete response, built before it is sent, so faults can delay, slow or replace it. */
export interface WikiResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

export class Faults {
  private readonly table = new Map<DevwikiEndpoint, DevwikiFault>();

  set(endpoint: DevwikiEndpoint, fault: DevwikiFault | null): void {
    if (fault === null) this.table.delete(endpoint);
    else this.table.set(endpoint, fault);
  }

  for(endpoint: DevwikiRequestEndpoint): DevwikiFault | null {
    const own =
      endpoint === 'managegrants' || endpoint === 'page' || endpoint === 'other'
        ? undefined
        : this.table.get(endpoint);
    return own ?? this.table.get('*') ?? null;
  }
}

/**
 * The content type each endpoint normally answers with, so garbage looks like a normal answer at
 * first. `rest`: the OAuth 2.0 endpoints of rest.php (the token endpoint answers JSON, o2-06).
 */
export function usualContentType(endpoint: DevwikiRequestEndpoint, rest = false): string {
  if (rest) return endpoint === 'token' ? 'application/json; charset=UTF-8' : 'text/html; charset=UTF-8';
  switch (endpoint) {
    case 'initiate':
    case 'token':
      return 'text/plain;charset=UTF-8';
    case 'identify':
      return 'application/json';
    case 'api':
      return 'application/json; charset=utf-8';
    default:
      return 'text/html; charset=UTF-8';
  }
}

const REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  429: 'Too Many Requests',
};

/** The faults that replace the wiki's answer outright (the handler does not run); null for the others. */
export function replacementResponse(
  fault: DevwikiFault,
  endpoint: DevwikiRequestEndpoint,
  rest = false,
): WikiResponse | null {
  switch (fault.kind) {
    case 'status': {
      const reason = REASONS[fault.status] ?? 'Error';
      // What a reverse proxy (Varnish/ATS/nginx) answers while the wiki is down.
      return {
        status: fault.status,
        headers: { 'Content-Type': 'text/html; charset=utf-8', 'Retry-After': '1' },
        body:
          `<!DOCTYPE html><html lang="en"><head><title>${fault.status} ${reason}</title></head><body>` +
          `<h1>${reason}</h1><p>devwiki (local development wiki): simulated upstream error.</p></body></html>`,
      };
    }
    case 'html':
      // MediaWiki's own fatal-error page, served with 200 as PHP does for an uncaught exception.
      return {
        status: 200,
        headers: { 'Content-Type': 'text/html; charset=UTF-8' },
        body:
          '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>Internal error - devwiki</title></head>' +
          '<body><h1>Internal error</h1><p>[dEvWiKi0fault] Exception caught inside exception handler.</p>' +
          '<p>devwiki is a local development wiki; this error was simulated.</p></body></html>',
      };
    case 'garbage':
      return {
        status: 200,
        headers: { 'Content-Type': usualContentType(endpoint, rest) },
        body: Buffer.concat([
          Buffer.from('\u0000<<garbage '),
          Buffer.from([0xff, 0xfe, 0x00, 0xc3]),
          Buffer.from('>>{"'),
        ]),
      };
    default:
      return null;
  }
}

/** Writes `bytes` bytes in chunks, respecting backpressure, so 50 MB never sits in memory. */
export function streamHuge(res: ServerResponse, bytes: number, contentType: string): void {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(bytes) });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = bytes;
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/** Sends the real answer slowly: headers at once, then `bytesPerSecond` bytes each second. */
export function trickle(
  res: ServerResponse,
  response: WikiResponse,
  bytesPerSecond: number,
  timers: Set<NodeJS.Timeout>,
): void {
  const body = Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.body);
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
  res.flushHeaders();
  const step = Math.max(1, Math.floor(bytesPerSecond));
  let offset = 0;
  const timer = setInterval(() => {
    if (res.destroyed || offset >= body.length) {
      clearInterval(timer);
      timers.delete(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body.subarray(offset, offset + step));
    offset += step;
  }, 1000);
  timers.add(timer);
}
