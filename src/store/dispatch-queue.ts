/** The dispatcher's view of the durable queue: the interface the Redis queue and the in-memory queue implement. */
import type { DispatcherFigures } from "./dispatcher-figures.ts";

/** Which stream an entry sits in: the main queue, or the retry stream of tasks handed back (read first). */
export type Lane = "main" | "retry";

/** A queue entry delivered to one dispatcher (it owns the entry until it settles it; the task is not started). */
export interface QueueEntry {
  streamId: string;
  taskId: string;
  /** Default: "main". */
  lane?: Lane;
}

/** A delivered task with what an executor needs (function code aside); its state in the store is unchanged. */
export interface LoadedTask extends QueueEntry {
  functionId: string;
  args: string;
  /** Per-task timeout override in ms, or null for the executor's default. */
  timeoutMs: number | null;
  /** Starts recorded for this task so far (the next start is attempt `attempts + 1`). */
  attempts: number;
}

/** A final outcome written by a `finish` settlement. */
export interface FinishedTask {
  /** The queue entry to acknowledge ("" when there is none). */
  streamId: string;
  taskId: string;
  lane?: Lane;
  status: "COMPLETED" | "FAILED";
  /** Codec text: the value, or the encoded error. */
  result: string;
  /** Who ran it, e.g. "local/thread-2". */
  executor: string;
}

/** When an executor started a task, and which attempt that was. */
export interface TaskStart {
  /** The attempt number of this start (1 for the first). */
  attempts: number;
  /** Epoch ms. */
  at: number;
}

/**
 * One state change the dispatcher writes; a batch of them is applied in order, atomically. Batches may also be
 * applied out of order (several in flight, a failed one retried), so each change says which attempt it is about
 * and is ignored when a newer one was written:
 * - `start`: an executor started the task: RUNNING, `started` = `at`, attempt number `attempts`, `executor`
 *   (ignored for a task that already records a later attempt);
 * - `finish`: the final state (written once; a final task never changes), entry acknowledged, long-polls woken;
 *   with `started`, the start it had (a start and its finish written in one change);
 * - `requeue`: attempt `attempts` lost its executor: QUEUED again (only if that attempt is still the latest and
 *   RUNNING); the entry stays with this dispatcher, which runs it again;
 * - `handback`: give the entry back to every dispatcher: QUEUED, entry moved to the retry stream (read first).
 * None of them touches a task that is final or gone. `logs` (finish, requeue): the task's log as `encodeLog` text,
 * written to its logs key with the task's TTL; it replaces what the key held (a finish also writes it for a task
 * that was CANCELLED meanwhile: the lines up to the cancel).
 */
export type Settlement =
  | ({ kind: "start"; taskId: string; executor: string } & TaskStart)
  | ({ kind: "finish"; started?: TaskStart; logs?: string } & FinishedTask)
  | { kind: "requeue"; taskId: string; attempts: number; logs?: string }
  | { kind: "handback"; entry: QueueEntry };

/** Blocking reads of new entries for one dispatcher. */
export interface QueueReading {
  /** Wait up to `blockMs` for entries (retry lane first) and take at most about `count`; [] once closed. */
  read(consumer: string, count: number, blockMs: number): Promise<QueueEntry[]>;
  /** Interrupt a read in progress (it returns []) and release the reader. */
  close(): void;
}

/** What the dispatcher core needs from the queue. */
export interface DispatchQueue {
  /** Create the streams and the consumer group when missing. */
  ensureGroup(): Promise<void>;
  /** A blocking reader of its own (a connection of its own for Redis). */
  reader(): QueueReading;
  /**
   * Load delivered entries: tasks gone or final (CANCELLED too) are acknowledged and left out; tasks that used
   * `maxAttempts` starts are FAILED with `lostError`, and with `deletedError` (when given) tasks whose function was
   * deleted, both left out; the rest are returned, their state unchanged.
   */
  loadTasks(entries: QueueEntry[], opts: { maxAttempts: number; lostError: string; pythonLostError?: string; deletedError?: string }): Promise<LoadedTask[]>;
  /** Apply state changes in order, in one round trip; resolves with how many `finish` ones were written. */
  settle(batch: Settlement[]): Promise<number>;
  /** The JavaScript code of each function id (null for unknown ids), in one round trip. */
  functionCode(ids: string[]): Promise<(string | null)[]>;
  /** Mark `consumer` alive for `ttlMs`, publishing its `figures` (see dispatcher-figures.ts) until then. */
  heartbeat(consumer: string, ttlMs: number, figures?: DispatcherFigures): Promise<void>;
  /** Take over the entries of dead consumers, idle at least `minIdleMs`; returns them, now `consumer`'s. */
  claimOrphans(consumer: string, minIdleMs: number): Promise<QueueEntry[]>;
  /**
   * Entries pending under `consumer` itself, idle at least `minIdleMs`, claimed again by it (their idle time
   * restarts). The dispatcher runs those it does not hold: deliveries whose reply was lost (Redis died after
   * delivering them, a connection dropped mid-reply) would otherwise stay pending under a live consumer forever.
   */
  reclaimOwn(consumer: string, minIdleMs: number): Promise<QueueEntry[]>;
  /**
   * Listen for cancelled tasks (the cancel channel): `cancelled` gets each task id a cancel names, on any
   * dispatcher. Resolves once listening; absent where the queue has no channel (then nothing is ever cancelled).
   */
  cancels?(cancelled: (taskId: string) => void): Promise<{ close(): void }>;
  /** Forget `consumer` (its liveness; the consumer itself once it holds nothing). */
  leave(consumer: string): Promise<void>;
}
