/** The create step of a batch: one CREATE_TASKS script call for all its tasks (all or none), and reading a batch back. */
import type Redis from "ioredis";
import { FaasError } from "../faas-error.ts";
import { CREATE_DEADLINE_SHARE, type CreateContext } from "./create-task.ts";
import type { Keys } from "./keys.ts";
import type { RedisClock } from "./redis-clock.ts";
import { withinDeadline } from "./reply-deadline.ts";
import { CREATE_TASKS } from "./scripts.ts";

/** One task of a batch, as the API validated it. */
export interface BatchTask {
  functionId: string;
  args: string;
  timeoutMs?: number;
}

/** What one batch create sends. */
export interface CreateBatchCall extends CreateContext {
  /** The batch id, chosen by the caller. */
  id: string;
  /** The new tasks' ids, one per task, in order. */
  taskIds: string[];
  tasks: BatchTask[];
  /** How long the batch record is kept, in ms. */
  batchTtlMs: number;
}

type Reply = [number, (string | number)?];

interface ScriptCommands {
  faasCreateTasks(numKeys: number, ...args: string[]): Promise<Reply>;
}

/** Register the script on a connection (once per connection). */
export function defineCreateTasks(redis: Redis): void {
  redis.defineCommand("faasCreateTasks", { lua: CREATE_TASKS });
}

/** The batch's idempotency key: apart from the single-task ones, so a key never names a task and a batch. */
export function batchIdempotencyKey(keys: Keys, key: string, tenant: string): string {
  return keys.idempotency(`batch\n${key}`, tenant);
}

/**
 * Send the create. Resolves with the batch id (this one, or the earlier one its idempotency key names), or rejects
 * with FUNCTION_NOT_FOUND naming the first task of an unknown function, QUOTA_EXCEEDED, or STORE_UNAVAILABLE.
 */
export async function sendCreateBatch(redis: Redis, keys: Keys, clock: RedisClock, call: CreateBatchCall, late: (created: boolean) => void): Promise<string> {
  if (clock.stale()) clock.sample().catch(() => {});
  const deadline = Math.floor(clock.now() + call.replyTimeoutMs * CREATE_DEADLINE_SHARE);
  const tenant = call.tenant ?? "default";
  const fnIds: string[] = [];
  const fnNumber = new Map<string, number>();
  const perTask: string[] = [];
  for (let i = 0; i < call.tasks.length; i++) {
    const t = call.tasks[i]!;
    let j = fnNumber.get(t.functionId);
    if (j === undefined) {
      fnIds.push(t.functionId);
      fnNumber.set(t.functionId, (j = fnIds.length));
    }
    perTask.push(String(j), call.taskIds[i]!, t.args, t.timeoutMs ? String(t.timeoutMs) : "");
  }
  const idem = call.idempotencyKey !== undefined;
  const k = [keys.queue, keys.tenantOpenTasks(tenant), keys.batch(call.id), idem ? batchIdempotencyKey(keys, call.idempotencyKey!, tenant) : keys.batch(call.id)];
  for (const f of fnIds) k.push(keys.fn(f));
  for (const id of call.taskIds) k.push(keys.task(id));
  const sent = (redis as unknown as ScriptCommands).faasCreateTasks(
    k.length, ...k,
    String(Date.now()), String(deadline), String(call.idempotencyTtlMs), tenant, call.admin ? "1" : "0", String(call.maxQueued ?? 100_000),
    keys.taskPrefix, idem ? "1" : "0", String(call.batchTtlMs), call.id, String(fnIds.length), ...fnIds, ...perTask,
  );
  const reply = await withinDeadline(sent, call.replyTimeoutMs, (r) => late(r[0] === 1));
  const [code, detail] = reply;
  if (code === 1) return call.id;
  if (code === 2) return String(detail);
  if (code === -1) throw new FaasError("STORE_UNAVAILABLE", "Redis answered too late; no task of the batch was created; try again later", 503);
  if (code === -2) {
    throw new FaasError("QUOTA_EXCEEDED",
      `tenant "${tenant}" has ${detail} queued or running tasks and a limit of ${call.maxQueued} (--max-queued): no room for ${call.tasks.length} more; no task was created`,
      429, { retryAfterSeconds: 1 });
  }
  const fnId = fnIds[Number(detail) - 1]!;
  const index = call.tasks.findIndex((t) => t.functionId === fnId);
  throw new FaasError("FUNCTION_NOT_FOUND", `tasks[${index}]: no function with id ${fnId}; no task was created`);
}

/** A stored batch: its tenant and its task ids in order. */
export interface BatchRecord {
  id: string;
  tenant: string;
  taskIds: string[];
  createdAt: number;
}

/** Read a batch record; null when unknown or expired. */
export async function readBatch(redis: Redis, keys: Keys, id: string): Promise<BatchRecord | null> {
  const [tenant, ids, created] = await redis.hmget(keys.batch(id), "tenant", "ids", "created");
  if (ids === null || ids === undefined) return null;
  return { id, tenant: tenant || "default", taskIds: ids === "" ? [] : ids.split(" "), createdAt: Number(created ?? 0) };
}
