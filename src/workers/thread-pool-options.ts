/** The options of a `ThreadPool`, each with its default. */
import type { Log } from "../log.ts";
import type { ProcessExecutorOptions } from "./process-executor-options.ts";
import type { ResultLimitOptions } from "./result-limit.ts";

/** Options of a `ThreadPool` (`maxResultBytes`: see `result-limit.ts`). */
export interface ThreadPoolOptions extends ResultLimitOptions {
  /** Number of threads. Default: number of CPUs (`navigator.hardwareConcurrency`). */
  threads?: number;
  /** Per-task timeout in ms, counted from the moment a thread starts the job; `job.timeoutMs` overrides it. Default: 300_000. */
  taskTimeoutMs?: number;
  /** Where timeouts, crashes and thread start failures are reported. Default: silent. */
  log?: Log;
  /** Executor label prefix: threads are named `${name}/thread-N` (N from 1). Default: "local". */
  name?: string;
  /** Worker entry module. Default: `threadEntryUrl()` (works from source and in the compiled binary). */
  entry?: string | URL;
  /**
   * Post a thread its next job while it still runs one, so it starts the next without waiting for the pool's
   * event loop (no idle gap, no wake-up between two jobs). The job is then committed to that thread: it waits
   * behind the running one even if another thread frees up first, so use it where callers hand over no more
   * than about two jobs per thread anyway (remote workers). Default: false.
   */
  postAhead?: boolean;
  /**
   * Run each thread in an executor process of its own (process isolation; see docs/deployment.md "Security
   * model"): the pool then posts nothing ahead (`postAhead` jobs wait in the pool), kills the process on a timeout,
   * and replaces it when it dies. Default: none (threads in this process).
   */
  processes?: ProcessExecutorOptions;
}
