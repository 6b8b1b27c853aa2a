// Next calls register() once when a server starts. In production a missing or invalid variable
// must stop the server at once, with one message naming every problem (CONTRIBUTING.md),
// rather than fail on the first visitor's request. `next build` needs no configuration, so the
// check is skipped in its phase; `next dev` reports problems on the home page instead.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  // Requests Next would mishandle before proxy.ts runs (TRACE, `OPTIONS *`, absolute-form targets;
  // in production every upgrade: `next dev`'s hot reload is a WebSocket, the built app serves none).
  (await import('./lib/server/http/early-guard')).installEarlyGuard({
    refuseUpgrades: process.env.NODE_ENV === 'production',
  });
  if (process.env.NODE_ENV !== 'production') return;
  // V8's old generation held to +20 % over what survived its last full collection: set here, not
  // on node's command line, where a V8 flag costs 150 ms of start-up (lib/server/wiring/heap.ts).
  (await import('./lib/server/wiring/heap')).boundHeapGrowth();
  const { checkConfigAtStartup } = await import('./lib/server/wiring/startup');
  checkConfigAtStartup();
  // The environment is checked and will not change: getConfig() stops re-reading it per call.
  (await import('./lib/server/config')).freezeConfig();
}
