import { setFlagsFromString } from 'node:v8';

// The production server's V8 heap, bounded from inside the process rather than on node's command
// line. After each full collection V8 lets the old generation grow to what survived times a factor
// it picks between 1.1 and 4 (v8/src/heap/heap-controller.cc); under load that let a server's RSS
// reach twice the floor's (BENCHMARKS.md, "Fourth pass"). 20 % bounds it; V8 reads the flag at each
// full collection, so setting it at run time takes effect as on the command line.
//
// Why not the command line (the Procfile had `node --max-semi-space-size=8 --heap-growing-percent=20`):
// any V8 flag there makes node refuse the code cache of its own built-in modules (V8 checks a hash
// of the flags), so each one `next start` loads is compiled from source: 150 ms more to the first
// answer (BENCHMARKS.md, "Sixth pass"). Setting a flag at run time moves that hash too, so
// instrumentation.ts calls this once Next has loaded them: only a built-in loaded later (four, in a
// login) is compiled from source.

/** How much V8's old generation may grow over what survived its last full collection, in %. */
export const HEAP_GROWING_PERCENT = 20;

/** `--heap-growing-percent`, as node's command line may give it (V8 also reads `_` for `-`). */
const GIVEN = /^--heap[-_]growing[-_]percent(?:=|$)/;

/**
 * The V8 flag boundHeapGrowth() sets, or null when node's command line gave its own (a deployment
 * that wants another value, or V8's own choice with `--heap-growing-percent=0`, says so there).
 */
export function heapGrowthFlag(execArgv: readonly string[]): string | null {
  return execArgv.some((arg) => GIVEN.test(arg)) ? null : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Sets heapGrowthFlag(execArgv) in this process's V8, unless node was given its own. */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  const flag = heapGrowthFlag(execArgv);
  if (flag !== null) setFlagsFromString(flag);
}
