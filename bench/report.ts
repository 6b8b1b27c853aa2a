// What every bench section returns, and how run.ts prints it. A figure is measured, never typed in;
// a budget is checked against figures of the same run (ratios: these machines are noisy).

export type Verdict = 'met' | 'missed' | 'not measured';

export interface Row {
  /** What was measured, e.g. 'identify handler: CPU per request'. */
  readonly name: string;
  /** The figure, formatted for the table, e.g. '1.84 ms' or '312 B'. */
  readonly value: string;
  /** The budget in words, e.g. '≤ 1.15 × (0.9 + 0.7) ms = 1.84 ms'; null when there is none. */
  readonly budget: string | null;
  /** null when the row has no budget. */
  readonly verdict: Verdict | null;
}

export interface Section {
  readonly title: string;
  readonly rows: readonly Row[];
  /** Anything a reader needs to trust or reproduce the figures (what was excluded, why). */
  readonly notes: readonly string[];
}

export interface BenchOptions {
  /** CI's smoke: every section runs, with few iterations, so the bench cannot rot. */
  readonly smoke: boolean;
}
