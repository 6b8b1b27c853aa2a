// Next's instrumentation hook, doing nothing. Without a file of its own here, Turbopack (whose root
// is the repository, where the lockfile is) bundled the app's instrumentation.ts into the floor,
// which then refused to start without the app's configuration. (It also compiles the app's
// proxy.ts into .next/server/middleware.js, but registers no middleware: next start never loads it.)
export function register() {}
