/** The load generator: N tasks through HTTP with bounded concurrency, timed from the first submit to the last result. */
import type { FaasHttp } from "./faas-http.ts";

/** Options of {@link runLoad}. */
export interface LoadOptions {
  http: FaasHttp;
  functionId: string;
  /** Arguments payload sent with every task (JSON text of an array). */
  args: string;
  tasks: number;
  /** HTTP requests in flight at most, submits and result reads together. Default: 64. */
  concurrency?: number;
  /** The whole run must end within this many ms, else it throws (lost tasks never hang a study). Default: 120000. */
  timeoutMs?: number;
  /** Called with the number of tasks just finished (batched; cheap). Default: none. */
  onProgress?: (done: number) => void;
}

/** What a load run measured. */
export interface LoadResult {
  tasks: number;
  /** First submit → last result received, in seconds. */
  seconds: number;
  tasksPerS: number;
  /** Per task: its submit → its final result received, in ms (includes queueing under load). */
  latenciesMs: number[];
  /** Tasks that ended FAILED. */
  failed: number;
}

/**
 * Pipelined load: half of the concurrency submits tasks, the other half long-polls the results of submitted
 * tasks in submission order, so submitting and collecting overlap and at most `concurrency` requests are in
 * flight. The timer starts before the first submit and stops when the last result arrives.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const { http, functionId, args, tasks } = opts;
  const concurrency = Math.max(2, opts.concurrency ?? 64);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const submitLanes = Math.max(1, Math.floor(concurrency / 2));
  const collectLanes = Math.max(1, concurrency - submitLanes);
  const ids: string[] = [];
  const submittedAt: number[] = [];
  const latenciesMs: number[] = new Array(tasks);
  let nextSubmit = 0;
  let nextCollect = 0;
  let failed = 0;
  let submitError: unknown = null;
  // Collect lanes wait here when they have caught up with the submitters.
  let waiting: (() => void)[] = [];
  const wakeCollectors = () => {
    const w = waiting;
    waiting = [];
    for (const f of w) f();
  };
  let pendingProgress = 0;
  let lastProgress = 0;
  const progress = (final = false) => {
    pendingProgress++;
    const now = performance.now();
    if (opts.onProgress && (final || now - lastProgress > 50)) {
      opts.onProgress(pendingProgress);
      pendingProgress = 0;
      lastProgress = now;
    }
  };

  const t0 = performance.now();
  const submitter = async () => {
    while (nextSubmit < tasks && submitError === null) {
      const i = nextSubmit++;
      const at = performance.now();
      try {
        ids[i] = await http.execute(functionId, args);
      } catch (err) {
        submitError ??= err;
      }
      submittedAt[i] = at;
      wakeCollectors();
    }
  };
  const collector = async () => {
    while (nextCollect < tasks && submitError === null) {
      const i = nextCollect;
      if (ids[i] === undefined) {
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      nextCollect++;
      const r = await http.final(ids[i]!, deadline);
      latenciesMs[i] = performance.now() - submittedAt[i]!;
      if (r.status === "FAILED") failed++;
      progress();
    }
  };
  const lanes = [
    ...Array.from({ length: submitLanes }, submitter),
    ...Array.from({ length: collectLanes }, collector),
  ];
  await Promise.all(lanes);
  if (submitError !== null) throw submitError;
  const seconds = (performance.now() - t0) / 1000;
  if (pendingProgress > 0) opts.onProgress?.(pendingProgress);
  return { tasks, seconds, tasksPerS: tasks / seconds, latenciesMs, failed };
}

/** Options of {@link runLatency}. */
export interface LatencyOptions {
  http: FaasHttp;
  functionId: string;
  args: string;
  /** Sequential single tasks to time. */
  tasks: number;
  /** The whole run must end within this many ms. Default: 60000. */
  timeoutMs?: number;
  onProgress?: (done: number) => void;
}

/** Latency of single tasks, one at a time: submit → result received with `?wait`, per task. */
export async function runLatency(opts: LatencyOptions): Promise<LoadResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const latenciesMs: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  for (let i = 0; i < opts.tasks; i++) {
    const s = performance.now();
    const id = await opts.http.execute(opts.functionId, opts.args);
    const r = await opts.http.final(id, deadline);
    latenciesMs.push(performance.now() - s);
    if (r.status === "FAILED") failed++;
    opts.onProgress?.(1);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { tasks: opts.tasks, seconds, tasksPerS: opts.tasks / seconds, latenciesMs, failed };
}
