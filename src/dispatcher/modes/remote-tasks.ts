/** The tasks a remote mode has sent to workers: which worker and holder each went to, whether it started, its deadline, its caller's promise. */
import { encodeError } from "../../codec/index.ts";
import { isPythonCode } from "../../codec/python-payload.ts";
import { pythonTaskFailure } from "../../workers/task-failure.ts";
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
  /** Epoch ms it was sent, or started once it has: where its deadline counts from (see {@link RemoteTasks}). */
  since: number;
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
 *
 * A started task must answer within its timeout plus grace from its start. A task not started yet waits on its
 * worker behind others (as many as the worker holds), so its rule is progress: a worker that holds a task it has
 * not started has every thread busy, and each of those tasks ends within its timeout; when the worker reported no
 * start and no result for the longest timeout of its tasks plus grace (counted from the task's sending when that is
 * later), it lost the task.
 */
export class RemoteTasks {
  private readonly byTask = new Map<string, Assignment>();
  /** Epoch ms each worker last reported a start or a result, while it has tasks out. */
  private readonly progress = new Map<string, number>();
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
    const a: Assignment = { job, control, workerId, holder, timeoutMs, started: false, since: Date.now(), resolve };
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

  /** A thread started `a` (or it answered): its worker made progress; tell the core (once); its deadline counts from now. */
  start(a: Assignment): void {
    const now = Date.now();
    this.progress.set(a.workerId, now);
    if (a.started) return;
    a.started = true;
    a.since = now;
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
    if (this.byTask.size === 0) {
      this.progress.clear();
      if (this.timer !== null) clearInterval(this.timer);
      this.timer = null;
    }
    return true;
  }

  private sweep(): void {
    const now = Date.now();
    /** The longest timeout of each worker's tasks. */
    const longest = new Map<string, number>();
    for (const a of this.byTask.values()) {
      if (a.timeoutMs > (longest.get(a.workerId) ?? -1)) longest.set(a.workerId, a.timeoutMs);
    }
    for (const id of this.progress.keys()) if (!longest.has(id)) this.progress.delete(id);
    const late: Assignment[] = [];
    for (const a of this.byTask.values()) {
      const deadline = a.started ? a.since + a.timeoutMs : Math.max(a.since, this.progress.get(a.workerId) ?? 0) + longest.get(a.workerId)!;
      if (deadline + this.opts.graceMs <= now) late.push(a);
    }
    for (const a of late) {
      if (this.remove(a)) this.opts.expired(a);
    }
  }
}

/** The FAILED outcome of a task whose deadline passed (a TimeoutError naming the worker and the rule). */
export function deadlineFailure(a: Assignment, mode: string, graceMs: number): JobOutcome {
  const msg = a.started
    ? `no result from worker ${a.workerId} within the task's ${a.timeoutMs} ms timeout + ${graceMs} ms grace after it started`
    : `no result from worker ${a.workerId}: it held the task without starting it and reported no start or result for ` +
      `the longest timeout of its tasks + ${graceMs} ms grace`;
  if (isPythonCode(a.job.code)) return { status: "FAILED", result: pythonTaskFailure("TimeoutError", msg), executor: `${mode}/${a.workerId}` };
  const err = new Error(msg);
  err.name = "TimeoutError";
  return { status: "FAILED", result: encodeError(err, { stackFilter: () => false }), executor: `${mode}/${a.workerId}` };
}
