/** Watching many tasks until they are final: one pipelined read, then the done announcements, finishes reported in batches. */
import type Redis from "ioredis";
import type { DoneWaiters } from "./done-waiters.ts";
import type { Keys } from "./keys.ts";
import { toTaskState } from "./task-record.ts";
import { DEFAULT_TENANT, FINAL_STATUSES, type Access, type TaskState } from "./types.ts";

/** A task of a watch that is final: its position in the watched list, its id and its final state. */
export interface FinalTask {
  index: number;
  taskId: string;
  state: TaskState;
}

/** A running watch (see {@link watchTasks}). */
export interface TaskWatch {
  /** The state of each watched task at the first read (null: unknown, expired or another tenant's), in order. */
  readonly first: readonly (TaskState | null)[];
  /** How many watched tasks are not final yet. */
  pending(): number;
  /** Settles once every task is final (or the watch is closed). */
  readonly settled: Promise<void>;
  /** Read the tasks not final yet again (a finish whose announcement was lost, e.g. while the subscriber reconnected). */
  refresh(): Promise<void>;
  /** Stop watching. */
  close(): void;
}

/** The status and result of each task (one pipelined round trip); null for unknown, expired or not visible ones. */
export async function readTaskStates(redis: Redis, keys: Keys, ids: readonly string[], access: Access): Promise<(TaskState | null)[]> {
  if (ids.length === 0) return [];
  const p = redis.pipeline();
  for (const id of ids) p.hmget(keys.task(id), "status", "result", "tenant");
  const replies = (await p.exec()) ?? [];
  return ids.map((_, i) => {
    const [err, fields] = replies[i] ?? [new Error("no reply"), null];
    if (err) throw err;
    const [status, result, tenant] = fields as (string | null)[];
    if (!access.admin && (tenant || DEFAULT_TENANT) !== access.tenant) return null;
    return toTaskState(status, result);
  });
}

/**
 * Watch `ids` (duplicates allowed) until each is final. `waiters` must be subscribed already: the ids are watched
 * before the first read, so a finish between the read and the watch is not missed. `onFinal` gets the tasks final
 * at the first read (in order), then those each announcement finishes, one call per announcement: its callers
 * (the `/results` wait, the SSE streams) write them in one go. `known(id)` (checked after the ids are watched)
 * names tasks known to exist, be visible and not be final (created by this process, not announced since): they
 * are not read, and stand as QUEUED in `first`.
 */
export async function watchTasks(
  redis: Redis, keys: Keys, waiters: DoneWaiters, ids: readonly string[], access: Access, onFinal: (finals: FinalTask[]) => void,
  known: (id: string) => boolean = () => false,
): Promise<TaskWatch> {
  const positions = new Map<string, number[]>();
  ids.forEach((id, i) => {
    const at = positions.get(id);
    if (at) at.push(i);
    else positions.set(id, [i]);
  });
  let closed = false;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  let batch: FinalTask[] = [];
  let unread: string[] = [];
  let scheduled = false;
  const finish = (taskId: string, state: TaskState) => {
    const at = positions.get(taskId);
    if (!at) return;
    positions.delete(taskId);
    for (const index of at) batch.push({ index, taskId, state });
  };
  const flush = async () => {
    scheduled = false;
    if (unread.length > 0) {
      const again = unread;
      unread = [];
      try {
        const states = await readTaskStates(redis, keys, again, access);
        again.forEach((id, i) => {
          const s = states[i];
          if (s && FINAL_STATUSES.has(s.status)) finish(id, s);
        });
      } catch {
        // Redis unreachable: these stay pending; the next refresh reads them again.
      }
    }
    if (closed) return;
    if (batch.length > 0) {
      const out = batch;
      batch = [];
      onFinal(out);
    }
    if (positions.size === 0) stop();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => void flush()); // after every id of the announcement being delivered
  };
  const unwatch = waiters.watch(positions.keys(), (taskId, state) => {
    if (state) finish(taskId, state);
    else unread.push(taskId);
    schedule();
  });
  const stop = () => {
    if (closed) return;
    closed = true;
    unwatch();
    settle();
  };
  const first: (TaskState | null)[] = new Array(ids.length);
  const toRead: number[] = [];
  ids.forEach((id, i) => {
    if (known(id)) first[i] = { status: "QUEUED", result: null };
    else toRead.push(i);
  });
  try {
    const read = await readTaskStates(redis, keys, toRead.map((i) => ids[i]!), access);
    toRead.forEach((i, j) => (first[i] = read[j] ?? null));
  } catch (err) {
    stop();
    throw err;
  }
  ids.forEach((id, i) => {
    const s = first[i];
    if (s === null || s === undefined) positions.delete(id); // nothing to wait for
    else if (FINAL_STATUSES.has(s.status) && positions.get(id)?.[0] === i) finish(id, s);
  });
  schedule();
  return {
    first,
    pending: () => positions.size,
    settled,
    async refresh() {
      if (closed || positions.size === 0) return;
      unread.push(...positions.keys());
      await flush();
    },
    close: stop,
  };
}
