/** The tasks a remote mode has handed to workers: who holds each one, its deadline, and its caller's promise. */
import { MAX_QUEUED_PER_THREAD } from "../../protocol/index.ts";
import type { DispatchJob, JobOutcome } from "../dispatch-mode.ts";

/** One task on a remote worker. */
export interface Assignment {
  job: DispatchJob;
  /** The connection (ROUTER routing id, latin1) the task was sent on. */
  owner: string;
  /** The worker process behind that connection. */
  workerId: string;
  /** Effective timeout sent to the worker, in ms. */
  timeoutMs: number;
  /**
   * Epoch ms after which the dispatcher gives up waiting for the result: the timeout once for each task the
   * worker may run on that thread first (it may hold MAX_QUEUED_PER_THREAD behind a running one), plus grace.
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
 * Assignments by task id and by owner. Deadlines are checked by one sweeping timer that runs only
 * while tasks are out (an idle dispatcher has no timers), never one timer per task.
 */
export class RemoteTasks {
  private readonly byTask = new Map<string, Assignment>();
  private readonly byOwner = new Map<string, Set<Assignment>>();
  private timer: Timer | null = null;
  private readonly sweepMs: number;

  constructor(private readonly opts: RemoteTasksOptions) {
    this.sweepMs = opts.sweepMs ?? 500;
  }

  /** Tasks out on workers. */
  get size(): number {
    return this.byTask.size;
  }

  /** Record that `job` was sent on connection `owner`. */
  add(job: DispatchJob, owner: string, workerId: string, timeoutMs: number, resolve: (o: JobOutcome) => void): Assignment {
    const a: Assignment = { job, owner, workerId, timeoutMs, deadline: Date.now() + timeoutMs * (1 + MAX_QUEUED_PER_THREAD) + this.opts.graceMs, resolve };
    this.byTask.set(job.taskId, a);
    let set = this.byOwner.get(owner);
    if (set === undefined) this.byOwner.set(owner, (set = new Set()));
    set.add(a);
    if (this.timer === null) this.timer = setInterval(() => this.sweep(), this.sweepMs);
    return a;
  }

  /** The assignment of a task, if it is out. */
  get(taskId: string): Assignment | undefined {
    return this.byTask.get(taskId);
  }

  /** How many tasks connection `owner` holds. */
  countOf(owner: string): number {
    return this.byOwner.get(owner)?.size ?? 0;
  }

  /** Remove an assignment and resolve its run with `outcome`. */
  settle(a: Assignment, outcome: JobOutcome): void {
    if (!this.remove(a)) return;
    a.resolve(outcome);
  }

  /** Remove and return every task of connection `owner` (its worker was lost). */
  takeOwner(owner: string): Assignment[] {
    const set = this.byOwner.get(owner);
    if (set === undefined) return [];
    const all = [...set];
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
    const set = this.byOwner.get(a.owner);
    set?.delete(a);
    if (set?.size === 0) this.byOwner.delete(a.owner);
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
