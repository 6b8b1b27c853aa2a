// Stands in for the 'server-only' package under Vitest (see vitest.config.mts): in Next it stops a
// server module from being bundled into client code; outside Next there is no client bundle.
export {};
