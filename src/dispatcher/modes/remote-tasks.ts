/** The tasks a remote mode has sent to workers: which worker and holder each went to, whether it started, its deadline, its caller's promise. */
import { encodeError } from "../../codec/index.ts";
import { isPythonCode } from "../../codec/python-payload.ts";
import { pythonTaskFailure } from "../../workers/task-failure.ts";
import { MAX_QUEUED_PER_THREAD } from "../../protocol/index.ts";
import type { DispatchJob, JobOutcome, RunControl } from "../dispatch-mode.ts";

/** One task sent to a remote worker. */
export interface Assignment {
  job: DispatchJob;
  control: RunControl;
  /** The worker process it was sent to: only this worker id may report its start or result. */
  workerId: string;
  /**
   * What holds it in the mode, for counting and losing (push: the worker id; pull: the lane, `workerId lane`). A
   * holder outlives the connection it spoke on when it reconnects.
   */
  holder: string;
  /** Effective timeout sent to the worker, in ms. */
  timeoutMs: number;
  /** The worker reported that a thread started it (`control.started()` was called). */
  started: boolean;
  /**
   * Epoch ms after which the dispatcher gives up waiting for the result: before the start is reported, the timeout
   * once for each task it may wait behind on its thread (MAX_QUEUED_PER_THREAD) and once for itself, plus grace;
   * once started, the timeout plus grace from the start.
   */
  deadline: number;
  resolve(outcome: JobOutcome): void;
}

/** Options of {@link RemoteTasks}. */
export interface RemoteTasksOptions {
  /** Extra time past a task's timeout before its deadline, in ms. */
  graceMs: number;
  /** Called (after removal) for each task whose deadline passed; it must settle the outcome. */
  expired(a: Assignment): void;
  /** How often deadlines are checked while tasks are out, in ms. Default: 500. */
  sweepMs?: number;
}

/**
 * Assignments by task id and by holder. Deadlines are checked by one sweeping timer that runs only
 * while tasks are out (an idle dispatcher has no timers), never one timer per task.
 */
export class RemoteTasks {
  private readonly byTask = new Map<string, Assignment>();
  private readonly byHolder = new Map<string, Set<Assignment>>();
  private timer: Timer | null = null;
  private readonly sweepMs: number;

  constructor(private readonly opts: RemoteTasksOptions) {
    this.sweepMs = opts.sweepMs ?? 500;
  }

  /** Tasks out on workers. */
  get size(): number {
    return this.byTask.size;
  }

  /** Record that `job` is sent to `workerId` for `holder`. */
  add(job: DispatchJob, control: RunControl, workerId: string, holder: string, timeoutMs: number, resolve: (o: JobOutcome) => void): Assignment {
    const deadline = Date.now() + timeoutMs * (1 + MAX_QUEUED_PER_THREAD) + this.opts.graceMs;
    const a: Assignment = { job, control, workerId, holder, timeoutMs, started: false, deadline, resolve };
    this.byTask.set(job.taskId, a);
    let set = this.byHolder.get(holder);
    if (set === undefined) this.byHolder.set(holder, (set = new Set()));
    set.add(a);
    if (this.timer === null) this.timer = setInterval(() => this.sweep(), this.sweepMs);
    return a;
  }

  /** The assignment of a task, if it is out. */
  get(taskId: string): Assignment | undefined {
    return this.byTask.get(taskId);
  }

  /** The assignment of `taskId` from queue entry `streamId`, when it was sent to worker `workerId`; else null. */
  heldBy(workerId: string, taskId: string, streamId: string): Assignment | null {
    const a = this.byTask.get(taskId);
    return a !== undefined && a.workerId === workerId && a.job.streamId === streamId ? a : null;
  }

  /** Worker `workerId` says these tasks started; ids not out on it are ignored (answered or lost meanwhile). */
  startedBy(workerId: string, taskIds: readonly string[]): void {
    for (const id of taskIds) {
      const a = this.byTask.get(id);
      if (a !== undefined && a.workerId === workerId) this.start(a);
    }
  }

  /** How many tasks `holder` has. */
  countOf(holder: string): number {
    return this.byHolder.get(holder)?.size ?? 0;
  }

  /** A thread started `a`: tell the core (once) and move its deadline to the timeout plus grace from now. */
  start(a: Assignment): void {
    if (a.started) return;
    a.started = true;
    a.deadline = Date.now() + a.timeoutMs + this.opts.graceMs;
    a.control.started();
  }

  /** Remove an assignment and resolve its run with `outcome`; false when it was not (or no longer) out. */
  settle(a: Assignment, outcome: JobOutcome): boolean {
    if (!this.remove(a)) return false;
    a.resolve(outcome);
    return true;
  }

  /** Remove and return every task of `holder`, started ones first (its executor was lost). */
  takeHolder(holder: string): Assignment[] {
    const set = this.byHolder.get(holder);
    if (set === undefined) return [];
    const all = [...set].sort((x, y) => Number(y.started) - Number(x.started));
    for (const a of all) this.remove(a);
    return all;
  }

  /** Remove and return every assignment (closing). */
  takeAll(): Assignment[] {
    const all = [...this.byTask.values()];
    for (const a of all) this.remove(a);
    return all;
  }

  private remove(a: Assignment): boolean {
    if (this.byTask.get(a.job.taskId) !== a) return false;
    this.byTask.delete(a.job.taskId);
    const set = this.byHolder.get(a.holder);
    set?.delete(a);
    if (set?.size === 0) this.byHolder.delete(a.holder);
    if (this.byTask.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    return true;
  }

  private sweep(): void {
    const now = Date.now();
    const late: Assignment[] = [];
    for (const a of this.byTask.values()) if (a.deadline <= now) late.push(a);
    for (const a of late) {
      if (this.remove(a)) this.opts.expired(a);
    }
  }
}

/** The FAILED outcome of a task whose deadline passed (a TimeoutError naming the worker and the rule). */
export function deadlineFailure(a: Assignment, mode: string, graceMs: number): JobOutcome {
  const msg = a.started
    ? `no result from worker ${a.workerId} within the task's ${a.timeoutMs} ms timeout + ${graceMs} ms grace after it started`
    : `no result from worker ${a.workerId} within ${1 + MAX_QUEUED_PER_THREAD} × the task's ${a.timeoutMs} ms timeout ` +
      `(it may wait behind a running task there) + ${graceMs} ms grace`;
  if (isPythonCode(a.job.code)) return { status: "FAILED", result: pythonTaskFailure("TimeoutError", msg), executor: `${mode}/${a.workerId}` };
  const err = new Error(msg);
  err.name = "TimeoutError";
  return { status: "FAILED", result: encodeError(err, { stackFilter: () => false }), executor: `${mode}/${a.workerId}` };
}
