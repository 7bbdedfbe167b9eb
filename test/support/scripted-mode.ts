/** A DispatchMode whose executors the test drives by hand: start, finish or lose each job when it says. */
import type { DispatchJob, DispatchMode, JobOutcome, RunControl } from "../../src/dispatcher/dispatch-mode.ts";

/** A job the scripted mode holds. */
export interface HeldJob {
  job: DispatchJob;
  control: RunControl;
  started: boolean;
  resolve(outcome: JobOutcome): void;
}

/** Holds every job it is given, in placement order (`first` jobs ahead of unstarted ones). */
export class ScriptedMode implements DispatchMode {
  readonly name = "scripted";
  readonly held: HeldJob[] = [];
  /** Task ids `cancel` was called with, in order. */
  readonly cancelled: string[] = [];
  private listeners: (() => void)[] = [];
  private stopping = false;

  constructor(public limit = 8) {}

  capacity(): number {
    return this.stopping ? 0 : this.limit;
  }

  onCapacity(listener: () => void): void {
    this.listeners.push(listener);
  }

  run(job: DispatchJob, control: RunControl): Promise<JobOutcome> {
    if (this.stopping) return Promise.resolve({ status: "LOST", reason: "stopping" });
    return new Promise((resolve) => {
      const h: HeldJob = { job, control, started: false, resolve };
      if (control.first) {
        const i = this.held.findIndex((x) => !x.started);
        this.held.splice(i < 0 ? this.held.length : i, 0, h);
      } else this.held.push(h);
    });
  }

  /** Records the cancel; a held job settles FAILED as a mode's would after stopping its executor. */
  cancel(taskId: string): void {
    this.cancelled.push(taskId);
    const h = this.held.find((x) => x.job.taskId === taskId);
    if (h !== undefined) this.settle(h, { status: "FAILED", result: "cancelled", executor: "scripted" });
  }

  stopStarting(): void {
    this.stopping = true;
    for (const h of this.held.filter((x) => !x.started)) this.settle(h, { status: "LOST", reason: "stopping" });
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const h of [...this.held]) this.settle(h, { status: "LOST", reason: "closed" });
  }

  /** Task ids held, in order. */
  ids(): string[] {
    return this.held.map((h) => h.job.taskId);
  }

  /** The held job of a task. */
  get(taskId: string): HeldJob {
    const h = this.held.find((x) => x.job.taskId === taskId);
    if (h === undefined) throw new Error(`task ${taskId} is not held`);
    return h;
  }

  /** An executor starts the job. */
  start(taskId: string): void {
    const h = this.get(taskId);
    h.started = true;
    h.control.started();
  }

  /** The job ends with `outcome`. */
  end(taskId: string, outcome: JobOutcome): void {
    this.settle(this.get(taskId), outcome);
  }

  /** Tell the core capacity grew. */
  grow(by: number): void {
    this.limit += by;
    for (const l of this.listeners) l();
  }

  private settle(h: HeldJob, outcome: JobOutcome): void {
    const i = this.held.indexOf(h);
    if (i >= 0) this.held.splice(i, 1);
    h.resolve(outcome);
  }
}
