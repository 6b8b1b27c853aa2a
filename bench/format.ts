// How figures and budgets print in every section (about three significant digits; a budget as the
// ratio of the figure to it), and the median the sections report.
import type { Verdict } from './report';

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return `${ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)} ms`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 10_000) return `${bytes} B`;
  if (bytes < 10_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

/** "×1.23" of `value` against `base` (a figure beside its floor's, no budget). */
export function ratio(value: number, base: number): string {
  return `×${(value / base).toFixed(2)}`;
}

/** met when `value` ≤ `budget`; the ratio printed as "0.87× budget". */
export function ratioVerdict(value: number, budget: number): { verdict: Verdict; ratio: string } {
  if (!Number.isFinite(value) || !Number.isFinite(budget) || budget <= 0) {
    return { verdict: 'not measured', ratio: 'not measured' };
  }
  const ratio = value / budget;
  return { verdict: ratio <= 1 ? 'met' : 'missed', ratio: `${ratio.toFixed(2)}× budget` };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
