/** WaitingJobs: the jobs a remote mode accepted and has not sent yet, `control.first` ones ahead, tasks lost after they started at the very front. */
import { Fifo } from "../../workers/fifo.ts";
import type { DispatchJob, JobOutcome, RunControl } from "../dispatch-mode.ts";

/** A job the mode accepted and has not sent to a worker yet (it has not started: it costs no attempt). */
export interface PendingJob {
  job: DispatchJob;
  control: RunControl;
  resolve(outcome: JobOutcome): void;
}

/** Most ids of lost started tasks remembered for a core that never re-runs them. */
const MAX_LOST_STARTED = 10_000;

/**
 * Two FIFOs: jobs with `control.first` (in arrival order, except that tasks this mode lost after they started go to
 * its front, so a rescued task is the next one sent) and the backlog.
 */
export class WaitingJobs {
  private readonly first = new Fifo<PendingJob>();
  private readonly pending = new Fifo<PendingJob>();
  /** Tasks lost after they started, until the core runs them again. */
  private readonly lostStarted = new Set<string>();

  /** Jobs waiting. */
  get length(): number {
    return this.first.length + this.pending.length;
  }

  /** Queue a job the core asks to run. */
  add(p: PendingJob): void {
    if (!p.control.first) this.pending.push(p);
    else if (this.lostStarted.delete(p.job.taskId)) this.first.unshift(p);
    else this.first.push(p);
  }

  /**
   * The next job to send, first ones before the backlog; with `accept`, the first job it accepts (the others keep
   * their places: a Python task waits for a worker with Python while JavaScript ones go past it).
   */
  shift(accept?: (job: DispatchJob) => boolean): PendingJob | undefined {
    if (accept === undefined) return this.first.shift() ?? this.pending.shift();
    for (const fifo of [this.first, this.pending]) {
      if (fifo.length === 0) continue;
      const all = fifo.drain();
      const at = all.findIndex((p) => accept(p.job));
      const found = at < 0 ? undefined : all.splice(at, 1)[0];
      for (const p of all) fifo.push(p);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** How many waiting jobs `match` accepts. */
  count(match: (job: DispatchJob) => boolean): number {
    let n = 0;
    for (const fifo of [this.first, this.pending]) for (const p of fifo) if (match(p.job)) n++;
    return n;
  }

  /** Task `taskId` was lost after it started: when the core runs it again, it goes to the very front. */
  lostAfterStart(taskId: string): void {
    if (this.lostStarted.size >= MAX_LOST_STARTED) this.lostStarted.clear();
    this.lostStarted.add(taskId);
  }

  /** Take the waiting job of task `taskId` out (it was cancelled), if one waits. */
  remove(taskId: string): PendingJob | undefined {
    for (const fifo of [this.first, this.pending]) {
      const all = fifo.drain();
      let found: PendingJob | undefined;
      for (const p of all) {
        if (found === undefined && p.job.taskId === taskId) found = p;
        else fifo.push(p);
      }
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Take every waiting job (stopping). */
  drain(): PendingJob[] {
    this.lostStarted.clear();
    return [...this.first.drain(), ...this.pending.drain()];
  }
}
