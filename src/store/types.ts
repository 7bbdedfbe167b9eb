/** Shapes of what the store keeps: functions, tasks and their state machine. */
import type { BatchRecord, BatchTask } from "./create-batch.ts";
import type { FinalTask, TaskWatch } from "./task-watch.ts";
import type { ClusterStats } from "./cluster-stats.ts";

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
  /** What runs it: `js` (JavaScript or TypeScript) or `python` (a dill pickle). Records without one are `js`. */
  runtime: FunctionRuntime;
}

/** The runtimes a function can be for. */
export type FunctionRuntime = "js" | "python";

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

/** Who is asking: the tenant of the caller's API key (no key: "default"), and whether the key is an admin's. */
export interface Access {
  tenant: string;
  /** An admin sees and runs every tenant's functions and tasks. */
  admin: boolean;
}

/** The tenant of requests without a key (and of everything stored before tenants existed). */
export const DEFAULT_TENANT = "default";

/** The access of a request without a key. */
export const DEFAULT_ACCESS: Access = Object.freeze({ tenant: DEFAULT_TENANT, admin: false });

/** An API key as stored (never the key itself: only its SHA-256). Times are epoch ms. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  tenant: string;
  admin: boolean;
  createdAt: number;
  /** When it was last used, to within a few seconds; null when never. */
  lastUsedAt: number | null;
}

/** What the API needs from the store. Reads with an `access` answer null for another tenant's task (unless admin). */
export interface ApiStore {
  /** Store a function of `access.tenant`; returns its new id (uuid). QUOTA_EXCEEDED past the tenant's function limit. */
  registerFunction(fn: { name: string; source: string; code: string; runtime?: FunctionRuntime }, access?: Access): Promise<string>;
  /**
   * Atomically create a QUEUED task of `access.tenant` and enqueue it. Returns the task id (uuid). With
   * `idempotencyKey`, a key that already named a task of the tenant (within its TTL) returns that task's id and
   * creates nothing. FUNCTION_NOT_FOUND for another tenant's function (unless admin); QUOTA_EXCEEDED when the
   * tenant has its limit of unfinished tasks.
   */
  createTask(task: { functionId: string; args: string; timeoutMs?: number; idempotencyKey?: string }, access?: Access): Promise<string>;
  /** The task's status (its status and tenant fields read), or null when unknown, expired or not visible. */
  getTaskStatus(id: string, access?: Access): Promise<TaskStatus | null>;
  /** The task's status and result (three fields read), or null when unknown, expired or not visible. */
  getTaskState(id: string, access?: Access): Promise<TaskState | null>;
  /** Resolves with the task's state once it is final, or with its current state after `timeoutMs`. Null if unknown. */
  waitForTaskState(id: string, timeoutMs: number, access?: Access): Promise<TaskState | null>;
  /**
   * Create a batch of QUEUED tasks of `access.tenant`, all or none, in one round trip; the batch id and the task ids
   * in order. FUNCTION_NOT_FOUND names the first task (`tasks[i]`) of an unknown or foreign function; QUOTA_EXCEEDED
   * when the whole batch does not fit under the tenant's limit. With `idempotencyKey`, as for createTask.
   */
  createBatch(tasks: BatchTask[], opts: { idempotencyKey?: string }, access?: Access): Promise<{ batchId: string; taskIds: string[] }>;
  /** A batch's record, or null when unknown, expired or not visible. */
  getBatch(id: string, access?: Access): Promise<BatchRecord | null>;
  /** The states of many tasks, in order, in one round trip; null for unknown, expired or not visible ones. */
  getTaskStates(ids: readonly string[], access?: Access): Promise<(TaskState | null)[]>;
  /** Watch tasks until final; finishes reach `onFinal` in batches (see task-watch.ts). Close the watch when done. */
  watchTasks(ids: readonly string[], access: Access, onFinal: (finals: FinalTask[]) => void): Promise<TaskWatch>;
  /** The API key whose SHA-256 (hex) this is, or null; marks it used when its last mark is older than a few seconds. */
  findApiKey(sha256: string): Promise<ApiKeyRecord | null>;
  /** Every API key (admin route). */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revoke the key with this id; false when there is none (admin route). */
  revokeApiKey(id: string): Promise<boolean>;
  /** Round trip to Redis; throws when it is unreachable. */
  ping(): Promise<void>;
  /** The cluster-wide figures (task totals, queued and running tasks, live dispatchers), the same from any API process. */
  clusterStats(): Promise<ClusterStats>;
}
