/** The study plan: which worker layouts each mode is measured with, and which runs (study, kind, tasks) each gets. */
import type { StudyName } from "./results-csv.ts";
import type { TaskKind } from "./task-kinds.ts";

/** Dispatch mode under study. */
export type StudyMode = "local" | "pull" | "push";

/** Every mode, in study order. */
export const STUDY_MODES: readonly StudyMode[] = ["local", "pull", "push"];

/** A worker layout: `processes × threads` executors. */
export interface WorkerLayout {
  /** Worker processes (local: 1, the dispatcher's own pool). */
  processes: number;
  /** Threads per process. */
  threads: number;
}

/**
 * Layouts giving 1, 2, 4 and 8 executors. Local mode: 1, 2, 4, 8 threads of the dispatcher. Pull/push:
 * processes × threads = 1×1, 1×2, 2×2, 4×2 (two threads per process fit a 2-core machine; more processes
 * show the cost of spreading over processes).
 */
export function workerLayouts(mode: StudyMode): WorkerLayout[] {
  if (mode === "local") return [1, 2, 4, 8].map((threads) => ({ processes: 1, threads }));
  return [{ processes: 1, threads: 1 }, { processes: 1, threads: 2 }, { processes: 2, threads: 2 }, { processes: 4, threads: 2 }];
}

/** Tasks per `POST /execute_batch` in the batch study (the batches of 1,000). */
export const BATCH_SIZE = 1000;

/** Batches in flight in the batch study. */
export const BATCHES_IN_FLIGHT = 4;

/** One measured run: repeated `reps` times after one smaller warm-up. */
export interface PlannedRun {
  study: StudyName;
  kind: TaskKind;
  tasks: number;
  /** HTTP requests in flight (1: sequential single tasks; batch study: batches in flight, each submit then collect). */
  concurrency: number;
  /** Tasks per `POST /execute_batch` (the batch study only). */
  batchSize?: number;
  /** Tasks of the warm-up run before the repetitions. */
  warmupTasks: number;
  reps: number;
}

/** Options of {@link planRuns}. */
export interface PlanOptions {
  /** Multiplies every task count (for quick trials). Default: 1. */
  scale?: number;
  /** Measured repetitions per run. Default: 3. */
  reps?: number;
  /** HTTP requests in flight for throughput runs. Default: 64. */
  concurrency?: number;
  /** Only these studies. Default: all. */
  studies?: readonly StudyName[];
  /** Only these kinds. Default: all. */
  kinds?: readonly TaskKind[];
}

/**
 * The runs for a layout with `workers` executors:
 * - latency: 150 sequential no-op tasks, each submit → result with `?wait`;
 * - saturation: 10,000 no-op tasks, 64 in flight (the N of the pull/push benchmark; long enough that the
 *   first second's ramp-up does not dominate);
 * - batch: 20,000 no-op tasks through `POST /execute_batch` in batches of 1,000, 4 batches in flight, each
 *   collected with `POST /results?wait` (65,000 tasks per layout with the warm-up: over 4 layouts, 26 s per
 *   mode at 10,000 tasks/s, 52 s at 5,000; twice the saturation run's tasks, so the faster path is timed as long);
 * - weak scaling: 250 no-op or 50 ten-millisecond tasks per executor;
 * - strong scaling: a fixed 2,000 no-op or 400 ten-millisecond tasks (fewer for the 10 ms kinds so that the
 *   1-executor run takes 4 s, not 20, and the whole study stays under 10 minutes).
 * Warm-up: a quarter of the tasks (at least 20), same kind and layout, not recorded.
 */
export function planRuns(workers: number, opts: PlanOptions = {}): PlannedRun[] {
  const scale = opts.scale ?? 1;
  const reps = opts.reps ?? 3;
  const c = opts.concurrency ?? 64;
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  const runs: PlannedRun[] = [];
  const add = (study: StudyName, kind: TaskKind, tasks: number, concurrency: number, batchSize?: number) =>
    runs.push({
      study, kind, tasks: n(tasks), concurrency, warmupTasks: Math.max(Math.min(20, n(tasks)), Math.round(n(tasks) / 4)), reps,
      ...(batchSize === undefined ? {} : { batchSize }),
    });
  add("latency", "noop", 150, 1);
  add("saturation", "noop", 10_000, c);
  add("batch", "noop", 20_000, BATCHES_IN_FLIGHT, BATCH_SIZE);
  add("weak", "noop", 250 * workers, c);
  add("weak", "sleep10", 50 * workers, c);
  add("weak", "cpu10", 50 * workers, c);
  add("strong", "noop", 2000, c);
  add("strong", "sleep10", 400, c);
  add("strong", "cpu10", 400, c);
  return runs.filter((r) => (!opts.studies || opts.studies.includes(r.study)) && (!opts.kinds || opts.kinds.includes(r.kind)));
}

/** Tasks a plan sends in all (warm-ups included), for the progress bar. */
export function plannedTasks(runs: readonly PlannedRun[]): number {
  return runs.reduce((n, r) => n + r.warmupTasks + r.tasks * r.reps, 0);
}
