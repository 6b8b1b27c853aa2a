// Shared by the bench sections: the framework floor (bench/floor) built and started as the app is,
// a login through the real app and devwiki over HTTP, the resident memory of a process tree, and
// the formats of the table. Servers come from tests/support/e2e-app.ts (one way to build and start).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_RIGHTS } from '@/devwiki/rights';
import { CookieJar, type SetCookie } from '@/tests/support/app-harness';
import {
  cleanEnv,
  freePort,
  ROOT,
  runNext,
  startServerProcess,
  type E2EServer,
  type ServerCommand,
  type ServerProcess,
} from '@/tests/support/e2e-app';

export const FLOOR_DIR = join(ROOT, 'bench', 'floor');

/** A copy of a project in a temporary directory, to build without touching the worktree. */
export interface ProjectCopy {
  dir: string;
  /** The copy's own next (a build must not trace files of the original). */
  nextBin: string;
  remove(): void;
}

/**
 * Copies `entries` ([absolute source, path in the copy]; missing sources skipped) into a new
 * temporary directory beside the installed node_modules, hard-linked (`cp -al`: a second, no disk)
 * or, across file systems, copied. A build there cannot touch the worktree's .next or tsconfig.json.
 */
export function copyProject(entries: ReadonlyArray<readonly [string, string]>): ProjectCopy {
  const dir = mkdtempSync(join(tmpdir(), 'next-mwoauth-bench-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const modules = join(ROOT, 'node_modules');
    const linked = spawnSync('cp', ['-al', modules, join(dir, 'node_modules')], { stdio: 'ignore' });
    if (linked.status !== 0) {
      rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
      cpSync(modules, join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    }
    for (const [from, to] of entries) {
      if (existsSync(from)) cpSync(from, join(dir, to), { recursive: true });
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, nextBin: join(dir, 'node_modules', 'next', 'dist', 'bin', 'next'), remove };
}

/**
 * The framework floor's files, for a copy. Built in place (`next build bench/floor`), Next 16 takes
 * the project's own instrumentation.ts and proxy.ts into the floor (it looks for them beside the
 * lockfile, the root it infers), and the floor then refuses to start without the app's variables:
 * alone in a copy, it is the empty app it is meant to be.
 */
export function floorEntries(): Array<[string, string]> {
  return [
    [join(FLOOR_DIR, 'app'), 'app'],
    [join(FLOOR_DIR, 'next.config.mjs'), 'next.config.mjs'],
    [join(ROOT, 'package.json'), 'package.json'],
    [join(ROOT, 'package-lock.json'), 'package-lock.json'],
  ];
}

let floorBuild: Promise<ProjectCopy> | null = null;

/** The floor, built once per process in a copy (removed when the process exits). */
export function builtFloor(): Promise<ProjectCopy> {
  floorBuild ??= (async () => {
    const copy = copyProject(floorEntries());
    process.once('exit', copy.remove);
    await runNext(['build'], cleanEnv({ NODE_ENV: 'production' }), copy.dir);
    return copy;
  })();
  return floorBuild;
}

/**
 * The floor under `next start`, as the app runs, or its standalone build's server.js in
 * `standaloneDir`; an origin to fetch from and the process.
 */
export async function startFloor(
  pollMs?: number,
  standaloneDir?: string,
): Promise<{ origin: string; server: ServerProcess }> {
  const port = await freePort();
  let command: ServerCommand;
  if (standaloneDir === undefined) {
    const floor = await builtFloor();
    command = {
      args: [floor.nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)],
      cwd: floor.dir,
      env: cleanEnv({ NODE_ENV: 'production' }),
    };
  } else {
    command = {
      args: ['server.js'],
      cwd: standaloneDir,
      env: cleanEnv({ NODE_ENV: 'production', PORT: String(port), HOSTNAME: '127.0.0.1' }),
    };
  }
  const server = await startServerProcess(command, port, pollMs);
  return { origin: `http://127.0.0.1:${port}`, server };
}

/**
 * 200 rights: the Admin's 73 of fixture 31b, then names in the style of extensions' rights. What the
 * names are does not matter to the cookies (the login cookie keeps no rights: DESIGN.md "Session");
 * the count does, if it ever did.
 */
export function manyRights(count: number): string[] {
  const made = Array.from({ length: Math.max(0, count - ADMIN_RIGHTS.length) }, (_, i) => {
    return `bench-extension-right-${String(i + 1).padStart(3, '0')}`;
  });
  return [...ADMIN_RIGHTS, ...made].slice(0, count);
}

/** A browser's state after logging in: its cookies, and the Set-Cookie headers the app sent. */
export interface LoggedIn {
  jar: CookieJar;
  /** The handshake cookie as initiate set it. */
  handshake: SetCookie;
  /** The login cookie as the callback set it. */
  login: SetCookie;
}

/**
 * The one cookie a step set (others it may clear): initiate sets the handshake cookie, the callback
 * the login cookie and clears the handshake one. Found this way, not by name: the names live in
 * lib/server/session.ts, which is server-only.
 */
function theCookieSet(setCookies: readonly SetCookie[], step: string): SetCookie {
  const set = setCookies.filter((c) => c.value !== '' && c.attributes['max-age'] !== '0');
  const [only] = set;
  if (only === undefined || set.length > 1) {
    throw new Error(`${step} set ${set.length} cookies (${set.map((c) => c.name).join(', ')}), not one`);
  }
  return only;
}

/** Logs `username` in through the app as a browser would: initiate, Allow on devwiki, the callback. */
export async function logIn(app: E2EServer, username: string): Promise<LoggedIn> {
  const jar = new CookieJar();
  const initiate = await fetch(`${app.origin}/api/mwoauth/initiate?next=%2Fprofile`, {
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
  const authorize = initiate.headers.get('location');
  if (initiate.status !== 303 || authorize === null) {
    throw new Error(`initiate answered ${initiate.status}, not a 303 to the wiki`);
  }
  const handshake = theCookieSet(jar.update(initiate), 'initiate');
  const callback = await app.devwiki.approve(authorize, username);
  const done = await fetch(callback, {
    headers: { cookie: jar.header() },
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
  if (done.status !== 303) throw new Error(`the callback answered ${done.status}, not 303`);
  const login = theCookieSet(jar.update(done), 'the callback');
  return { jar, handshake, login };
}

/**
 * Resident memory (VmRSS) of `pid` and every descendant, in bytes, from /proc (Linux). A sum: pages
 * shared between the processes count once per process. null where /proc is missing.
 */
export function treeRss(pid: number): number | null {
  if (!existsSync('/proc/self/status')) return null;
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  let total = 0;
  const queue = [pid];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    try {
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${next}/status`, 'utf8'))?.[1];
      total += Number(kb ?? 0) * 1024;
    } catch {
      // ended meanwhile
    }
    queue.push(...(children.get(next) ?? []));
  }
  return total;
}

export function formatBytes(bytes: number): string {
  if (bytes < 10_000) return `${bytes} B`;
  if (bytes < 10_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

export function formatMs(ms: number): string {
  return `${ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
}

/** "×1.23" of `value` against `base`. */
export function ratio(value: number, base: number): string {
  return `×${(value / base).toFixed(2)}`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? Number.NaN) + hi) / 2;
}
