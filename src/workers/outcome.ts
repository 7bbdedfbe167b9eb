/** The shapes a task takes on its way through an executor: the job in, the outcome out. */

/** Final status of one execution. */
export type OutcomeStatus = "COMPLETED" | "FAILED";

/**
 * What running a job produced. `result` is codec text: the encoded return value when
 * COMPLETED, the encoded error (see `encodeError`) when FAILED.
 */
export interface Outcome {
  status: OutcomeStatus;
  result: string;
}

/** One execution request for an executor. */
export interface Job {
  /** Id of the function; compiled code is cached under it (ids are never reused for other code). */
  functionId: string;
  /** The function's JavaScript: one function expression, e.g. `(x) => x * 2`. Only read on a cache miss. */
  code: string;
  /** The arguments payload: codec text of an array. */
  args: string;
}

/** A job handed to a `ThreadPool`. */
export interface PoolJob extends Job {
  /** The task this execution belongs to (for logs). */
  taskId: string;
  /** Per-task timeout in ms, counted from the moment a thread starts the job. Default: the pool's `taskTimeoutMs`. */
  timeoutMs?: number;
  /** Memory limit in MB for this task's executor process (process isolation only). Default: the pool's `memoryMb`. */
  memoryMb?: number;
  /** Most log lines the executor keeps for this task (see `task-log.ts`). Default: 1000. */
  maxLogLines?: number;
}

/** A pool outcome, naming the thread that ran the job, e.g. `local/thread-3`. */
export interface PoolOutcome extends Outcome {
  executor: string;
}
