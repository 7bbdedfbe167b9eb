/** Shapes of what the store keeps: functions, tasks and their state machine. */

/** A task's state. QUEUED → RUNNING → COMPLETED | FAILED; RUNNING may go back to QUEUED on an infrastructure fault. */
export type TaskStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED";

/** Final states: once written, a task never leaves them. */
export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(["COMPLETED", "FAILED"]);

/** A registered function. `source` is what the user sent; `code` is the JavaScript the workers evaluate. */
export interface FunctionRecord {
  id: string;
  name: string;
  source: string;
  code: string;
  createdAt: number;
}

/** A task as stored. Times are epoch milliseconds; `result` is codec text (value or encoded error) once final. */
export interface TaskRecord {
  id: string;
  functionId: string;
  args: string;
  status: TaskStatus;
  result: string | null;
  attempts: number;
  executor: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Per-task timeout override in milliseconds, if the caller gave one. */
  timeoutMs: number | null;
}

/** What the API shows of a task: its status and, once it is final, its result (codec text; null before). */
export interface TaskState {
  status: TaskStatus;
  result: string | null;
}

/** What the API needs from the store. */
export interface ApiStore {
  /** Store a function; returns its new id (uuid). */
  registerFunction(fn: { name: string; source: string; code: string }): Promise<string>;
  /**
   * Atomically create a QUEUED task and enqueue it. Returns the task id (uuid). With `idempotencyKey`, a key that
   * already named a task (within its TTL) returns that task's id and creates nothing.
   */
  createTask(task: { functionId: string; args: string; timeoutMs?: number; idempotencyKey?: string }): Promise<string>;
  /** The task's status (one field read), or null when unknown or expired. */
  getTaskStatus(id: string): Promise<TaskStatus | null>;
  /** The task's status and result (two fields read), or null when unknown or expired. */
  getTaskState(id: string): Promise<TaskState | null>;
  /** Resolves with the task's state once it is final, or with its current state after `timeoutMs`. Null if unknown. */
  waitForTaskState(id: string, timeoutMs: number): Promise<TaskState | null>;
  /** Round trip to Redis; throws when it is unreachable. */
  ping(): Promise<void>;
}
