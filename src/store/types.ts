/** Shapes of what the store keeps: functions, tasks and their state machine. */
import type { LogBatch } from "../codec/task-log-text.ts";
import type { BatchRecord, BatchTask } from "./create-batch.ts";
import type { FinalTask, TaskWatch } from "./task-watch.ts";
import type { CancelOutcome } from "./cancel-task.ts";
import type { ClusterStats } from "./cluster-stats.ts";

/**
 * A task's state. QUEUED → RUNNING → COMPLETED | FAILED; RUNNING may go back to QUEUED on an infrastructure fault;
 * QUEUED or RUNNING → CANCELLED when someone cancels it (`POST /tasks/{id}/cancel`).
 */
export type TaskStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

/** Every task status, in the order of the state machine. */
export const TASK_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const satisfies readonly TaskStatus[];

/** Final states: once written, a task never leaves them. */
export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

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

/** The result a cancelled task keeps, per runtime of its function (a Python client loads only a pickle). */
export interface CancelResults {
  /** For JavaScript functions (and records without a runtime): the encoded CancelledError. */
  js: string;
  /** For Python functions: the pickle of a built-in exception (base64). */
  python: string;
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

/** A task as its owner reads it (`GET /tasks/{id}`, `GET /tasks`): the record without its arguments, with its tenant. */
export type TaskInfo = Omit<TaskRecord, "args"> & { tenant: string };

/** A function as a listing shows it (no source, no code). */
export interface FunctionInfo {
  id: string;
  name: string;
  createdAt: number;
  tenant: string;
}

/** A page of a listing: its rows, and the cursor of the next page (null: this was the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
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
  /**
   * Store a function of `access.tenant`; returns its new id (uuid), or the id of the tenant's function with the same
   * name and source (registered once). QUOTA_EXCEEDED past the tenant's function limit.
   */
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
  /** The task's record (its arguments aside), its tenant checked in the same read; null when unknown, expired or not visible. */
  getTaskInfo(id: string, access?: Access): Promise<TaskInfo | null>;
  /**
   * What the task wrote (`console.*`, `process.stdout|stderr`), as its dispatcher stored it with its outcome (or a
   * requeue); no lines until then. The task's tenant checked in the same round trip; null when unknown, expired or
   * not visible.
   */
  getTaskLogs(id: string, access?: Access): Promise<TaskLogs | null>;
  /** A page of the tasks `access` sees (its tenant's; every tenant's for an admin), newest first, of the last result TTL. */
  listTasks(q: { status?: TaskStatus; functionId?: string; limit: number; cursor?: string }, access?: Access): Promise<Page<TaskInfo>>;
  /**
   * End a task that is not final CANCELLED with `result` (an encoded CancelledError), announce it as a finish and
   * on the cancel channel. Null when unknown, expired or not visible; `cancelled: false` with its status when final.
   */
  cancelTask(id: string, result: string | CancelResults, access?: Access): Promise<CancelOutcome>;
  /** A page of the functions `access` sees (its tenant's; every tenant's for an admin), newest first. */
  listFunctions(q: { limit: number; cursor?: string }, access?: Access): Promise<Page<FunctionInfo>>;
  /** The function with its source, or null when unknown or not visible. */
  getFunctionRecord(id: string, access?: Access): Promise<FunctionRecord | null>;
  /** Delete the function; false when unknown or not visible. Its queued tasks end FAILED when a dispatcher reaches them. */
  deleteFunction(id: string, access?: Access): Promise<boolean>;
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

/** A task's log: its lines in the order written (`ts`: epoch ms) and whether some were dropped over the cap. */
export type TaskLogs = LogBatch;
