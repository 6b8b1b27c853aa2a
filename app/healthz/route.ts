import { checkHealth } from '@/lib/server/http/health';

// GET|HEAD /healthz — 200 `ok` when the app is configured (and Redis answers, in Redis mode), 503
// with a one-line reason when not;
// never cached, never asks the wiki, reads no cookie (lib/server/http/health.ts says why).

/** Rendered per request: a health answer frozen at build time would say nothing. */
export const dynamic = 'force-dynamic';

async function respond(withBody: boolean): Promise<Response> {
  const { status, body } = await checkHealth();
  return new Response(withBody ? body : null, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

export function GET(): Promise<Response> {
  return respond(true);
}

/** Probes often send HEAD: the same status and headers, no body. */
export function HEAD(): Promise<Response> {
  return respond(false);
}
