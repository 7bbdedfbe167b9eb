/** Local mode: the dispatcher runs tasks on its own pool of Bun Worker threads. */
import type { Log } from "../../log.ts";
import type { ProcessExecutorOptions } from "../../workers/process-executor-options.ts";
import type { PythonRuntime } from "../../workers/python-executors.ts";
import { ThreadPool } from "../../workers/thread-pool.ts";
import { WorkBudget } from "../../workers/work-budget.ts";
import type { DispatchJob, DispatchMode, JobOutcome, RunControl, WorkerLoad } from "../dispatch-mode.ts";

/** Options of {@link LocalMode}. */
export interface LocalModeOptions {
  /** Worker threads. Default: number of CPUs. */
  threads?: number;
  /** Default per-task timeout in ms. Default: 300000 (5 min). */
  taskTimeoutMs?: number;
  /**
   * Most jobs held per thread (running plus prefetched). How many are held below that follows the jobs' measured
   * run time: about `holdMs` of work per thread, and never fewer than {@link MIN_PER_THREAD}. Default: 128.
   */
  prefetch?: number;
  /** Work held per thread, in ms of the jobs' mean run time (see {@link HOLD_MS}). Default: 100. */
  holdMs?: number;
  log: Log;
  /** Run each thread in an executor process of its own (process isolation). Default: none (threads in this process). */
  processes?: ProcessExecutorOptions;
  /** Largest result a task may return, in UTF-8 bytes (`ResultTooLargeError` above). Default: 10 MiB. */
  maxResultBytes?: number;
  /** Python runners beside the threads, for Python functions (without, their tasks wait). Default: none. */
  python?: PythonRuntime;
}

/**
 * Work held per thread by default, in ms of the jobs' mean run time: enough that a thread never waits on a Redis
 * round trip (reads, loads and settles come in batches of many short jobs), little enough that long jobs stay in
 * Redis, where another dispatcher can take them. No-op jobs: the whole `prefetch`; 10 ms jobs: 10 per thread; 50 ms
 * and longer: 2. The mean is over all of this dispatcher's jobs, whatever their function.
 */
export const HOLD_MS = 100;
/** Jobs held per thread at least: the running one and the next. (Before any job's run time is known: 8.) */
export const MIN_PER_THREAD = 2;

/** Runs jobs on a {@link ThreadPool}; holds threads × (`holdMs` of measured work per thread, 2 to `prefetch`) jobs. */
export class LocalMode implements DispatchMode {
  readonly name = "local";
  private readonly pool: ThreadPool;
  /** Jobs held per thread, from the mean run time of every job that started and ended here. */
  private readonly hold: WorkBudget;
  private closing = false;

  constructor(opts: LocalModeOptions) {
    // Checked before any thread starts: a positive integer `prefetch`, a positive `holdMs`.
    this.hold = new WorkBudget({ budgetMs: opts.holdMs ?? HOLD_MS, min: MIN_PER_THREAD, max: opts.prefetch ?? 128 });
    this.pool = new ThreadPool({
      threads: opts.threads ?? navigator.hardwareConcurrency,
      taskTimeoutMs: opts.taskTimeoutMs ?? 300_000,
      log: opts.log,
      name: "local",
      processes: opts.processes,
      maxResultBytes: opts.maxResultBytes,
      python: opts.python,
    });
  }

  capacity(): number {
    return this.closing ? 0 : this.pool.size * this.hold.jobs();
  }

  /** The mean run time of the jobs so far, in ms (null before the first ended), which sets {@link capacity}. */
  get meanRunTimeMs(): number | null {
    return this.hold.meanMs() ?? null;
  }

  workerLoads(): WorkerLoad[] {
    return [{ id: this.name, slots: this.pool.size, busy: Math.max(0, this.pool.size - this.pool.idle), runtimes: this.pool.runtimes }];
  }

  pythonWaiting(): number {
    return this.pool.pythonWaiting;
  }

  onCapacity(): void {
    // Capacity is fixed: the core is woken by each finished job already.
  }

  async run(job: DispatchJob, control: RunControl): Promise<JobOutcome> {
    let startedAt = -1;
    const started = () => {
      startedAt = performance.now();
      control.started();
    };
    try {
      const out = await this.pool.run({
        taskId: job.taskId,
        functionId: job.functionId,
        code: job.code,
        args: job.args,
        timeoutMs: job.timeoutMs ?? undefined,
        memoryMb: job.memoryMb ?? undefined,
        maxLogLines: job.maxLogLines,
      }, { started, first: control.first, logs: control.logs });
      if (startedAt >= 0) this.hold.observe(performance.now() - startedAt);
      return { status: out.status, result: out.result, executor: out.executor };
    } catch (err) {
      // Only PoolClosedError: the job was withdrawn before it started, or cut short by close(); it goes back.
      return { status: "LOST", reason: (err as Error).message };
    }
  }

  cancel(taskId: string): void {
    this.pool.cancel(taskId);
  }

  stopStarting(): void {
    this.closing = true;
    this.pool.withdrawQueued();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.pool.close();
  }
}
