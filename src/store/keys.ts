/** Redis key names used by the store, all under one prefix. */

/** Key layout for one prefix (default `faas`). */
export interface Keys {
  fn(id: string): string;
  task(id: string): string;
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
}

/** Build the key layout for `prefix`. */
export function keysFor(prefix = "faas"): Keys {
  return {
    fn: (id) => `${prefix}:fn:${id}`,
    task: (id) => `${prefix}:task:${id}`,
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
  };
}
