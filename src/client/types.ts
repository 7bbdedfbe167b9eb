/** Shapes of the bunfaas REST API answers, as the client returns them. */

import type { WaitOptions } from "./deadline.ts";

/** A task's state: QUEUED → RUNNING → COMPLETED | FAILED (or CANCELLED, when someone cancelled it). */
export type TaskStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

/** Answer of `GET /status/{task_id}`. */
export interface StatusResponse {
  task_id: string;
  status: TaskStatus;
}

/** Answer of `GET /result/{task_id}`: `result` is null until the task ends, then codec JSON text. */
export interface ResultResponse {
  task_id: string;
  status: TaskStatus;
  result: string | null;
}

/** Options of `new FaasClient(...)`. */
export interface FaasClientOptions {
  /** Base URL of the API, e.g. "http://127.0.0.1:8000" (a trailing slash is fine). */
  baseUrl: string;
  /** An API key (`faas keys create`), sent as `Authorization: Bearer <key>`. Default: none. */
  key?: string;
  /** The fetch to use. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Seconds each long-poll of `run` waits server-side (0 < s ≤ 60). Default: 30. */
  pollWaitSeconds?: number;
  /**
   * Default deadline of every call, in ms (a waiting call such as `run`, `wait`, `map` or `events` as a whole):
   * past it the call rejects with a FaasClientError "TIMEOUT". Default: 600000 (10 minutes).
   */
  timeoutMs?: number;
}

/** Options of `execute`. */
export interface ExecuteOptions extends WaitOptions {
  /** Per-call task timeout override, in seconds (0 < t ≤ 86400). Default: the executor's timeout. */
  timeoutSeconds?: number;
}

/** Options of `result`. */
export interface ResultOptions extends WaitOptions {
  /** Long-poll: answer as soon as the task ends or after this many seconds (clamped to 60 by the API). Default: no wait. */
  wait?: number;
}

/** Options of `results`. */
export interface ResultsOptions extends WaitOptions {
  /**
   * Wait until every task is final or this many seconds passed (longer than the API's 60 s: several requests).
   * Default: no wait (the states now).
   */
  wait?: number;
}

/** Options of `submitMany`. */
export interface SubmitOptions extends WaitOptions {
  /** Per-task timeout override, in seconds, for every task of the batch. Default: the executor's. */
  timeoutSeconds?: number;
  /** Makes the submit safe to retry: the same key within 24 h answers with the same batch. Default: none. */
  idempotencyKey?: string;
}

/** Answer of `submitMany` (`POST /execute_batch`): the batch id and one task id per argument list, in order. */
export interface Batch {
  batchId: string;
  taskIds: string[];
}

/** Options of `map`. */
export interface MapOptions extends WaitOptions {
  /** Batches in flight at once (each submitted, then collected). Default: 4. */
  concurrency?: number;
  /** Tasks per batch (at most 10000). Default: 1000. */
  batchSize?: number;
  /**
   * "throw" (default): `map` rejects with the decoded error of the first failed task it collects (the error the
   * function threw, as `run` does) and submits no further batch; tasks already submitted still run.
   * "collect": `map` resolves with one `Settled` per item, in order, like `Promise.allSettled`.
   */
  errors?: "throw" | "collect";
}

/** One item of `map(..., { errors: "collect" })`. */
export type Settled<T = unknown> = { status: "fulfilled"; value: T } | { status: "rejected"; reason: Error };

/** One event of `events(batchId)`: a task of the batch that finished (`result`: codec text, as in `/result`). */
export interface TaskEvent extends ResultResponse {
  /** The task's position in its batch. */
  index: number;
}

/** Options of `events`. */
export interface EventsOptions extends WaitOptions {
  /** Resume after this event id (a watermark: see the API's description of the stream). Default: from the start. */
  lastEventId?: string;
}

/** One function as `GET /functions` lists it. */
export interface FunctionInfo {
  function_id: string;
  name: string;
  /** ISO 8601. */
  created_at: string;
}

/** Answer of `GET /functions`: a page, newest first; `next_cursor` null on the last page. */
export interface FunctionList {
  functions: FunctionInfo[];
  next_cursor: string | null;
}

/** Answer of `GET /tasks/{id}`: a task's record (times ISO 8601, null until they happen; `result` as in `/result`). */
export interface TaskRecord {
  task_id: string;
  function_id: string;
  status: TaskStatus;
  attempts: number;
  executor: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  timeout_seconds: number | null;
  result: string | null;
}
