/** The strategy seam of the dispatcher: a mode (local, pull, push) runs jobs; the core feeds it from the queue. */
import type { LogBatch } from "../workers/task-log.ts";

/** A task ready to run: everything an executor needs, function code included. */
export interface DispatchJob {
  /** The queue entry this run came from. */
  streamId: string;
  taskId: string;
  functionId: string;
  /** JavaScript source of the function expression. */
  code: string;
  /** Arguments payload (codec text of an array). */
  args: string;
  /** Per-task timeout override in ms, or null for the mode's default. */
  timeoutMs: number | null;
  /** Which start this will be if an executor starts it (1 for the first). */
  attempts: number;
  /** Memory limit in MB for this task's executor process (process isolation), or null/absent for the default. */
  memoryMb?: number | null;
  /** Most log lines its executor keeps (`--task-log-lines`; remote workers apply their own). Default: 1000. */
  maxLogLines?: number;
}

/** How the core hands a job to a mode: what it wants to hear back besides the outcome. */
export interface RunControl {
  /**
   * Call once, at the moment an executor really starts the job (not when it is buffered, prefetched or posted
   * behind a running task). Until then the task stays QUEUED and no attempt is charged for it.
   */
  started(): void;
  /** Place this job before every job the mode holds that has not started (a task whose executor was lost). */
  first?: boolean;
  /**
   * Call with each batch of lines the job wrote (`console.*`, `process.stdout|stderr`), as they come: while it runs
   * (local executors stream them), or with its result (remote workers). Default: none.
   */
  logs?(batch: LogBatch): void;
}

/**
 * How a job ended. COMPLETED/FAILED are final (FAILED includes user errors and timeouts);
 * LOST means it did not finish and should run again: the executor vanished after `started()`, or the mode
 * gave the job back before any executor started it (the core tells the two apart by whether `started()` came).
 */
export type JobOutcome =
  | { status: "COMPLETED" | "FAILED"; result: string; executor: string }
  | { status: "LOST"; reason: string };

/** One worker of a mode as the metrics and the dashboard show it: its task slots and how many of them are taken. */
export interface WorkerLoad {
  /** The worker's id (remote modes), or the mode's name for the local pool. */
  id: string;
  /** Task slots (threads, lanes or registered capacity). */
  slots: number;
  /** Slots running or holding a task now. */
  busy: number;
  /** The runtimes its executors have (`js`, `python`). Default: `js` only. */
  runtimes?: string[];
}

/** A dispatch mode. The core never gives it more jobs than `capacity()` allows. */
export interface DispatchMode {
  /** Short name used in executor labels and logs ("local", "pull", "push"). */
  readonly name: string;
  /** How many jobs the mode can hold at once right now (running plus a small prefetch). */
  capacity(): number;
  /** Register a listener called whenever capacity may have grown (e.g. a worker joined). */
  onCapacity(listener: () => void): void;
  /** The workers connected now (local: its own pool, one worker), published with the dispatcher's heartbeat. */
  workerLoads?(): WorkerLoad[];
  /** Tasks of Python functions the mode holds and has not started (they wait for an executor with Python). Default: 0. */
  pythonWaiting?(): number;
  /** Run one job; resolves with its outcome, never rejects. */
  run(job: DispatchJob, control: RunControl): Promise<JobOutcome>;
  /**
   * The task was cancelled (it is final `CANCELLED` in the store): if the mode holds its job, stop it — unstarted,
   * it never runs; running, its executor is stopped within a second (a thread terminated and replaced, an executor
   * process killed with its process group, a remote worker told to do the same) and the run settles soon after
   * (its outcome is refused by the store: a final task never changes). Other jobs are not touched. Unknown ids: nothing.
   */
  cancel(taskId: string): void;
  /**
   * Graceful stop, first step: start nothing new from now on, and settle every held job that no executor has
   * started as LOST at once (the core hands those back to the queue uncharged). Jobs already started go on.
   */
  stopStarting(): void;
  /** Stop; pending runs settle (LOST for work that did not finish). */
  close(): Promise<void>;
}
