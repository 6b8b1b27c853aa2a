// A stand-in for the proxies in front of a Toolforge webservice, for tests/e2e: an HTTP server on
// 127.0.0.1 that passes every request on to the app the way a reverse proxy that terminated TLS
// would, and records what the app answered.
//
// What it sends is an assumption, not a measurement: Wikitech does not document the headers
// Toolforge's front proxy and Kubernetes ingress set (docs/toolforge.md says so). It takes the
// least helpful case the app must survive: `Host` is the address it connects to (the pod's, not the
// public name), no X-Forwarded-Host, `X-Forwarded-Proto: https` (TLS ended in front), and the
// client's address appended to `X-Forwarded-For`. TLS itself is not simulated: clients reach this
// proxy over plain HTTP.
import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';

export interface FrontProxy {
  /** http://127.0.0.1:<port>: where test clients send what browsers would send to the public origin. */
  readonly url: string;
  /** Every `Location` the app answered with, in order. */
  readonly locations: string[];
  close(): Promise<void>;
}

function forwardedFor(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const sent = req.headers['x-forwarded-for'];
  const before = Array.isArray(sent) ? sent.join(', ') : sent;
  return before === undefined || before === '' ? peer : `${before}, ${peer}`;
}

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * Starts the proxy in front of the app at `target` (host and port, as the proxy reaches it), or in
 * front of several instances of it: a function picks the instance of each request, as a load
 * balancer does (tests/security/redis-instances.test.ts).
 */
export async function startFrontProxy(
  target: ProxyTarget | ((req: IncomingMessage) => ProxyTarget),
): Promise<FrontProxy> {
  const locations: string[] = [];
  const server: Server = createServer((req, res) => {
    const chosen = typeof target === 'function' ? target(req) : target;
    const targetHost = chosen.host.includes(':')
      ? `[${chosen.host}]:${chosen.port}`
      : `${chosen.host}:${chosen.port}`;
    const headers = { ...req.headers };
    delete headers['x-forwarded-host'];
    headers.host = targetHost;
    headers['x-forwarded-proto'] = 'https';
    headers['x-forwarded-for'] = forwardedFor(req);
    const upstream = httpRequest(
      { host: chosen.host, port: chosen.port, method: req.method, path: req.url, headers },
      (answer) => {
        const location = answer.headers.location;
        if (location !== undefined) locations.push(location);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`front proxy: ${error.message}\n`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('front proxy: no TCP port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    locations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
