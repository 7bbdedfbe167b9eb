/** Order statistics and ratios of the performance study: percentiles, medians, scaling and executor efficiency. */

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

/**
 * Executor efficiency of a run: CPU seconds spent inside the executor processes ÷ (wall seconds × cores), i.e. the
 * share of the whole machine the executors used. NaN when the CPU was not measured (NaN) or the run took no time.
 * On 2 cores 1 executor can reach 0.5 at most; the rest of the stack (API, dispatcher, Redis, the load generator)
 * shares the same cores, so a CPU-bound run stays below 1 with any number of executors.
 */
export function executorEfficiency(executorCpuSeconds: number, wallSeconds: number, cores: number): number {
  if (!Number.isFinite(executorCpuSeconds) || !(wallSeconds > 0) || !(cores > 0)) return NaN;
  return executorCpuSeconds / (wallSeconds * cores);
}

/** The median of the finite values only (NaN when there are none): for columns measured in some rows only. */
export function medianOfFinite(values: readonly number[]): number {
  return median(values.filter(Number.isFinite));
}
