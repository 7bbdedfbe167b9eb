/** The batch load generator: N tasks through `POST /execute_batch` and `POST /results?wait`, a few batches in flight. */
import type { FaasHttp } from "./faas-http.ts";
import type { LoadResult } from "./load-run.ts";

/** Options of {@link runBatch}. */
export interface BatchLoadOptions {
  http: FaasHttp;
  functionId: string;
  /** Arguments payload of every task (JSON text of an array). */
  args: string;
  tasks: number;
  /** Tasks per `POST /execute_batch`. Default: 1000. */
  batchSize?: number;
  /** Batches in flight at most, each submitted then collected by one lane. Default: 4. */
  inFlight?: number;
  /** The whole run must end within this many ms, else it throws. Default: 120000. */
  timeoutMs?: number;
  /** Called with the number of tasks just finished. Default: none. */
  onProgress?: (done: number) => void;
}

/** Statuses of a task that is not final yet. */
const OPEN_STATUSES: ReadonlySet<string> = new Set(["QUEUED", "RUNNING"]);

/**
 * `inFlight` lanes each take the next batch, submit it with `POST /execute_batch`, then long-poll
 * `POST /results { task_ids, wait }` with the ids still open until all are final, and go on with the next batch.
 * The timer starts before the first submit and stops when the last result arrives. A task's latency is its
 * batch's submit → the answer that had it final. FAILED and CANCELLED tasks count as failed.
 */
export async function runBatch(opts: BatchLoadOptions): Promise<LoadResult> {
  const { http, functionId, args, tasks } = opts;
  const size = Math.max(1, opts.batchSize ?? 1000);
  const batches = Math.ceil(tasks / size);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const latenciesMs: number[] = [];
  let next = 0;
  let failed = 0;

  const collect = async (ids: string[], submittedAt: number) => {
    let open = ids;
    while (open.length > 0) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) throw new Error(`${open.length} tasks of a batch not finished before the deadline (first: ${open[0]})`);
      const results = await http.results(open, Math.min(60, left));
      const now = performance.now();
      const still: string[] = [];
      for (const r of results) {
        if (OPEN_STATUSES.has(r.status)) {
          still.push(r.task_id);
          continue;
        }
        latenciesMs.push(now - submittedAt);
        if (r.status !== "COMPLETED") failed++;
      }
      if (results.length !== open.length) throw new Error(`POST /results answered ${results.length} results for ${open.length} ids`);
      opts.onProgress?.(open.length - still.length);
      open = still;
    }
  };
  const lane = async () => {
    while (next < batches) {
      const i = next++;
      const count = Math.min(size, tasks - i * size);
      const at = performance.now();
      const ids = await http.executeBatch(functionId, args, count);
      if (ids.length !== count) throw new Error(`POST /execute_batch answered ${ids.length} task ids for ${count} tasks`);
      await collect(ids, at);
    }
  };

  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.inFlight ?? 4, batches)) }, lane));
  const seconds = (performance.now() - t0) / 1000;
  return { tasks, seconds, tasksPerS: tasks / seconds, latenciesMs, failed };
}
