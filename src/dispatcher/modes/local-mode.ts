/** Local mode: the dispatcher runs tasks on its own pool of Bun Worker threads. */
import type { Log } from "../../log.ts";
import type { ProcessExecutorOptions } from "../../workers/process-executor-options.ts";
import type { PythonRuntime } from "../../workers/python-executors.ts";
import { ThreadPool } from "../../workers/thread-pool.ts";
import type { DispatchJob, DispatchMode, JobOutcome, RunControl, WorkerLoad } from "../dispatch-mode.ts";

/** Options of {@link LocalMode}. */
export interface LocalModeOptions {
  /** Worker threads. Default: number of CPUs. */
  threads?: number;
  /** Default per-task timeout in ms. Default: 300000 (5 min). */
  taskTimeoutMs?: number;
  /** Jobs held per thread (running plus prefetched), so a thread never waits on Redis. Default: 32. */
  prefetch?: number;
  log: Log;
  /** Run each thread in an executor process of its own (process isolation). Default: none (threads in this process). */
  processes?: ProcessExecutorOptions;
  /** Largest result a task may return, in UTF-8 bytes (`ResultTooLargeError` above). Default: 10 MiB. */
  maxResultBytes?: number;
  /** Python runners beside the threads, for Python functions (without, their tasks wait). Default: none. */
  python?: PythonRuntime;
}

/** Runs jobs on a {@link ThreadPool}; holds at most threads × prefetch jobs. */
export class LocalMode implements DispatchMode {
  readonly name = "local";
  private readonly pool: ThreadPool;
  private readonly limit: number;
  private closing = false;

  constructor(opts: LocalModeOptions) {
    this.pool = new ThreadPool({
      threads: opts.threads ?? navigator.hardwareConcurrency,
      taskTimeoutMs: opts.taskTimeoutMs ?? 300_000,
      log: opts.log,
      name: "local",
      processes: opts.processes,
      maxResultBytes: opts.maxResultBytes,
      python: opts.python,
    });
    this.limit = this.pool.size * (opts.prefetch ?? 32);
  }

  capacity(): number {
    return this.closing ? 0 : this.limit;
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
    try {
      const out = await this.pool.run({
        taskId: job.taskId,
        functionId: job.functionId,
        code: job.code,
        args: job.args,
        timeoutMs: job.timeoutMs ?? undefined,
        memoryMb: job.memoryMb ?? undefined,
        maxLogLines: job.maxLogLines,
      }, { started: control.started, first: control.first, logs: control.logs });
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
