/** TaskRuns: the tasks a dispatcher holds, from load to outcome — runs, starts, lost executors, hand-backs, and the in-flight count. */
import type { Log } from "../log.ts";
import type { LoadedTask, QueueEntry } from "../store/dispatch-queue.ts";
import type { DispatchJob, DispatchMode, JobOutcome } from "./dispatch-mode.ts";
import { isPythonCode } from "../codec/python-payload.ts";
import { pythonTaskFailure, taskFailureFor } from "../workers/task-failure.ts";
import { TaskLog, type LogBatch } from "../workers/task-log.ts";
import type { OutcomeWriter } from "./outcome-writer.ts";

/** How many times in a row a mode may give a job back unstarted before it goes back to the queue. */
const MAX_UNSTARTED_RETURNS = 3;
/** How long a cancel is remembered for a task loaded but not yet handed to the mode, in ms. */
const CANCEL_MEMORY_MS = 60_000;

/** What {@link TaskRuns} works with. */
export interface TaskRunsDeps {
  mode: DispatchMode;
  writer: OutcomeWriter;
  log: Log;
  /** This dispatcher's consumer name (written as the executor of a start). */
  consumer: string;
  /** Starts per task before it is FAILED as lost. */
  maxAttempts: number;
  /** The encoded TaskLostError of a task lost `maxAttempts` times. */
  lostError: string;
  /** False once the dispatcher stops: then a job that comes back unfinished is handed back to the queue. */
  running(): boolean;
  /** Called when a task settles (capacity freed). */
  freed(): void;
  /** Most log lines kept per task (`--task-log-lines`). */
  taskLogLines: number;
}

/**
 * The rules for a task the dispatcher holds:
 * - it is RUNNING, with `started` and an attempt charged, only once an executor really starts it;
 * - a started task whose executor was lost runs again first (charged once per start), until `maxAttempts`;
 * - a job no executor started runs again first for free, or, once stopping, goes back to the queue uncharged;
 * - every state change goes through the one {@link OutcomeWriter};
 * - what a task writes is kept here as it streams in (printed at debug level, prefixed with its task id) and
 *   written with its outcome, and with each requeue after its executor died; runs again here append to it.
 */
export class TaskRuns {
  private count = 0;
  private empty: PromiseWithResolvers<void> | null = null;
  /** The entries held (read and not yet settled), by lane and stream id. */
  private readonly held = new Set<string>();
  /** Task ids cancelled lately (epoch ms when heard), in the order heard: a task loaded as the cancel came never runs. */
  private readonly recentCancels = new Map<string, number>();

  constructor(private readonly d: TaskRunsDeps) {}

  /** Tasks held and not yet settled. */
  get inFlight(): number {
    return this.count;
  }

  /** Whether this dispatcher holds `entry`. */
  holds(entry: QueueEntry): boolean {
    return this.held.has(heldKey(entry));
  }

  /** Resolves once nothing is held. */
  whenEmpty(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    this.empty ??= Promise.withResolvers<void>();
    return this.empty.promise;
  }

  /** Entries taken from the queue: held from now on. Returns those not held already (a duplicate is ignored). */
  take(entries: QueueEntry[]): QueueEntry[] {
    const fresh = entries.filter((e) => !this.held.has(heldKey(e)));
    for (const e of fresh) this.held.add(heldKey(e));
    this.count += fresh.length;
    return fresh;
  }

  /** Of `entries`, those not in `kept` were settled by the load step itself (gone, final, exhausted): no longer held. */
  dropAllBut(entries: QueueEntry[], kept: QueueEntry[]): void {
    const live = new Set(kept.map(heldKey));
    for (const e of entries) if (!live.has(heldKey(e))) this.release(e);
  }

  /** Give entries back to the queue, uncharged (stopping before they reached the mode, or lost while stopping). */
  handBack(entries: QueueEntry[]): void {
    for (const entry of entries) {
      this.d.writer.add({ kind: "handback", entry });
      this.release(entry);
    }
  }

  /** Write a final outcome for a held task (with its log, when it wrote any). */
  finish(entry: QueueEntry, outcome: { status: "COMPLETED" | "FAILED"; result: string; executor: string }, log?: TaskLog): void {
    const logs = log === undefined || log.empty ? undefined : log.toJSON();
    this.d.writer.add({ kind: "finish", streamId: entry.streamId, taskId: entry.taskId, lane: entry.lane, ...outcome, ...(logs ? { logs } : {}) });
    this.release(entry);
  }

  /** Task `taskId` was cancelled: if it has not reached the mode yet, it never will. */
  cancelled(taskId: string): void {
    const now = Date.now();
    for (const [id, at] of this.recentCancels) {
      if (now - at < CANCEL_MEMORY_MS) break;
      this.recentCancels.delete(id);
    }
    this.recentCancels.set(taskId, now);
  }

  /** Hand a loaded task to the mode, with its code; `first` for lost tasks. */
  run(task: LoadedTask, code: string, first: boolean): void {
    if (this.recentCancels.has(task.taskId)) {
      // Cancelled while it was loaded: the store refuses this outcome (the task is final), the entry is acknowledged.
      return this.finish(task, { status: "FAILED", executor: this.d.mode.name, result: taskFailureFor(code, "CancelledError", "the task was cancelled before it started") });
    }
    const log = new TaskLog(this.d.taskLogLines);
    this.runJob(task, { ...task, code, attempts: task.attempts + 1, maxLogLines: this.d.taskLogLines }, first, 0, log);
  }

  private runJob(entry: LoadedTask, job: DispatchJob, first: boolean, unstartedReturns: number, log: TaskLog): void {
    let started = false;
    const control = {
      first,
      logs: (batch: LogBatch) => {
        for (const line of log.add(batch)) this.d.log.debug(`[${job.taskId}] ${line.text}`, { stream: line.stream });
      },
      started: () => {
        if (started) return;
        started = true;
        this.d.writer.add({ kind: "start", taskId: job.taskId, attempts: job.attempts, executor: this.d.consumer, at: Date.now() });
      },
    };
    void this.d.mode.run(job, control).then((outcome) => this.settle(entry, job, started, outcome, unstartedReturns, log));
  }

  private settle(entry: LoadedTask, job: DispatchJob, started: boolean, outcome: JobOutcome, unstartedReturns: number, log: TaskLog): void {
    if (outcome.status !== "LOST") return this.finish(entry, outcome, log);
    if (!this.d.running() || (!started && unstartedReturns + 1 >= MAX_UNSTARTED_RETURNS)) {
      // Stopping (or the mode cannot place it): every dispatcher may take it, before the backlog.
      this.d.log.debug("handing a task back to the queue", { task: entry.taskId, started, reason: outcome.reason });
      return this.handBack([entry]);
    }
    if (!started) return this.runJob(entry, job, true, unstartedReturns + 1, log);
    if (job.attempts >= this.d.maxAttempts) {
      this.d.log.warn("task lost too many times; failing it", { task: entry.taskId, attempts: job.attempts, reason: outcome.reason });
      const result = isPythonCode(job.code)
        ? pythonTaskFailure("TaskLostError", `task lost ${job.attempts} times (its executor died or went silent each time)`)
        : this.d.lostError;
      return this.finish(entry, { status: "FAILED", executor: this.d.mode.name, result }, log);
    }
    this.d.log.warn("task lost; running it again first", { task: entry.taskId, attempt: job.attempts, reason: outcome.reason });
    const logs = log.empty ? undefined : log.toJSON();
    this.d.writer.add({ kind: "requeue", taskId: entry.taskId, attempts: job.attempts, ...(logs ? { logs } : {}) });
    this.runJob(entry, { ...job, attempts: job.attempts + 1 }, true, 0, log);
  }

  private release(entry: QueueEntry): void {
    if (!this.held.delete(heldKey(entry))) return;
    this.count--;
    if (this.count === 0) {
      this.empty?.resolve();
      this.empty = null;
    }
    this.d.freed();
  }
}

function heldKey(e: QueueEntry): string {
  return `${e.lane ?? "main"}:${e.streamId}`;
}
