/** Turning a task's Redis hash (all of it, or its status and result) into a TaskRecord or a TaskState. */
import { TASK_STATUSES, type TaskRecord, type TaskState, type TaskStatus } from "./types.ts";

const STATUSES = new Set<string>(TASK_STATUSES);

/** True when `s` is one of the task statuses. */
export function isTaskStatus(s: unknown): s is TaskStatus {
  return typeof s === "string" && STATUSES.has(s);
}

/** The state from a task's `status` and `result` fields; null when the status is missing (unknown or expired task). */
export function toTaskState(status: string | null | undefined, result: string | null | undefined): TaskState | null {
  if (!isTaskStatus(status)) return null;
  return { status, result: result ?? null };
}

/** Parse the fields of `faas:task:{id}`; null when the hash is empty (unknown or expired task). */
export function toTaskRecord(id: string, h: Record<string, string>): TaskRecord | null {
  const status = h.status;
  if (!isTaskStatus(status)) return null;
  return {
    id,
    functionId: h.fn ?? "",
    args: h.args ?? "[]",
    status,
    result: h.result ?? null,
    attempts: Number(h.attempts ?? 0),
    executor: h.executor || null,
    createdAt: Number(h.created ?? 0),
    startedAt: h.started ? Number(h.started) : null,
    finishedAt: h.finished ? Number(h.finished) : null,
    timeoutMs: h.timeout ? Number(h.timeout) : null,
  };
}
