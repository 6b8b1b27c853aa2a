// The builds the bench serves besides the worktree's own .next: temporary copies of a project (with
// node_modules hard-linked), the framework floor (bench/floor) and the standalone builds of the app
// and the floor for section 4. Each is built at most once per bench run (run.ts runs every section
// in one process) and removed when the process exits, so that every section compares against the
// same floor build.
//
// Why the floor is built in a copy and not in place (`next build bench/floor`): Next 16 takes the
// root to be where the lockfile is, the repository, and looks for instrumentation.ts and proxy.ts
// there, so a floor built in place compiled the app's own instrumentation.ts (which refuses to start
// without the app's variables) and proxy.ts into itself. Alone in a directory of its own, with the
// lockfile beside it, the floor is the empty app it is meant to be: no instrumentation, no proxy.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APP_SOURCES,
  cleanEnv,
  freePort,
  nextBuild,
  ROOT,
  startNext,
  type NextServer,
  type StartNextOptions,
} from '@/tests/support/e2e-app';

const FLOOR_DIR = join(ROOT, 'bench', 'floor');

/**
 * Copies `entries` (paths relative to `from`; missing ones skipped) into a new temporary directory
 * beside the installed node_modules, hard-linked (`cp -al`: a second, no disk) or, across file
 * systems, copied; removed when the process exits. A build there cannot touch the worktree's .next
 * or tsconfig.json.
 */
function copyProject(from: string, entries: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'next-mwoauth-bench-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  const modules = join(ROOT, 'node_modules');
  const linked = spawnSync('cp', ['-al', modules, join(dir, 'node_modules')], { stdio: 'ignore' });
  if (linked.status !== 0) {
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    cpSync(modules, join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
  for (const entry of entries) {
    if (existsSync(join(from, entry))) cpSync(join(from, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

/** The floor's sources in a copy: its app and config, and the project's package files (same next). */
function floorCopy(): string {
  const dir = copyProject(FLOOR_DIR, ['app', 'next.config.mjs']);
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, file), join(dir, file));
  return dir;
}

/**
 * sharp (and its @img binaries) are what `next/image` optimises with; the app does not use
 * next/image, yet Next's trace takes sharp into every standalone output when it is installed (next
 * depends on it optionally): some 20 MB. Excluded, as a deployment without next/image should; a tool
 * that adds next/image must drop this exclusion.
 */
export const SHARP = ['node_modules/sharp/**', 'node_modules/@img/**'];

/**
 * Builds the copy in `dir` with `output: 'standalone'` (sharp excluded, beside the project's own
 * outputFileTracingExcludes) through a wrapper config that spreads the project's own `configName`,
 * then puts .next/static (and public/) beside server.js as a deployment must. Returns the
 * standalone directory.
 */
async function buildStandalone(dir: string, configName: string): Promise<string> {
  const ext = configName.slice(configName.lastIndexOf('.'));
  renameSync(join(dir, configName), join(dir, `next.config.project${ext}`));
  writeFileSync(
    join(dir, configName),
    [
      "// Written by bench/builds.ts: the project's config, built as a standalone server.",
      `import project from './next.config.project${ext === '.ts' ? '' : ext}';`,
      'export default {',
      '  ...project,',
      "  output: 'standalone',",
      // The project's own exclusions (next.config.mjs) and sharp's.
      `  outputFileTracingExcludes: { ...project.outputFileTracingExcludes, '*': [...(project.outputFileTracingExcludes?.['*'] ?? []), ...${JSON.stringify(SHARP)}] },`,
      '};',
      '',
    ].join('\n'),
  );
  await nextBuild(dir);
  const standalone = join(dir, '.next', 'standalone');
  cpSync(join(dir, '.next', 'static'), join(standalone, '.next', 'static'), { recursive: true });
  if (existsSync(join(dir, 'public')))
    cpSync(join(dir, 'public'), join(standalone, 'public'), { recursive: true });
  return standalone;
}

/** A build made once per process: the first call builds, every later one waits for the same. */
function once(build: () => Promise<string>): () => Promise<string> {
  let built: Promise<string> | null = null;
  return () => (built ??= build());
}

/** The floor, built as the app is (`next build`, served by `next start`): sections 1, 3 and 4. */
export const floorBuild = once(async () => {
  const dir = floorCopy();
  await nextBuild(dir);
  return dir;
});

/** The floor's standalone build (its .next/standalone): section 4. */
export const floorStandaloneBuild = once(() => buildStandalone(floorCopy(), 'next.config.mjs'));

/** The app's standalone build (its .next/standalone), from a copy of its sources: section 4. */
export const appStandaloneBuild = once(() =>
  buildStandalone(copyProject(ROOT, APP_SOURCES), 'next.config.mjs'),
);

/**
 * The floor served on a free port: `next start` of floorBuild(), or with `standalone` its standalone
 * build's server.js. The origin to fetch from (http://127.0.0.1:<port>) and the server.
 */
export async function startFloor(
  options: Pick<StartNextOptions, 'standalone' | 'pollMs'> = {},
): Promise<{ origin: string; server: NextServer }> {
  const dir = options.standalone === true ? await floorStandaloneBuild() : await floorBuild();
  const port = await freePort();
  const server = await startNext(dir, port, cleanEnv({ NODE_ENV: 'production' }), options);
  return { origin: `http://127.0.0.1:${port}`, server };
}

/**
 * The options the Procfile's `web:` line gives node before the path of Next's bin (`exec node
 * <flags> <Next's bin> start …`), so the app is measured as it is deployed. Throws when the line
 * does not start Next that way: a bench that silently dropped the flags would measure another
 * server than the one deployed.
 */
export function procfileNodeFlags(): string[] {
  const procfile = readFileSync(join(ROOT, 'Procfile'), 'utf8').replace(/^#.*$/gm, '');
  const web =
    /^web:\s*exec node((?:\s+--[\w-]+(?:=\S+)?)*)\s+node_modules\/next\/dist\/bin\/next start\b/m.exec(
      procfile,
    );
  if (web === null) {
    throw new Error(
      'Procfile: its web: line no longer reads `exec node [--flag…] node_modules/next/dist/bin/next start`; ' +
        'update procfileNodeFlags() in bench/builds.ts to read the flags it starts node with',
    );
  }
  return (web[1] ?? '').trim().split(/\s+/).filter(Boolean);
}
