/**
 * Small, dependency-free statistics for benchmark samples: median, nearest-rank percentiles and
 * the median/min/max summary every reported figure is made of. Pure functions over numbers.
 */

/** A figure over several runs: the median, the range, and every run's value in run order. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/**
 * The median of `values` (mean of the two middle values when the count is even).
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median() of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The nearest-rank percentile `p` (0 < p ≤ 100) of `values`: the smallest value with at least
 * p % of the values at or below it. With 1,000 samples, p99 is the 990th smallest.
 *
 * @example
 * percentile([5, 1, 4, 2, 3], 50) // 3
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile() of no values');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile ${p} is out of range (0, 100]`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

/**
 * Summarises one figure's per-run values.
 *
 * @example
 * summarize([10, 12, 11]) // { median: 11, min: 10, max: 12, runs: [10, 12, 11] }
 */
export function summarize(runs: readonly number[]): Summary {
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), runs: [...runs] };
}
