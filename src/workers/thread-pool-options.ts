/** The options of a `ThreadPool`, each with its default. */
import type { Log } from "../log.ts";
import type { ExecutorFactory } from "./executor-handle.ts";
import type { ProcessExecutorOptions } from "./process-executor-options.ts";
import type { PythonRuntime } from "./python-executors.ts";
import type { TaskFailureName } from "./task-failure.ts";
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
   * With executor processes: the most jobs of one function (and memory limit) an executor is posted at once, the
   * first running, the others waiting in its thread behind it (a train). They travel as one message and the
   * thread starts each right after the one before, so a burst of short jobs costs one wake-up of the executor,
   * not one per job; jobs of another function wait for an executor of their own. A train job cancelled before it
   * starts is dropped by its executor; one whose executor dies runs elsewhere, uncharged. How long a function's
   * trains are below this follows its jobs' measured run time (`trainMs`; 8 before one of them ended). 1 posts one
   * job at a time. Default: 32.
   */
  trainLength?: number;
  /** Work a train holds, in ms of its function's mean run time (work-budget.ts): 1 ms jobs go 10 at a time. Default: 10. */
  trainMs?: number;
  /**
   * Run each thread in an executor process of its own (process isolation; see docs/deployment.md "Security
   * model"): the pool then posts trains of one function's jobs (`trainLength`; `postAhead` does not apply), kills the process on a timeout,
   * and replaces it when it dies. Default: none (threads in this process).
   */
  processes?: ProcessExecutorOptions;
  /**
   * Run Python functions (jobs whose code `isPythonCode`) on a pool of Python runner processes of their own, sandboxed
   * like executor processes (`processes`' settings when given, the sandbox defaults otherwise). Default: none — Python
   * jobs then wait in the pool (they are not failed) until it closes.
   */
  python?: PythonRuntime;
  /** What runs the jobs, instead of threads or `processes` (the Python pool's runners). Default: none. */
  executors?: ExecutorFactory;
  /** Slot name in executor labels: `${name}/${slotName}-N`. Default: "thread". */
  slotName?: string;
  /** How the pool writes its own failures (timeouts, dead executors). Default: `taskFailure` (JavaScript error payloads). */
  failure?: (name: TaskFailureName, message: string) => string;
}
