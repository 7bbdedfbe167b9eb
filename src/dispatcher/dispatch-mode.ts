/** The strategy seam of the dispatcher: a mode (local, pull, push) runs jobs; the core feeds it from the queue. */

/** A task ready to run: everything an executor needs, function code included. */
export interface DispatchJob {
  /** The queue entry this start came from (echoed by remote workers so a late result can still be written). */
  streamId: string;
  taskId: string;
  functionId: string;
  /** JavaScript source of the function expression. */
  code: string;
  /** Arguments payload (codec text of an array). */
  args: string;
  /** Per-task timeout override in ms, or null for the mode's default. */
  timeoutMs: number | null;
  /** Which start this is (1 for the first). */
  attempts: number;
}

/**
 * How a job ended. COMPLETED/FAILED are final (FAILED includes user errors and timeouts);
 * LOST means the executor vanished (a worker died) and the task should be queued again.
 */
export type JobOutcome =
  | { status: "COMPLETED" | "FAILED"; result: string; executor: string }
  | { status: "LOST"; reason: string };

/**
 * A final result the mode does not hold a run for: it arrived after its worker was declared lost, after the
 * task's dispatcher-side deadline, or after a dispatcher restart. The core writes it like any outcome: the
 * store writes a task's final state once and never flips it.
 */
export interface LateResult {
  streamId: string;
  taskId: string;
  status: "COMPLETED" | "FAILED";
  result: string;
  executor: string;
}

/** A dispatch mode. The core never gives it more jobs than `capacity()` allows. */
export interface DispatchMode {
  /** Short name used in executor labels and logs ("local", "pull", "push"). */
  readonly name: string;
  /** How many jobs the mode can hold at once right now (running plus a small prefetch). */
  capacity(): number;
  /** Register a listener called whenever capacity may have grown (e.g. a worker joined). */
  onCapacity(listener: () => void): void;
  /** Optional: register the listener the mode hands late results to (remote modes). */
  onLateResult?(listener: (result: LateResult) => void): void;
  /** Run one job; resolves with its outcome, never rejects. */
  run(job: DispatchJob): Promise<JobOutcome>;
  /** Stop; pending runs settle (LOST for work that did not finish). */
  close(): Promise<void>;
}
