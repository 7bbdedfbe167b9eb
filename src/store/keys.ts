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
  /** Liveness key of a dispatcher (expires when it stops refreshing it). */
  alive(consumer: string): string;
  /** The task an `Idempotency-Key` created (a string with TTL: the task id). */
  idempotency(key: string): string;
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
    idempotency: (key) => `${prefix}:idem:${key}`,
  };
}
