// The load generator, a process of its own (bench/load.ts forks it): the server being measured
// shares no process with the client load. For each job it sends a fixed list of GET requests over
// loopback with a fixed number in flight (keep-alive connections), reads every body, and answers
// with each request's status and timings. It stops by itself when the parent goes away.
import { Agent, request } from 'node:http';

export interface LoadRequest {
  path: string;
  headers: Record<string, string>;
}

export interface LoadJob {
  id: number;
  origin: string;
  requests: LoadRequest[];
  concurrency: number;
}

export interface LoadTiming {
  status: number;
  /** Time to the response head (ms). */
  ttfbMs: number;
  /** Time to the last byte of the body (ms). */
  totalMs: number;
  /** The Location header, for redirects ('' without). */
  location: string;
  /** The names of the cookies the answer set (Set-Cookie), e.g. a refreshed login's. */
  setCookies: string[];
}

export type LoadAnswer =
  { id: number; ok: true; wallMs: number; timings: LoadTiming[] } | { id: number; ok: false; error: string };

function once(agent: Agent, origin: URL, job: LoadRequest): Promise<LoadTiming> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(
      {
        agent,
        host: origin.hostname,
        port: origin.port,
        path: job.path,
        method: 'GET',
        headers: job.headers,
        timeout: 60_000,
      },
      (res) => {
        const ttfbMs = performance.now() - start;
        res.on('data', () => undefined);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ttfbMs,
            totalMs: performance.now() - start,
            location: typeof res.headers.location === 'string' ? res.headers.location : '',
            setCookies: (res.headers['set-cookie'] ?? []).map((c) => c.slice(0, Math.max(0, c.indexOf('=')))),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${job.path}: no answer within 60 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function run(job: LoadJob): Promise<LoadAnswer> {
  const origin = new URL(job.origin);
  if (origin.hostname !== '127.0.0.1' && origin.hostname !== 'localhost') {
    return { id: job.id, ok: false, error: 'the load generator sends to loopback only' };
  }
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const timings: LoadTiming[] = new Array<LoadTiming>(job.requests.length);
  let next = 0;
  const start = performance.now();
  try {
    const worker = async (): Promise<void> => {
      while (next < job.requests.length) {
        const index = next++;
        const item = job.requests[index];
        if (item !== undefined) timings[index] = await once(agent, origin, item);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, worker));
    return { id: job.id, ok: true, wallMs: performance.now() - start, timings };
  } catch (error) {
    return { id: job.id, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    agent.destroy();
  }
}

if (process.send !== undefined) {
  process.on('message', (message: LoadJob) => {
    void run(message).then((answer) => process.send?.(answer));
  });
  process.on('disconnect', () => process.exit(0));
}
