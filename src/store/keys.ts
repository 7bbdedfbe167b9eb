/** Redis key names used by the store, all under one prefix. */

/** Key layout for one prefix (default `faas`). */
export interface Keys {
  fn(id: string): string;
  task(id: string): string;
  /** A task's log lines (a string, `encodeLog` text; `task(id)` + `:logs`, which SETTLE_TASKS derives), with the task's TTL. */
  taskLogs(id: string): string;
  /** The durable task queue (a Redis Stream, entries `{ t: taskId }`). */
  queue: string;
  /** The retry stream: tasks handed back by a dispatcher (graceful stop, lost executor); read before `queue`. */
  retry: string;
  /** Consumer group that all dispatchers share. */
  group: string;
  /** Pub/sub channel announcing finished task ids. */
  done: string;
  /** Liveness key of a dispatcher (expires when it stops refreshing it); its value is its figures (dispatcher-figures.ts). */
  alive(consumer: string): string;
  /** The dispatchers that sent a heartbeat in the last hour (a sorted set; score: last heartbeat, epoch ms). */
  dispatchers: string;
  /** Cluster-wide task figures the dispatcher's scripts count (a hash; see task-stats.ts). */
  stats: string;
  /** The task an `Idempotency-Key` of a tenant created (a string with TTL: the task id). */
  idempotency(key: string, tenant?: string): string;
  /** A batch of `POST /execute_batch` (a hash: tenant, created, ids — its task ids in order, space-separated). */
  batch(id: string): string;
  /** Prefix of every task key (`task(id)` is this plus the id), for scripts that name tasks by id. */
  taskPrefix: string;
  /** An API key's record, by the SHA-256 (hex) of the key (a hash: id, name, tenant, admin, created, used). */
  apiKey(sha256: string): string;
  /** Index of the API keys: a hash from key id to the SHA-256 of the key. */
  apiKeys: string;
  /** The function ids a tenant registered (a set; `--max-functions` counts it). */
  tenantFunctions(tenant: string): string;
  /** A tenant's task ids not known to be finished (a sorted set, trimmed lazily; `--max-queued` counts it). */
  tenantOpenTasks(tenant: string): string;
  /**
   * The key prefix with its colon (`faas:`): scripts build the index keys below from it and a task's tenant (see
   * task-lua.ts; keep both in step).
   */
  root: string;
  /** A tenant's task ids of the last `--result-ttl` (a sorted set scored by created time, ms; `GET /tasks`). */
  tenantTasks(tenant: string): string;
  /** A tenant's task ids now in `status` (a sorted set scored by created time; `GET /tasks?status=`). */
  tenantStatusTasks(tenant: string, status: string): string;
  /** A tenant's task ids of one function (a sorted set scored by created time; `GET /tasks?function_id=`). */
  tenantFunctionTasks(tenant: string, functionId: string): string;
  /** Every tenant that created a task (a set: an admin's `GET /tasks` reads each one's indexes). */
  tenants: string;
  /** A tenant's function ids (a sorted set scored by created time, ms; `GET /functions`). */
  tenantFunctionList(tenant: string): string;
  /** A tenant's functions by the SHA-256 of name and source (a hash: digest → function id), for registering once. */
  tenantFunctionDigests(tenant: string): string;
  /** Pub/sub channel naming each cancelled task (`PUBLISH {prefix}:cancel <task_id>`): dispatchers stop it. */
  cancel: string;
}

/** The cancel channel of the default prefix (`faas:cancel`); with another prefix use `keysFor(prefix).cancel`. */
export const CANCEL_CHANNEL = "faas:cancel";

/** Build the key layout for `prefix`. */
export function keysFor(prefix = "faas"): Keys {
  return {
    fn: (id) => `${prefix}:fn:${id}`,
    task: (id) => `${prefix}:task:${id}`,
    taskLogs: (id) => `${prefix}:task:${id}:logs`,
    queue: `${prefix}:queue`,
    retry: `${prefix}:queue:retry`,
    group: `${prefix}:dispatchers`,
    done: `${prefix}:done`,
    alive: (c) => `${prefix}:alive:${c}`,
    dispatchers: `${prefix}:dispatchers:seen`,
    stats: `${prefix}:stats`,
    // The default tenant's keys keep their original name; another tenant's live apart (`idem@` never meets `idem:`).
    idempotency: (key, tenant = "default") => (tenant === "default" ? `${prefix}:idem:${key}` : `${prefix}:idem@${tenant}:${key}`),
    batch: (id) => `${prefix}:batch:${id}`,
    taskPrefix: `${prefix}:task:`,
    apiKey: (sha256) => `${prefix}:apikey:${sha256}`,
    apiKeys: `${prefix}:apikeys`,
    tenantFunctions: (t) => `${prefix}:tenant:${t}:fns`,
    tenantOpenTasks: (t) => `${prefix}:tenant:${t}:open`,
    root: `${prefix}:`,
    tenantTasks: (t) => `${prefix}:tenant:${t}:tasks`,
    tenantStatusTasks: (t, s) => `${prefix}:tenant:${t}:status:${s}`,
    tenantFunctionTasks: (t, fn) => `${prefix}:tenant:${t}:fn:${fn}:tasks`,
    tenants: `${prefix}:tenants`,
    tenantFunctionList: (t) => `${prefix}:tenant:${t}:functions`,
    tenantFunctionDigests: (t) => `${prefix}:tenant:${t}:fn-digests`,
    cancel: `${prefix}:cancel`,
  };
}
