import 'server-only';
import { getApp, type App } from '../wiring/app';
import { AppError } from '../core/errors';

// What /healthz answers. Toolforge's webservice can be told to probe a path
// (`toolforge webservice buildservice start --health-check-path /healthz`), and uptime monitors
// poll one. A health check that says 200 while every login would fail is a lie, so it answers 200
// only when the configuration reads (the same check that stops `next start` at startup, see
// instrumentation.ts) and, with SESSION_STORE=redis, Redis answers a PING within its deadline
// (without Redis nobody can log in); 503 otherwise. It never asks the wiki: a slow wiki must not get the app
// restarted, and each probe would cost the wiki a request.

export interface Health {
  readonly status: 200 | 503;
  /** One line, no value of any variable (the problems name variables, never values). */
  readonly body: string;
}

export async function checkHealth(): Promise<Health> {
  let app: App;
  try {
    app = getApp();
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'invalid_config') throw error;
    // The variables' names only: the server log (and `next start`'s refusal) has the details.
    const names = [...new Set(error.problems.map((p) => /^[A-Z][A-Z0-9_]+/.exec(p)?.[0] ?? '?'))];
    return {
      status: 503,
      body: `unavailable: the configuration is invalid (${names.join(', ')}); the server log says how to fix it\n`,
    };
  }
  // One line naming Redis and what failed (host:port, never the URL's password: redis/connection.ts).
  const problem = await app.store.check();
  if (problem !== null) return { status: 503, body: `unavailable: the session store: ${problem}\n` };
  return { status: 200, body: 'ok\n' };
}
