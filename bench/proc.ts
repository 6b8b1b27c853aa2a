// CPU time and resident memory of a process tree, from Linux's /proc: what the server being
// measured spent, whatever the load generator (another process) and devwiki (the bench's own
// process) spent.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux we know). */
const TICKS_PER_S = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited meanwhile
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime…cstime fields 14–17.
  const number = (field: number): number => Number(fields[field - 3] ?? Number.NaN);
  const ticks = number(14) + number(15) + number(16) + number(17);
  if (!Number.isFinite(ticks)) return null;
  return { pid, ppid: number(4), ticks };
}

/** `root` and every descendant (next start may fork), as /proc has them now. */
function treeStats(root: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat !== null) all.push(stat);
  }
  if (!all.some((stat) => stat.pid === root)) throw new Error(`process ${root} is not running`);
  const inTree = new Set([root]);
  // Parents before children is not guaranteed by pid order: repeat until nothing is added.
  for (let added = true; added;) {
    added = false;
    for (const stat of all) {
      if (!inTree.has(stat.pid) && inTree.has(stat.ppid)) {
        inTree.add(stat.pid);
        added = true;
      }
    }
  }
  return all.filter((stat) => inTree.has(stat.pid));
}

/**
 * CPU milliseconds spent so far by `root` and every descendant. Each process counts its own time
 * plus that of its children it has already reaped (cutime, cstime): a child that exits inside a
 * window is still counted, and none is counted twice.
 */
export function treeCpuMs(root: number): number {
  let ticks = 0;
  for (const stat of treeStats(root)) ticks += stat.ticks;
  return (ticks * 1000) / TICKS_PER_S;
}

/**
 * Resident memory (VmRSS) of `root` and every descendant, in bytes. A sum: pages shared between the
 * processes count once per process.
 */
export function treeRss(root: number): number {
  let total = 0;
  for (const { pid } of treeStats(root)) {
    try {
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      total += Number(kb ?? 0) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** The CPU model, as /proc/cpuinfo names it. */
export function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
