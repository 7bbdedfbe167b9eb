/** The create step of a task: one CREATE_TASK script call, its deadline on Redis's clock, its optional idempotency key. */
import type Redis from "ioredis";
import { FaasError } from "../faas-error.ts";
import type { Keys } from "./keys.ts";
import type { RedisClock } from "./redis-clock.ts";
import { withinDeadline } from "./reply-deadline.ts";
import { CREATE_TASK } from "./scripts.ts";

/**
 * Share of the reply timeout a create may take to reach its script: past it (on Redis's clock) the script refuses,
 * so a create still unanswered when the API gives up never runs later. The rest covers the reply's way back and
 * the clock estimate's error (see RedisClock).
 */
export const CREATE_DEADLINE_SHARE = 0.7;

/** What every create sends besides its tasks, single or batch: who asks, its limits and its deadline. */
export interface CreateContext {
  idempotencyKey?: string;
  /** The tenant the task belongs to (the caller's). Default: "default". */
  tenant?: string;
  /** An admin caller may run any tenant's function (the task is still its own tenant's). Default: false. */
  admin?: boolean;
  /** Most unfinished tasks the tenant may have; past it the create is refused (-2). Default: 100000. */
  maxQueued?: number;
  /** How long the caller waits for the reply, in ms; the script's deadline is {@link CREATE_DEADLINE_SHARE} of it. */
  replyTimeoutMs: number;
  /** How long the idempotency key names the task (or batch), in ms. */
  idempotencyTtlMs: number;
}

/** What one create sends. */
export interface CreateCall extends CreateContext {
  /** The new task's id, chosen by the caller. */
  id: string;
  functionId: string;
  args: string;
  timeoutMs?: number;
}

/** 1 created, 0 unknown (or another tenant's) function, -1 past its deadline, -2 the tenant's queue is full, or the id an idempotency key already names. */
export type CreateReply = number | string;

interface ScriptCommands {
  faasCreateTask(numKeys: number, ...args: string[]): Promise<CreateReply>;
}

/** Register the script on a connection (once per connection). */
export function defineCreateTask(redis: Redis): void {
  redis.defineCommand("faasCreateTask", { lua: CREATE_TASK }); // KEYS count given per call: 4, or 5 with an idempotency key
}

/**
 * Send the create. Resolves with the script's reply, or rejects with STORE_UNAVAILABLE after `replyTimeoutMs`;
 * `late` sees a reply that arrives after that.
 */
export function sendCreateTask(redis: Redis, keys: Keys, clock: RedisClock, call: CreateCall, late: (reply: CreateReply) => void): Promise<CreateReply> {
  if (clock.stale()) clock.sample().catch(() => {}); // this create uses the estimate it has
  const deadline = Math.floor(clock.now() + call.replyTimeoutMs * CREATE_DEADLINE_SHARE);
  const tenant = call.tenant ?? "default";
  const k = [keys.fn(call.functionId), keys.task(call.id), keys.queue, keys.tenantOpenTasks(tenant)];
  if (call.idempotencyKey !== undefined) k.push(keys.idempotency(call.idempotencyKey, tenant));
  const sent = (redis as unknown as ScriptCommands).faasCreateTask(
    k.length, ...k,
    call.id, call.functionId, call.args, String(Date.now()), call.timeoutMs ? String(call.timeoutMs) : "",
    String(deadline), String(call.idempotencyTtlMs), tenant, call.admin ? "1" : "0", String(call.maxQueued ?? 100_000), keys.taskPrefix,
  );
  return withinDeadline(sent, call.replyTimeoutMs, late);
}

/** The task id a reply stands for, or the error it means. */
export function createdTaskId(reply: CreateReply, call: CreateCall): string {
  if (reply === 1) return call.id;
  if (typeof reply === "string") return reply;
  if (reply === -1) throw new FaasError("STORE_UNAVAILABLE", "Redis answered too late; the task was not created; try again later", 503);
  if (reply === -2) {
    throw new FaasError("QUOTA_EXCEEDED", `tenant "${call.tenant ?? "default"}" has ${call.maxQueued} queued or running tasks (--max-queued); try again when some finish`,
      429, { retryAfterSeconds: 1 });
  }
  throw new FaasError("FUNCTION_NOT_FOUND", `no function with id ${call.functionId}`);
}
