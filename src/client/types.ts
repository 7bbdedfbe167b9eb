/** Shapes of the bunfaas REST API answers, as the client returns them. */

/** A task's state: QUEUED → RUNNING → COMPLETED | FAILED. */
export type TaskStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED";

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
}

/** Options of `execute`. */
export interface ExecuteOptions {
  /** Per-call task timeout override, in seconds (0 < t ≤ 86400). Default: the executor's timeout. */
  timeoutSeconds?: number;
}

/** Options of `result`. */
export interface ResultOptions {
  /** Long-poll: answer as soon as the task ends or after this many seconds (clamped to 60 by the API). Default: no wait. */
  wait?: number;
}
