/** The Redis store: functions, tasks and their records, long-poll waits; owns the connections. */
import type Redis from "ioredis";
import { FaasError } from "../faas-error.ts";
import { silentLog, type Log } from "../log.ts";
import { readClusterStats, type ClusterStats } from "./cluster-stats.ts";
import { connectRedis } from "./connect-redis.ts";
import { DoneWaiters, dropOldest, type Waiter } from "./done-waiters.ts";
import { defineApiKeyLookup, listApiKeys, lookupApiKey, revokeApiKey } from "./api-keys.ts";
import { cancelTask, defineCancelTask, type CancelOutcome } from "./cancel-task.ts";
import { defineDeleteFunction, deleteFunction, listFunctions, readFunction } from "./function-records.ts";
import { defineListIndex } from "./list-index.ts";
import { listTasks, readTaskInfo, type TaskListQuery } from "./task-records.ts";
import { defineCreateTasks, readBatch, sendCreateBatch, type BatchRecord, type BatchTask } from "./create-batch.ts";
import { createdTaskId, defineCreateTask, sendCreateTask, type CreateReply } from "./create-task.ts";
import { keysFor, type Keys } from "./keys.ts";
import { RedisClock } from "./redis-clock.ts";
import { defineRegisterFunction, sendRegisterFunction } from "./register-function.ts";
import { withinDeadline } from "./reply-deadline.ts";
import { decodeLog } from "../codec/task-log-text.ts";
import { TaskQueue } from "./task-queue.ts";
import { isTaskStatus, toTaskRecord, toTaskState } from "./task-record.ts";
import { readTaskStates, watchTasks, type FinalTask, type TaskWatch } from "./task-watch.ts";
import {
  DEFAULT_ACCESS, DEFAULT_TENANT, FINAL_STATUSES, type Access, type ApiKeyRecord, type ApiStore, type CancelResults, type FunctionInfo, type FunctionRecord, type Page, type TaskInfo, type TaskLogs, type TaskRecord, type TaskState, type TaskStatus,
} from "./types.ts";

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** Redis URL: redis://host:port, rediss://…, or unix:///path/to/socket. */
  url: string;
  /** How long a finished task's record is kept, in seconds. Default: 86400 (24 h). */
  ttlSeconds?: number;
  /** Prefix of every key. Default: "faas". */
  keyPrefix?: string;
  /** Logger. Default: silent. */
  log?: Log;
  /** Longest wait (ms) for Redis to answer one API call (or a long-poll's step); then STORE_UNAVAILABLE. Default: 2500. */
  replyTimeoutMs?: number;
  /** Longest wait, in ms, for the health check's round trip. Default: 1500. */
  pingTimeoutMs?: number;
  /** How long an idempotency key keeps naming its task, in seconds. Default: 86400 (24 h). */
  idempotencyTtlSeconds?: number;
  /** Most unfinished (queued or running) tasks per tenant (`--max-queued`). Default: 100000. */
  maxQueuedPerTenant?: number;
  /** Most functions per tenant (`--max-functions`). Default: 10000. */
  maxFunctionsPerTenant?: number;
  /** An API key's "last used" is written at most once per this many ms. Default: 5000. */
  keyTouchMs?: number;
}

/** Most tenants of tasks created here remembered for the long-poll fast path (as many as DoneWaiters remembers ids). */
const MAX_CREATED_TENANTS = 100_000;

/** Whether `access` may see something of `tenant` (a missing tenant field is the default tenant's). */
function visible(access: Access, tenant: string | null | undefined): boolean {
  return access.admin || (tenant || DEFAULT_TENANT) === access.tenant;
}

type StoreSettings = Required<Omit<RedisStoreOptions, "log">> & { log: Log };

/** Store of functions and tasks in Redis; `queue` holds the dispatcher-side operations. */
export class RedisStore implements ApiStore {
  readonly keys: Keys;
  readonly queue: TaskQueue;
  private subscriber: Redis | null = null;
  private waiters: DoneWaiters | null = null;
  /** Redis's clock as seen from here: create deadlines are stated in it. */
  readonly clock: RedisClock;
  /** The tenant of each task created here and not yet seen final, so its long-poll can skip the first read. */
  private readonly createdTenants = new Map<string, string>();

  constructor(
    readonly redis: Redis,
    private readonly opts: StoreSettings,
  ) {
    this.keys = keysFor(opts.keyPrefix);
    this.queue = new TaskQueue(redis, this.keys, { url: opts.url, ttlMs: opts.ttlSeconds * 1000, log: opts.log });
    this.clock = new RedisClock(redis);
    defineCreateTask(redis);
    defineCreateTasks(redis);
    defineRegisterFunction(redis);
    defineApiKeyLookup(redis);
    defineListIndex(redis);
    defineCancelTask(redis);
    defineDeleteFunction(redis);
  }

  async registerFunction(fn: { name: string; source: string; code: string; runtime?: FunctionRecord["runtime"] }, access: Access = DEFAULT_ACCESS): Promise<string> {
    const id = crypto.randomUUID();
    const call = { id, ...fn, tenant: access.tenant, maxFunctions: this.opts.maxFunctionsPerTenant };
    return this.answered(sendRegisterFunction(this.redis, this.keys, call));
  }

  async getFunctionRecord(id: string, access: Access = DEFAULT_ACCESS): Promise<FunctionRecord | null> {
    return this.answered(readFunction(this.redis, this.keys, id, access));
  }

  async listFunctions(q: { limit: number; cursor?: string }, access: Access = DEFAULT_ACCESS): Promise<Page<FunctionInfo>> {
    const { functions, nextCursor } = await this.answered(listFunctions(this.redis, this.keys, q, access));
    return { items: functions, nextCursor };
  }

  async deleteFunction(id: string, access: Access = DEFAULT_ACCESS): Promise<boolean> {
    return this.answered(deleteFunction(this.redis, this.keys, id, access));
  }

  async getTaskInfo(id: string, access: Access = DEFAULT_ACCESS): Promise<TaskInfo | null> {
    return this.answered(readTaskInfo(this.redis, this.keys, id, access));
  }

  async listTasks(q: TaskListQuery, access: Access = DEFAULT_ACCESS): Promise<Page<TaskInfo>> {
    const { tasks, nextCursor } = await this.answered(listTasks(this.redis, this.keys, q, access));
    return { items: tasks, nextCursor };
  }

  async cancelTask(id: string, result: string | CancelResults, access: Access = DEFAULT_ACCESS): Promise<CancelOutcome> {
    return this.answered(cancelTask(this.redis, this.keys, id, result, this.opts.ttlSeconds * 1000, access));
  }

  async getFunction(id: string): Promise<FunctionRecord | null> {
    const h = await this.redis.hgetall(this.keys.fn(id));
    if (h.code === undefined) return null;
    return { id, name: h.name ?? "", source: h.source ?? "", code: h.code, createdAt: Number(h.created ?? 0), runtime: h.runtime === "python" ? "python" : "js" };
  }

  /** True when a function with this id exists. */
  async hasFunction(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.fn(id))) === 1;
  }

  /**
   * Create a task, or with `idempotencyKey` return the task that key created within the idempotency TTL. When this
   * rejects with STORE_UNAVAILABLE the task does not exist and never will (see CREATE_DEADLINE_SHARE).
   */
  async createTask(task: { functionId: string; args: string; timeoutMs?: number; idempotencyKey?: string }, access: Access = DEFAULT_ACCESS): Promise<string> {
    const o = this.opts;
    const call = {
      ...task, id: crypto.randomUUID(), replyTimeoutMs: o.replyTimeoutMs, idempotencyTtlMs: o.idempotencyTtlSeconds * 1000,
      tenant: access.tenant, admin: access.admin, maxQueued: o.maxQueuedPerTenant,
    };
    // Tracked before the create is sent: its finish may be announced before the reply arrives.
    this.waiters?.track(call.id);
    let reply: CreateReply = 0;
    try {
      reply = await sendCreateTask(this.redis, this.keys, this.clock, call, (late) => {
        // Only a reply slower than the margin after the script's deadline gets here.
        if (late === 1) o.log.warn("task created after its create was answered 503", { taskId: call.id });
      });
    } finally {
      if (reply !== 1) this.waiters?.untrack(call.id); // not created here (refused, failed, an earlier task): nothing to expect
    }
    if (reply === 1 && this.waiters) this.rememberCreated(call.id, call.tenant);
    return createdTaskId(reply, call);
  }

  /**
   * Create a batch of tasks in one round trip, all or none; returns the batch id and its task ids in order. With
   * `idempotencyKey`, a key that named a batch of the tenant within the idempotency TTL returns that batch.
   */
  async createBatch(tasks: BatchTask[], opts: { idempotencyKey?: string }, access: Access = DEFAULT_ACCESS): Promise<{ batchId: string; taskIds: string[] }> {
    const o = this.opts;
    const call = {
      id: crypto.randomUUID(), taskIds: tasks.map(() => crypto.randomUUID()), tasks, idempotencyKey: opts.idempotencyKey,
      tenant: access.tenant, admin: access.admin, maxQueued: o.maxQueuedPerTenant, replyTimeoutMs: o.replyTimeoutMs,
      idempotencyTtlMs: o.idempotencyTtlSeconds * 1000, batchTtlMs: 2 * o.ttlSeconds * 1000,
    };
    // Tracked before the create is sent, as createTask does: so a /results or stream right after skips their read.
    const tracked = this.waiters !== null && call.taskIds.every((id) => this.waiters!.track(id));
    let batchId = "";
    try {
      batchId = await sendCreateBatch(this.redis, this.keys, this.clock, call, (created) => {
        if (created) o.log.warn("batch created after its create was answered 503", { batchId: call.id });
      });
    } finally {
      if (batchId !== call.id) for (const id of call.taskIds) this.waiters?.untrack(id);
    }
    if (batchId === call.id) {
      if (tracked) for (const id of call.taskIds) this.rememberCreated(id, call.tenant);
      return { batchId, taskIds: call.taskIds };
    }
    const earlier = await this.getBatch(batchId, access);
    if (earlier === null) throw new FaasError("STORE_UNAVAILABLE", "the batch this Idempotency-Key names has expired; try again", 503);
    return { batchId, taskIds: earlier.taskIds };
  }

  /** A batch's record, or null when unknown, expired or another tenant's (unless admin). */
  async getBatch(id: string, access: Access = DEFAULT_ACCESS): Promise<BatchRecord | null> {
    const batch = await this.answered(readBatch(this.redis, this.keys, id));
    return batch !== null && visible(access, batch.tenant) ? batch : null;
  }

  /** The status and result of each task, in order (one round trip); null for unknown, expired or not visible ones. */
  getTaskStates(ids: readonly string[], access: Access = DEFAULT_ACCESS): Promise<(TaskState | null)[]> {
    return this.answered(readTaskStates(this.redis, this.keys, ids, access));
  }

  /** Watch tasks until each is final: `onFinal` gets them in batches, as announcements finish them (see task-watch.ts). */
  async watchTasks(ids: readonly string[], access: Access, onFinal: (finals: FinalTask[]) => void): Promise<TaskWatch> {
    const waiters = this.doneWaiters();
    await this.answered(waiters.subscribe());
    // A task created here and not announced since exists and is not final: no need to read it first.
    const known = (id: string) => {
      const tenant = this.createdTenants.get(id);
      return tenant !== undefined && visible(access, tenant) && waiters.isUnfinished(id);
    };
    return this.answered(watchTasks(this.redis, this.keys, waiters, ids, access, onFinal, known));
  }

  /** The whole task record (every field, args included), or null when unknown or expired. */
  async getTask(id: string): Promise<TaskRecord | null> {
    return toTaskRecord(id, await this.redis.hgetall(this.keys.task(id)));
  }

  /** Resolves with the whole record once the task is final, or with its current record after `timeoutMs`. */
  async waitForTask(id: string, timeoutMs: number): Promise<TaskRecord | null> {
    if ((await this.waitForTaskState(id, timeoutMs)) === null) return null;
    return this.getTask(id);
  }

  async getTaskStatus(id: string, access: Access = DEFAULT_ACCESS): Promise<TaskStatus | null> {
    const [status, tenant] = await this.answered(this.redis.hmget(this.keys.task(id), "status", "tenant"));
    return isTaskStatus(status) && visible(access, tenant) ? status : null;
  }

  async getTaskLogs(id: string, access: Access = DEFAULT_ACCESS): Promise<TaskLogs | null> {
    const rows = (await this.answered(
      this.redis.multi().hmget(this.keys.task(id), "status", "tenant").get(this.keys.taskLogs(id)).exec(),
    )) ?? [];
    const [status, tenant] = (rows[0]?.[1] ?? [null, null]) as (string | null)[];
    const logs = (rows[1]?.[1] ?? null) as string | null;
    if (status === null || !visible(access, tenant)) return null;
    return (logs === null ? null : decodeLog(logs)) ?? { lines: [], truncated: false };
  }

  async getTaskState(id: string, access: Access = DEFAULT_ACCESS): Promise<TaskState | null> {
    const [status, result, tenant] = await this.answered(this.redis.hmget(this.keys.task(id), "status", "result", "tenant"));
    return visible(access, tenant) ? toTaskState(status, result) : null;
  }

  async waitForTaskState(id: string, timeoutMs: number, access: Access = DEFAULT_ACCESS): Promise<TaskState | null> {
    if (timeoutMs <= 0) return this.getTaskState(id, access);
    const createdFor = this.createdTenants.get(id);
    if (createdFor !== undefined && !this.waiters?.isUnfinished(id)) this.createdTenants.delete(id); // announced since
    else if (createdFor !== undefined && visible(access, createdFor) && this.waiters) {
      // Created here and not announced since: it exists and is not final, so wait without reading it first.
      const state = (await this.waiters.wait(id, timeoutMs).done) ?? (await this.getTaskState(id, access));
      if (state === null || FINAL_STATUSES.has(state.status)) this.createdTenants.delete(id);
      return state;
    }
    const w = await this.registerWaiter(id, timeoutMs);
    let first: TaskState | null;
    try {
      first = await this.getTaskState(id, access);
    } catch (err) {
      w.cancel();
      throw err;
    }
    if (first === null || FINAL_STATUSES.has(first.status)) {
      w.cancel();
      return first;
    }
    // The announcement usually carries the final state; read it only when it did not (large result, timeout).
    return (await w.done) ?? this.getTaskState(id, access);
  }

  async findApiKey(sha256: string): Promise<ApiKeyRecord | null> {
    return this.answered(lookupApiKey(this.redis, this.keys, sha256, this.opts.keyTouchMs));
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.answered(listApiKeys(this.redis, this.keys));
  }

  async revokeApiKey(id: string): Promise<boolean> {
    return this.answered(revokeApiKey(this.redis, this.keys, id));
  }

  /** A `TIME` round trip (it also refreshes the clock estimate), bounded by the ping timeout. */
  async ping(): Promise<void> {
    await withinDeadline(this.clock.sample(), this.opts.pingTimeoutMs);
  }

  async clusterStats(): Promise<ClusterStats> {
    return this.answered(readClusterStats(this.redis, this.keys));
  }

  /** Close every connection this store opened. */
  async close(): Promise<void> {
    await this.queue.close();
    this.subscriber?.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Register a waiter for `id`; call it before the first read, so a finish between the read and the wait is not missed. */
  private async registerWaiter(id: string, timeoutMs: number): Promise<Waiter> {
    const waiters = this.doneWaiters();
    await this.answered(waiters.subscribe());
    return waiters.wait(id, timeoutMs);
  }

  /** Remember the tenant of a task created here (at most MAX_CREATED_TENANTS, the oldest forgotten first, in bulk). */
  private rememberCreated(id: string, tenant: string): void {
    if (this.createdTenants.size >= MAX_CREATED_TENANTS) dropOldest(this.createdTenants, MAX_CREATED_TENANTS);
    this.createdTenants.set(id, tenant);
  }

  /** The process's DoneWaiters, with its subscriber connection opened on first use. */
  private doneWaiters(): DoneWaiters {
    if (!this.waiters) {
      this.subscriber = connectRedis(this.opts.url, { maxRetriesPerRequest: null }, { log: this.opts.log, name: "subscriber" });
      this.waiters = new DoneWaiters(this.subscriber, this.keys.done);
    }
    return this.waiters;
  }

  /** `call`, or STORE_UNAVAILABLE once the reply timeout passes without its answer. */
  private answered<T>(call: Promise<T>): Promise<T> {
    return withinDeadline(call, this.opts.replyTimeoutMs);
  }
}

/** Connect to Redis and return the store once the connection answers. */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const log = options.log ?? silentLog;
  const redis = connectRedis(options.url, {}, { log, name: "store" });
  const store = new RedisStore(redis, {
    url: options.url,
    ttlSeconds: options.ttlSeconds ?? 86_400,
    keyPrefix: options.keyPrefix ?? "faas",
    log,
    replyTimeoutMs: options.replyTimeoutMs ?? 2500,
    pingTimeoutMs: options.pingTimeoutMs ?? 1500,
    idempotencyTtlSeconds: options.idempotencyTtlSeconds ?? 86_400,
    maxQueuedPerTenant: options.maxQueuedPerTenant ?? 100_000,
    maxFunctionsPerTenant: options.maxFunctionsPerTenant ?? 10_000,
    keyTouchMs: options.keyTouchMs ?? 5000,
  });
  try {
    await store.queue.ensureGroup();
    await store.clock.sample();
  } catch (err) {
    redis.disconnect();
    throw new FaasError("STORE_UNAVAILABLE", `cannot reach Redis at ${options.url}: ${(err as Error).message}`, 503, { cause: err });
  }
  return store;
}
