import 'server-only';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { bodyLimitFor, SECURITY_HEADERS } from '@/lib/http-policy';
import { renderFailurePage, type Failure } from '../failures/page';
import { failure } from '../failures/catalogue';
import { english, translatorForHeaders, type Translator } from '../i18n';
import { forLog } from '../core/log';

// Requests Next mishandles before proxy.ts or any header rule of next.config.mjs runs
// (tests/security/hardening.test.ts, "methods and request targets", shows each), answered here first:
//
// - an absolute-form target (`GET http://evil.example/profile`): Next "normalises" the `//` into a
//   308 to http://evil.example/profile, without Cache-Control, which an intermediary could cache
//   for our URL. Browsers send only origin-form targets (`/path`) to a server like ours.
// - `OPTIONS *` (asterisk-form): Next fails with "Invalid URL", a 500 and a stack trace in the log.
// - TRACE and TRACK: the web Request class refuses them, so Next fails building the proxy's request:
//   a 500 without the security headers, and a stack trace in the log.
// - a declared body over its limit (lib/http-policy.ts bodyLimitFor: PAGE_BODY_LIMIT for pages,
//   ROUTE_BODY_LIMIT for the route handlers under /api/; logout reads 4 KB at most): Next sends
//   proxy.ts's answer only once the whole body has arrived (getCloneableBody's
//   finalize() awaits the request's end: hardening.test.ts, "page bodies") and replaces a
//   `Connection: close` of ours, so a half-sent body would hold its connection for 300 s (Node's
//   requestTimeout). Answered here, the connection ends within LINGER_MS. Chunked bodies, whose size is
//   known only at their end, are left to Next's copy limit (next.config.mjs) and proxy.ts's 413.
//
// - in production, every request Node hands over as an upgrade (`Connection: Upgrade` with any
//   `Upgrade:`, RFC 9110 §7.8): such a request skips the 'request' event, so none of the above, and
//   reaches Next's upgrade listener (hardening.test.ts, "requests delivered as upgrades"), which left the socket
//   of a TRACE, PUT, a declared 20 MB body or the HMR path open for good (CLOSE-WAIT once the client
//   left: Node applies no timeout to a socket it has handed over), until the process ran out of file
//   descriptors. The built app serves no WebSocket, so each gets a short 400 and its connection ends
//   (refuseUpgrade). `next dev` keeps them: its hot reload is a WebSocket (/_next/hmr).
//
// Next offers no hook that runs first, so register() (instrumentation.ts) wraps the 'request' and
// 'upgrade' events of Node's http.Server, in this process only. Every other request passes untouched.

/** Why Next must not see this request, as the answer to give; null for every ordinary request. */
export function earlyRefusal(
  method: string | undefined,
  target: string | undefined,
  contentLength: string | undefined,
  t: Translator = english(),
): Failure | null {
  if (method === 'TRACE' || method === 'TRACK') return failure('trace', t, { what: [method] });
  if (target === undefined || !target.startsWith('/')) return failure('not_a_path', t);
  const limit = bodyLimitFor(target);
  if (contentLength !== undefined && !(Number(contentLength) <= limit)) {
    return failure('too_large', t, { what: [t.number(limit / 1024)] });
  }
  return null;
}

/** The visitor's language from the headers a browser sends (Accept-Language, our language cookies). */
function translatorOf(req: IncomingMessage): Translator {
  const headers = new Headers();
  for (const name of ['accept-language', 'cookie']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  return translatorForHeaders(headers);
}

function answer(req: IncomingMessage, res: ServerResponse, failure: Failure): void {
  console.warn(
    `[request] ${failure.status} for ${forLog(req.method ?? null)} ${forLog(req.url ?? null)}: refused before Next`,
  );
  const body = renderFailurePage(failure);
  res.statusCode = failure.status;
  for (const { key, value } of SECURITY_HEADERS) res.setHeader(key, value);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex');
  if (failure.status === 405) res.setHeader('Allow', 'GET, HEAD, POST');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.on('finish', () => lingeringClose(req));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** How long the rest of a refused request's body is read and dropped before the connection ends. */
const LINGER_MS = 2000;

/**
 * Ends the connection after the answer without losing it: closing a socket with unread data makes
 * the kernel send a reset, and a client still uploading its body (a browser sending a long form)
 * would then show a connection error instead of our page. So, as nginx's lingering_close: no more
 * answers on this connection (FIN), whatever still arrives is dropped unread (Node's parser dumps
 * the body of an answered request), and the socket is destroyed after LINGER_MS at the latest.
 */
function lingeringClose(req: IncomingMessage): void {
  const socket = req.socket;
  req.resume();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** The whole answer to an upgrade: no page (the client asked for another protocol, not a page). */
const UPGRADE_REFUSAL = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * Refuses a request Node handed over as an upgrade, on its raw socket: Node has stopped parsing it
 * and removed its own error and timeout listeners, so the socket is ours to end. The 400 is written
 * with a FIN, whatever the client still sends (a declared body) is read and dropped, and the socket
 * is destroyed LINGER_MS later at the latest, as lingeringClose does for requests.
 */
function refuseUpgrade(req: IncomingMessage, socket: Duplex): void {
  console.warn(
    `[request] 400 for ${forLog(req.method ?? null)} ${forLog(req.url ?? null)} (Upgrade: ${forLog(req.headers.upgrade ?? null)}): refused before Next`,
  );
  // A reset from a client already gone must not become an uncaught 'error' (Node removed its listener).
  socket.on('error', () => undefined);
  socket.resume();
  socket.end(UPGRADE_REFUSAL);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

const INSTALLED = Symbol.for('next-mwoauth.early-guard');

export interface EarlyGuardOptions {
  /**
   * Refuse every upgrade request (production: the app serves no WebSocket); false lets them through
   * to Next (`next dev`, whose hot reload is a WebSocket).
   */
  refuseUpgrades: boolean;
}

/**
 * Wraps http.Server's 'request' and 'upgrade' events once per process (register() may run more
 * than once).
 */
export function installEarlyGuard({ refuseUpgrades }: EarlyGuardOptions): void {
  const proto: Server = Server.prototype;
  if (Reflect.get(proto, INSTALLED) === true) return;
  Reflect.set(proto, INSTALLED, true);
  const emit = proto.emit;
  proto.emit = function guardedEmit(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'upgrade' && refuseUpgrades) {
      const [req, socket] = args;
      if (req instanceof IncomingMessage && socket instanceof Duplex) {
        refuseUpgrade(req, socket);
        return true;
      }
    }
    if (event === 'request') {
      const [req, res] = args;
      if (req instanceof IncomingMessage && res instanceof ServerResponse) {
        const { method, url } = req;
        const length = req.headers['content-length'];
        // The visitor's translator (Headers, Accept-Language, a banana) only for a refusal: every
        // ordinary request passes through here.
        const refusal =
          earlyRefusal(method, url, length) === null
            ? null
            : earlyRefusal(method, url, length, translatorOf(req));
        if (refusal !== null) {
          answer(req, res, refusal);
          return true;
        }
      }
    }
    return Reflect.apply(emit, this, [event, ...args]);
  };
}
