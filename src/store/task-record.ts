/** Turning a task's Redis hash into a TaskRecord. */
import type { TaskRecord, TaskStatus } from "./types.ts";

const STATUSES = new Set<string>(["QUEUED", "RUNNING", "COMPLETED", "FAILED"]);

/** Parse the fields of `faas:task:{id}`; null when the hash is empty (unknown or expired task). */
export function toTaskRecord(id: string, h: Record<string, string>): TaskRecord | null {
  const status = h.status;
  if (status === undefined || !STATUSES.has(status)) return null;
  return {
    id,
    functionId: h.fn ?? "",
    args: h.args ?? "[]",
    status: status as TaskStatus,
    result: h.result ?? null,
    attempts: Number(h.attempts ?? 0),
    executor: h.executor || null,
    createdAt: Number(h.created ?? 0),
    startedAt: h.started ? Number(h.started) : null,
    finishedAt: h.finished ? Number(h.finished) : null,
    timeoutMs: h.timeout ? Number(h.timeout) : null,
  };
}
