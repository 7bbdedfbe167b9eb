/** A fixed set of worker threads, one job each at a time, with a FIFO, per-task timeouts and thread replacement. */
import { silentLog, type Log } from "../log.ts";
import { threadExecutors, type ExecutorFactory } from "./executor-handle.ts";
import { Fifo } from "./fifo.ts";
import type { PoolJob, PoolOutcome } from "./outcome.ts";
import { PoolClosedError } from "./pool-closed-error.ts";
import { ProcessExecutors } from "./process-executors.ts";
import { checkMaxResultBytes, DEFAULT_MAX_RESULT_BYTES } from "./result-limit.ts";
import { isPythonCode } from "../codec/python-payload.ts";
import { PythonExecutors, versionsLabel } from "./python-executors.ts";
import { namedError, poolFailure, pythonTaskFailure, type PoolFailureName } from "./task-failure.ts";
import { RetryBackoff } from "./retry-backoff.ts";
import type { LogBatch } from "./task-log.ts";
import { threadEntryUrl } from "./thread-entry-url.ts";
import type { ThreadPoolOptions } from "./thread-pool-options.ts";
import { ThreadSlot, type Death, type SlotEvents } from "./thread-slot.ts";
import { WorkBudget } from "./work-budget.ts";

export type { ThreadPoolOptions } from "./thread-pool-options.ts";

/** What a caller of {@link ThreadPool.run} may ask besides the outcome. */
export interface RunOptions {
  /** Called once when a thread starts the job. Default: none. */
  started?: () => void;
  /** Queue the job ahead of every waiting job. Default: false (first in, first out). */
  first?: boolean;
  /** Called with each batch of lines the job writes while it runs (see `task-log.ts`). Default: none. */
  logs?: (batch: LogBatch) => void;
}

/** Most jobs of one function an executor process is posted at once (`trainLength`). */
const DEFAULT_TRAIN_LENGTH = 32;
/**
 * Work a train holds, in ms of its function's mean run time (`trainMs`): a burst of short jobs costs an executor one
 * wake-up per train, not one per job, while a job never waits long behind others on a busy executor when another
 * one may free up first (jobs posted to an executor cannot move). No-op jobs: the longest train; 1 ms jobs: 10;
 * 10 ms and longer: 1 (posted one at a time). A function none of whose jobs ended yet: 8.
 */
const DEFAULT_TRAIN_MS = 10;

/** How long `close()` waits for each terminated thread to report that it is gone. */
const CLOSE_WAIT_MS = 5000;

/** A job accepted by `run`, with its caller's promise. */
interface Accepted {
  job: PoolJob;
  started?: () => void;
  logs?: (batch: LogBatch) => void;
  /** Cancelled while posted behind a running job: its executor is stopped the moment it starts. */
  cancelled?: boolean;
  /** `started` was called: a re-run (blame rule, dirty executor) does not report a second start. */
  reported?: boolean;
  /** It was re-run once already after its executor died (blame rule). */
  retried?: boolean;
  /** When an executor started it (performance.now()): its run time feeds its function's train length. */
  startedAt?: number;
  resolve(outcome: PoolOutcome): void;
  reject(error: Error): void;
}

type Slot = ThreadSlot<Accepted>;

/**
 * Runs jobs on worker threads. Each thread runs one job at a time; jobs beyond the free threads
 * wait in an internal FIFO that is unbounded: callers bound how many jobs they hand over (e.g.
 * at most `size` × a small prefetch in flight). Knows nothing of Redis or transports.
 *
 * `run` resolves `FAILED` for anything the user's code does (throws, bad result, timeout, killing
 * its thread); it rejects only with `PoolClosedError`, for jobs cut short by `close()` and jobs
 * submitted after it (an infrastructure interruption the caller may retry elsewhere).
 */
export class ThreadPool {
  /** Number of threads. */
  readonly size: number;
  readonly #timeoutMs: number;
  readonly #log: Log;
  readonly #entry: string | URL;
  readonly #executors: ExecutorFactory;
  /** Jobs an executor holds at once without trains: 1; 2 when the next job is posted ahead (`postAhead`, threads). */
  readonly #perThread: number;
  /**
   * With executors that take trains (processes), whose jobs must then be of one function: how many jobs of each
   * function an executor holds at once (`trainLength` at most); null without trains.
   */
  readonly #trainLengths: WorkBudget | null;
  readonly #slots: Slot[] = [];
  readonly #queue = new Fifo<Accepted>();
  /** Respawns of threads that failed to start: after 100 ms, doubling per consecutive failure, up to 5 s. */
  readonly #respawns = new RetryBackoff<Slot>(100, 5000);
  #closed = false;
  #closing: Promise<void> | null = null;
  #whenReady: PromiseWithResolvers<void> | null = null;
  /** Jobs whose executor died under them, waiting to re-run on that slot's fresh executor (blame rule). */
  readonly #pinned = new Map<Slot, Accepted>();
  /** The pool of Python runners (`options.python`), or null. */
  readonly #python: ThreadPool | null = null;
  /** `python-3.x/dill-y` of the Python runners, ending each Python job's executor label. */
  readonly #pythonVersions: string = "";
  /** Python jobs of a pool without Python: they wait here (never failed) until the pool closes. */
  readonly #noPython: Accepted[] = [];
  readonly #failure: (name: PoolFailureName, message: string) => string;
  /** The executor label of a job cancelled before any executor took it (`${name}/queue`: a valid id on the wire). */
  readonly #queueLabel: string;

  constructor(options: ThreadPoolOptions = {}) {
    const threads = options.threads ?? navigator.hardwareConcurrency;
    const timeoutMs = options.taskTimeoutMs ?? 300_000;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer: ${threads}`);
    if (!(timeoutMs > 0)) throw new RangeError(`taskTimeoutMs must be a positive number: ${timeoutMs}`);
    this.size = threads;
    this.#timeoutMs = timeoutMs;
    this.#log = options.log ?? silentLog;
    this.#entry = options.entry ?? threadEntryUrl();
    const name = options.name ?? "local";
    this.#queueLabel = `${name}/queue`;
    this.#failure = options.failure ?? poolFailure;
    this.#executors = options.executors !== undefined ? options.executors : options.processes !== undefined
      ? new ProcessExecutors({ ...options.processes, log: options.processes.log ?? this.#log, name })
      : threadExecutors(this.#entry);
    // An executor process holds jobs of one function only (a train): those share their thread's realm anyway (it is
    // checked when the function changes), so a job learns nothing of the next it could not learn running before it.
    this.#trainLengths = this.#executors.trains === true
      ? new WorkBudget({ max: Math.max(1, Math.floor(options.trainLength ?? DEFAULT_TRAIN_LENGTH)), budgetMs: options.trainMs ?? DEFAULT_TRAIN_MS })
      : null;
    this.#perThread = options.postAhead && this.#executors.kind === "thread" && this.#trainLengths === null ? 2 : 1;
    const maxResultBytes = checkMaxResultBytes(options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES);
    for (let i = 1; i <= threads; i++) {
      this.#slots.push(new ThreadSlot(`${name}/${options.slotName ?? "thread"}-${i}`, this.#executors, this.#events, i, maxResultBytes));
    }
    for (const slot of this.#slots) this.#spawn(slot);
    if (options.python !== undefined) {
      const { processes: settings } = options;
      this.#pythonVersions = versionsLabel(options.python.versions);
      this.#python = new ThreadPool({
        threads: options.python.processes ?? threads, taskTimeoutMs: timeoutMs, log: this.#log, name, slotName: "python",
        maxResultBytes, failure: pythonTaskFailure,
        executors: new PythonExecutors(options.python, { ...settings, log: settings?.log ?? this.#log, name: `${name}-python` }),
      });
    }
  }

  /** Threads not running a job now (including threads still starting up). */
  get idle(): number {
    let n = 0;
    for (const slot of this.#slots) if (slot.alive && slot.task === null) n++;
    return n;
  }

  /** Jobs accepted and not handed to a thread yet (a job posted ahead to a busy thread is no longer counted). */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Resolves once every thread has started (jobs may be handed over before: they wait in the
   * queue). Rejects when a thread fails to start or the pool is closed first.
   */
  ready(): Promise<void> {
    if (this.#whenReady === null) {
      this.#whenReady = Promise.withResolvers<void>();
      this.#whenReady.promise.catch(() => {}); // no unhandled rejection if nobody awaits
      this.#checkReady();
    }
    return this.#whenReady.promise;
  }

  /**
   * Run a job on the next free thread; see the class doc for what settles how. `control.started` is called when
   * a thread really starts it (not while it waits in the queue or behind a running job); `control.first` puts it
   * ahead of every queued job.
   */
  run(job: PoolJob, control: RunOptions = {}): Promise<PoolOutcome> {
    if (this.#closed) return Promise.reject(new PoolClosedError("thread pool is closed"));
    if (this.#python !== null && isPythonCode(job.code)) {
      return this.#python.run(job, control).then((out) => ({ ...out, executor: `${out.executor}/${this.#pythonVersions}` }));
    }
    return new Promise<PoolOutcome>((resolve, reject) => {
      const accepted: Accepted = { job, started: control.started, logs: control.logs, resolve, reject };
      if (isPythonCode(job.code) && !(this.#executors instanceof PythonExecutors)) {
        this.#noPython.push(accepted);
        return;
      }
      const slot = this.#slotFor(job);
      if (slot !== null) this.#start(slot, accepted);
      else if (control.first) this.#queue.unshift(accepted);
      else this.#queue.push(accepted);
    });
  }

  /**
   * Cancel the job of task `taskId`: one waiting (in the queue, or for a fresh executor) never runs; a running one has
   * its executor terminated (a process with everything it spawned) and a fresh one started in its place, and the jobs
   * posted behind it run elsewhere, uncharged. The job resolves FAILED with a `CancelledError`. Returns whether this
   * pool held the task.
   */
  cancel(taskId: string): boolean {
    if (this.#python?.cancel(taskId)) return true;
    const waiting = this.#noPython.findIndex((t) => t.job.taskId === taskId);
    if (waiting >= 0) {
      const [task] = this.#noPython.splice(waiting, 1);
      task!.resolve({ status: "FAILED", result: pythonTaskFailure("CancelledError", "the task was cancelled before it started"), executor: this.#queueLabel });
      return true;
    }
    const queued = this.#queue.drain();
    let found: Accepted | undefined;
    for (const task of queued) {
      if (found === undefined && task.job.taskId === taskId) found = task;
      else this.#queue.push(task);
    }
    if (found !== undefined) {
      this.#log.info("task cancelled before it started", { taskId });
      found.resolve({ status: "FAILED", result: this.#failure("CancelledError", "the task was cancelled before it started"), executor: this.#queueLabel });
      return true;
    }
    for (const [slot, task] of this.#pinned) {
      if (task.job.taskId !== taskId) continue;
      this.#pinned.delete(slot);
      this.#fail(slot, task, "CancelledError", "the task was cancelled before it ran again");
      this.#fill(slot);
      return true;
    }
    for (const slot of this.#slots) {
      const task = slot.tasks.find((t) => t.job.taskId === taskId);
      if (task === undefined) continue;
      if (slot.task === task) this.#cancelRunning(slot, task);
      // Posted behind a running job: its executor drops it unstarted (the `skipped` event), or, when it cannot skip,
      // the job is stopped when it starts, the running one untouched.
      else if (!slot.skip(task)) task.cancelled = true;
      return true;
    }
    return false;
  }

  #cancelRunning(slot: Slot, task: Accepted): void {
    if (slot.task !== task) return;
    this.#log.info("task cancelled while running; replacing its executor", { taskId: task.job.taskId, executor: slot.label });
    const [, ...unstarted] = slot.retire();
    this.#fail(slot, task, "CancelledError", "the task was cancelled while it ran; its executor was stopped");
    this.#spawn(slot);
    this.#requeue(unstarted);
  }

  /**
   * Reject every job still waiting in the queue (not handed to a thread) with `PoolClosedError`, and return how
   * many there were. Jobs running or posted to threads go on. Used for a graceful stop.
   */
  withdrawQueued(): number {
    const error = new PoolClosedError("job withdrawn before it started");
    let n = this.#python?.withdrawQueued() ?? 0;
    for (const task of this.#noPython.splice(0)) {
      task.reject(error);
      n++;
    }
    for (const task of this.#queue.drain()) {
      task.reject(error);
      n++;
    }
    return n;
  }

  /**
   * Terminate every thread. Running and queued jobs reject with `PoolClosedError`; later `run`
   * calls too. Resolves once the threads are gone. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#respawns.cancel();
    const error = new PoolClosedError();
    const stopping = this.#slots.map((slot) => slot.stop(CLOSE_WAIT_MS));
    for (const task of this.#queue.drain()) task.reject(error);
    for (const task of this.#pinned.values()) task.reject(error);
    this.#pinned.clear();
    this.#checkReady();
    for (const task of this.#noPython.splice(0)) task.reject(error);
    for (const tasks of await Promise.all(stopping)) for (const task of tasks) task.reject(error);
    await Promise.all([this.#executors.close(), this.#python?.close()]);
  }

  /** The runtimes this pool runs: `js`, and `python` with Python runners. */
  get runtimes(): string[] {
    return this.#python !== null ? ["js", "python"] : ["js"];
  }

  /** Python jobs waiting because this pool has no Python runners. */
  get pythonWaiting(): number {
    return this.#noPython.length;
  }

  /** `thread` or `process`: what runs the jobs. */
  get isolation(): "thread" | "process" {
    return this.#executors.kind;
  }

  /**
   * A ready executor with nothing to run, else one with room behind its running job (`postAhead`: nothing posted
   * behind yet; a train: the same function as the train's last job, the one with the shortest train).
   */
  #slotFor(job: PoolJob): Slot | null {
    let behind: Slot | null = null;
    const room = this.#room(job);
    for (const slot of this.#slots) {
      if (!slot.ready) continue;
      if (slot.held === 0) return slot;
      if (slot.held < room && this.#joins(slot, job) && (behind === null || slot.held < behind.held)) behind = slot;
    }
    return behind;
  }

  /** Most jobs an executor may hold when `job` would join them: a train's length for its function, or the fixed room. */
  #room(job: PoolJob): number {
    return this.#trainLengths?.jobs(job.functionId) ?? this.#perThread;
  }

  /** Whether `job` may be posted behind what `slot` holds: any job after a thread's, only the same function (and limits) on a train. */
  #joins(slot: Slot, job: PoolJob): boolean {
    if (this.#trainLengths === null) return true;
    const last = slot.last?.job;
    return last !== undefined && last.functionId === job.functionId && last.memoryMb === job.memoryMb && !isPythonCode(job.code);
  }

  #start(slot: Slot, task: Accepted): void {
    const ms = task.job.timeoutMs;
    slot.start(task, ms !== undefined && ms > 0 ? ms : this.#timeoutMs);
  }

  /** Give `slot` queued jobs while it has room. */
  #fill(slot: Slot): void {
    while (slot.ready) {
      const next = this.#queue.peek();
      if (next === undefined || slot.held >= this.#room(next.job) || (slot.held > 0 && !this.#joins(slot, next.job))) return;
      this.#start(slot, this.#queue.shift()!);
    }
  }

  /** Jobs a lost thread never started go back to the front of the queue, to whichever thread has room first. */
  #requeue(tasks: Accepted[]): void {
    if (tasks.length === 0) return;
    this.#queue.unshift(...tasks);
    for (const slot of this.#slots) this.#fill(slot);
  }

  #spawn(slot: Slot): void {
    if (this.#closed) return;
    try {
      slot.spawn();
    } catch (err) {
      this.#startFailed(slot, err instanceof Error ? err.message : String(err));
    }
  }

  readonly #events: SlotEvents<Accepted> = {
    started: (slot, task) => {
      if (task.cancelled) {
        queueMicrotask(() => this.#cancelRunning(slot, task));
        return;
      }
      task.startedAt = performance.now();
      if (task.reported) return;
      task.reported = true;
      task.started?.();
    },
    skipped: (slot, task, dropped) => {
      if (dropped) {
        this.#log.info("task cancelled before it started", { taskId: task.job.taskId });
        task.resolve({ status: "FAILED", result: this.#failure("CancelledError", "the task was cancelled before it started"), executor: slot.label });
        this.#fill(slot);
        return;
      }
      // It had started (or ended): stop its executor if it still runs it.
      task.cancelled = true;
      if (slot.task === task) this.#cancelRunning(slot, task);
    },
    ready: (slot) => {
      this.#respawns.succeed(slot);
      this.#checkReady();
      const pinned = this.#pinned.get(slot);
      if (pinned !== undefined) {
        this.#pinned.delete(slot);
        this.#start(slot, pinned);
      }
      this.#fill(slot);
    },
    dirty: (slot, reason, unstarted) => {
      this.#log.debug("executor left dirty by a task; replacing it", { executor: slot.label, reason });
      this.#spawn(slot);
      this.#requeue(unstarted);
    },
    logs: (_slot, task, batch) => {
      task.logs?.(batch);
    },
    done: (slot, task, status, result) => {
      if (task.startedAt !== undefined) this.#trainLengths?.observe(performance.now() - task.startedAt, task.job.functionId);
      task.resolve({ status, result, executor: slot.label });
      this.#fill(slot);
    },
    timedOut: (slot, task, ms) => {
      this.#log.warn("task timed out; replacing its thread", { taskId: task.job.taskId, executor: slot.label, timeoutMs: ms });
      const [, ...unstarted] = slot.retire();
      this.#fail(slot, task, "TimeoutError", `task exceeded its ${ms} ms timeout`);
      this.#spawn(slot);
      this.#requeue(unstarted);
    },
    died: (slot, task, death, unstarted) => {
      this.#died(slot, task, death);
      this.#requeue(unstarted);
    },
  };

  #died(slot: Slot, task: Accepted | null, death: Death): void {
    const { code, reason, wasReady, memoryLimitMb } = death;
    if (!wasReady) {
      this.#startFailed(slot, reason ?? `it exited with code ${code} during startup`);
      return;
    }
    if (task !== null && death.fresh === false && memoryLimitMb === undefined && !task.retried && !this.#closed) {
      // Blame rule: the executor had run other jobs, so what killed it may be left over from one of them.
      // The job runs once more, uncharged, on this slot's fresh executor; dying there too, it is the guilty one.
      this.#log.warn("executor died while running a task that may be innocent; re-running it on a fresh one", {
        taskId: task.job.taskId, executor: slot.label, code, reason,
      });
      task.retried = true;
      this.#pinned.set(slot, task);
    } else if (task !== null) {
      const what = this.#executors.kind === "thread" ? "worker thread" : "executor process";
      this.#log.warn(`${what} died while running a task; replacing it`, { taskId: task.job.taskId, executor: slot.label, code, reason, memoryLimitMb });
      if (memoryLimitMb !== undefined) {
        this.#fail(slot, task, "MemoryLimitError", `task exceeded its memory limit of ${memoryLimitMb} MB (the executor process, runtime included)`);
      } else if (reason !== null) this.#fail(slot, task, "WorkerCrashError", `${what} crashed while running this task: ${reason}`);
      else this.#fail(slot, task, "WorkerExitError", `${what} exited with code ${code} while running this task`);
    } else {
      this.#log.warn("idle executor died; replacing it", { executor: slot.label, code, reason });
    }
    this.#spawn(slot);
  }

  /** A worker failed before it was ready: retry later, backing off; with no thread able to start, fail the queue. */
  #startFailed(slot: Slot, reason: string): void {
    if (this.#closed) return;
    const failures = this.#respawns.fail(slot, () => this.#spawn(slot));
    this.#log.error("worker thread failed to start", { executor: slot.label, entry: String(this.#entry), reason, failures });
    this.#whenReady?.reject(namedError("ThreadStartError", `worker thread ${slot.label} could not start: ${reason}`));
    if (this.#respawns.failing === this.#slots.length) {
      const stuck = [...this.#pinned.values(), ...this.#queue.drain()];
      this.#pinned.clear();
      for (const task of stuck) this.#fail(slot, task, "ThreadStartError", `no worker thread could start: ${reason}`);
    }
  }

  #checkReady(): void {
    if (this.#whenReady === null) return;
    if (this.#closed) this.#whenReady.reject(new PoolClosedError("thread pool is closed"));
    else if (this.#slots.every((slot) => slot.ready)) this.#whenReady.resolve();
  }

  #fail(slot: Slot, task: Accepted, name: PoolFailureName, message: string): void {
    task.resolve({ status: "FAILED", result: this.#failure(name, message), executor: slot.label });
  }
}
