/** Cluster-wide task figures kept in Redis by the task scripts themselves: per-status totals, requeues, run and wait histograms. */

/**
 * Upper bounds (seconds) of the `faas_task_run_seconds` and `faas_task_wait_seconds` buckets; one more bucket,
 * `+Inf`, takes the rest. Changing them changes the field names in the stats hash, so old counts stop showing.
 */
export const TASK_SECONDS_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

const boundsMs = TASK_SECONDS_BUCKETS.map((s) => Math.round(s * 1000)).join(", ");

/**
 * Lua helpers the dispatcher's scripts (LOAD_TASKS, SETTLE_TASKS) include to count what they change in the stats
 * hash `{root}stats` (root: the key prefix with its colon). Counts are summed in Lua tables while the script runs
 * (per task: a few table updates and at most 15 comparisons, no command, no string made) and written by
 * `stats_flush(root)` at its end: one HINCRBY per field that moved (a sum that grew by 0 ms did not), nothing when nothing did, and no round trip of
 * its own. Fields:
 * - `finished:{STATUS}`: tasks that reached that final state (`stats_finished`);
 * - `requeued`: tasks put back in the queue by a dispatcher (lost executor, hand-back);
 * - `run:b{i}` / `wait:b{i}` (i = 1 … buckets + 1, not cumulative) and `run:sum_ms` / `wait:sum_ms`: the
 *   histograms of run time (started → finished) and wait time (created → first start), in ms.
 */
export const TASK_STATS_LUA = `
local stats_bounds = { ${boundsMs} }
local stats_nb = #stats_bounds + 1
local stats_moved = {}
local stats_done = {}
local stats_h = { run = {}, wait = {} }
local stats_sum = { run = 0, wait = 0 }
local function stats_count(field, by) stats_moved[field] = (stats_moved[field] or 0) + by end
local function stats_observe(name, ms)
  ms = tonumber(ms) or 0
  if ms < 0 then ms = 0 end
  local b = stats_nb
  for i = 1, stats_nb - 1 do if ms <= stats_bounds[i] then b = i break end end
  local h = stats_h[name]
  h[b] = (h[b] or 0) + 1
  stats_sum[name] = stats_sum[name] + ms
end
local function stats_finished(status, now, started)
  stats_done[status] = (stats_done[status] or 0) + 1
  if started and started ~= '' then stats_observe('run', tonumber(now) - tonumber(started)) end
end
local function stats_flush(root)
  local key = root .. 'stats'
  for f, v in pairs(stats_moved) do redis.call('HINCRBY', key, f, v) end
  for st, v in pairs(stats_done) do redis.call('HINCRBY', key, 'finished:' .. st, v) end
  for name, h in pairs(stats_h) do
    local any = false
    for b, v in pairs(h) do
      redis.call('HINCRBY', key, name .. ':b' .. b, v)
      any = true
    end
    local sum = math.floor(stats_sum[name])
    if any and sum ~= 0 then redis.call('HINCRBY', key, name .. ':sum_ms', sum) end
  end
end
`;

/** One histogram as the stats hash holds it: per-bucket counts (not cumulative; the last is `+Inf`) and the sum. */
export interface StoredHistogram {
  /** `TASK_SECONDS_BUCKETS.length + 1` counts. */
  buckets: number[];
  sumSeconds: number;
  count: number;
}

/** What the stats hash holds, parsed. */
export interface TaskTotals {
  /** Tasks created so far (the main queue stream's `entries-added`: every create appends there exactly once). */
  created: number;
  /** Final tasks so far, by status. */
  finished: Record<string, number>;
  requeued: number;
  run: StoredHistogram;
  wait: StoredHistogram;
}

/** Parse the stats hash (HGETALL) and the created count into {@link TaskTotals}. */
export function parseTaskTotals(hash: Record<string, string>, created: number): TaskTotals {
  const finished: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith("finished:")) finished[field.slice("finished:".length)] = Number(value) || 0;
  }
  const histogram = (name: string): StoredHistogram => {
    const buckets = Array.from({ length: TASK_SECONDS_BUCKETS.length + 1 }, (_, i) => Number(hash[`${name}:b${i + 1}`] ?? 0) || 0);
    return { buckets, sumSeconds: (Number(hash[`${name}:sum_ms`] ?? 0) || 0) / 1000, count: buckets.reduce((a, b) => a + b, 0) };
  };
  return { created, finished, requeued: Number(hash.requeued ?? 0) || 0, run: histogram("run"), wait: histogram("wait") };
}
