import { checkHealth } from '@/lib/server/health';

// GET|HEAD /healthz — 200 `ok` when the app is configured, 503 with a one-line reason when not;
// never cached, never asks the wiki, reads no cookie (lib/server/health.ts says why).

/** Rendered per request: a health answer frozen at build time would say nothing. */
export const dynamic = 'force-dynamic';

function respond(withBody: boolean): Response {
  const { status, body } = checkHealth();
  return new Response(withBody ? body : null, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

export function GET(): Response {
  return respond(true);
}

/** Probes often send HEAD: the same status and headers, no body. */
export function HEAD(): Response {
  return respond(false);
}
