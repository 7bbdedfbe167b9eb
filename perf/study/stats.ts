/** Order statistics of the performance study: nearest-rank percentiles and medians. */

/**
 * The nearest-rank `p`-th percentile (0–100) of `values`: the smallest value with at least p % of the values at or
 * below it. Returns NaN for an empty list. `values` need not be sorted; it is not modified.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

/** The median of `values` (mean of the two middle values for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** p50, p95 and p99 of latencies in ms. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
}

/** The p50/p95/p99 of a list of latencies (NaN each when empty). */
export function latencySummary(latenciesMs: readonly number[]): LatencySummary {
  return { p50: percentile(latenciesMs, 50), p95: percentile(latenciesMs, 95), p99: percentile(latenciesMs, 99) };
}

/**
 * Scaling efficiency of a run with `workers` executors against the 1-executor run of the same study and kind:
 * `(tasksPerS / workers) / baselineTasksPerS`. 1 is perfect scaling; valid for both weak scaling (tasks grow with
 * the workers) and strong scaling (fixed tasks), since both compare throughput per executor.
 */
export function scalingEfficiency(tasksPerS: number, workers: number, baselineTasksPerS: number): number {
  if (!(workers > 0) || !(baselineTasksPerS > 0)) return NaN;
  return tasksPerS / workers / baselineTasksPerS;
}
