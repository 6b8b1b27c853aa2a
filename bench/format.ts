// How figures and budgets print in every section of mine (three significant digits; a budget as
// the ratio of the figure to it).
import type { Verdict } from './report';

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return `${ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)} ms`;
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
