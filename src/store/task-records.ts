/** Reading task records for their owners: one task with its tenant checked in the same read, and pages of a tenant's tasks by status or function. */
import type Redis from "ioredis";
import type { Keys } from "./keys.ts";
import { listIndex, type PageQuery } from "./list-index.ts";
import { isTaskStatus, toTaskRecord } from "./task-record.ts";
import type { Access, TaskInfo, TaskStatus } from "./types.ts";

/** A page query of `GET /tasks`. */
export interface TaskListQuery extends PageQuery {
  status?: TaskStatus;
  functionId?: string;
}

/** The task `id` (every field but its arguments) in one read, or null when unknown, expired or not visible. */
export async function readTaskInfo(redis: Redis, keys: Keys, id: string, access: Access): Promise<TaskInfo | null> {
  const h = await redis.hgetall(keys.task(id));
  const record = toTaskRecord(id, h);
  const tenant = h.tenant || "default";
  if (record === null || !(access.admin || tenant === access.tenant)) return null;
  const { args: _args, ...info } = record;
  return { ...info, tenant };
}

/**
 * A page of the tasks `access` may see (its tenant's; every tenant's for an admin), newest first: from the
 * function's index when `functionId` is given (the status filtered as it is read), else from the status index,
 * else from the tenant's index of all its tasks. One script call (list-index.ts).
 */
export async function listTasks(redis: Redis, keys: Keys, q: TaskListQuery, access: Access): Promise<{ tasks: TaskInfo[]; nextCursor: string | null }> {
  const suffix = q.functionId ? `:fn:${q.functionId}:tasks` : q.status ? `:status:${q.status}` : ":tasks";
  const { rows, nextCursor } = await listIndex(redis, keys, {
    kind: "task", tenant: access.admin ? null : access.tenant, suffix, status: q.functionId ? q.status : undefined, limit: q.limit, cursor: q.cursor,
  });
  const tasks: TaskInfo[] = [];
  for (const [id, status, attempts, fn, executor, created, started, finished, timeout, result, tenant] of rows) {
    if (!isTaskStatus(status)) continue;
    tasks.push({
      id: id!, functionId: fn ?? "", status, result: result ?? null, attempts: Number(attempts ?? 0), executor: executor || null,
      createdAt: Number(created || 0), startedAt: started ? Number(started) : null, finishedAt: finished ? Number(finished) : null,
      timeoutMs: timeout ? Number(timeout) : null, tenant: tenant ?? "default",
    });
  }
  return { tasks, nextCursor };
}
