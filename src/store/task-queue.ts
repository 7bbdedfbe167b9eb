/** Dispatcher side of the durable queue: a Redis Stream with one consumer group shared by all dispatchers. */
import type Redis from "ioredis";
import type { Log } from "../log.ts";
import type { Keys } from "./keys.ts";
import { QueueReader, toEntries } from "./queue-reader.ts";
import { FINISH_TASKS, REQUEUE_TASK, START_TASKS } from "./scripts.ts";

export type { QueueEntry, QueueReader } from "./queue-reader.ts";
import type { QueueEntry } from "./queue-reader.ts";


/** A task turned RUNNING by {@link TaskQueue.startTasks}. */
export interface StartedTask extends QueueEntry {
  functionId: string;
  args: string;
  /** Per-task timeout override in ms, or null for the executor's default. */
  timeoutMs: number | null;
  /** How many times this task has been started, this time included. */
  attempts: number;
}

/** A task's final outcome, as written by {@link TaskQueue.finishTasks}. */
export interface FinishedTask {
  /** The queue entry to acknowledge ("" when there is none). */
  streamId: string;
  taskId: string;
  status: "COMPLETED" | "FAILED";
  /** Codec text: the value, or the encoded error. */
  result: string;
  /** Who ran it, e.g. "local/thread-2". */
  executor: string;
}

interface Scripts {
  faasStartTasks(numKeys: number, ...args: string[]): Promise<(false | null | string[])[]>;
  faasFinishTasks(numKeys: number, ...args: string[]): Promise<number>;
  faasRequeueTask(...args: string[]): Promise<number>;
}


/** Queue operations for dispatchers. Blocking reads use a connection of their own. */
export class TaskQueue {
  private readonly readers = new Set<QueueReader>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly opts: { url: string; ttlMs: number; log: Log },
  ) {
    redis.defineCommand("faasStartTasks", { lua: START_TASKS });
    redis.defineCommand("faasFinishTasks", { lua: FINISH_TASKS });
    redis.defineCommand("faasRequeueTask", { numberOfKeys: 2, lua: REQUEUE_TASK });
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts;
  }

  /** Create the stream and consumer group if missing (from id 0, so tasks queued before any dispatcher count). */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup("CREATE", this.keys.queue, this.keys.group, "0", "MKSTREAM");
    } catch (err) {
      if (!String((err as Error).message).includes("BUSYGROUP")) throw err;
    }
  }

  /** A blocking reader with a connection of its own; close it to interrupt a read in progress. */
  reader(): QueueReader {
    const r = new QueueReader(this.opts.url, this.keys, () => this.ensureGroup(), (x) => this.readers.delete(x));
    this.readers.add(r);
    return r;
  }

  /** Turn delivered entries RUNNING in one round trip; gone, final or exhausted ones are settled and left out. */
  async startTasks(
    entries: QueueEntry[],
    opts: { executor: string; maxAttempts: number; lostError: string },
  ): Promise<StartedTask[]> {
    if (entries.length === 0) return [];
    const keys = entries.map((e) => this.keys.task(e.taskId));
    const args = [this.keys.group, String(Date.now()), opts.executor, String(opts.maxAttempts),
      String(this.opts.ttlMs), opts.lostError, this.keys.done];
    for (const e of entries) args.push(e.streamId, e.taskId);
    const rows = await this.scripts.faasStartTasks(keys.length + 1, this.keys.queue, ...keys, ...args);
    const started: StartedTask[] = [];
    rows.forEach((row, i) => {
      const e = entries[i];
      if (!row || !e) return;
      const [, fn, args, timeout, attempts] = row;
      started.push({ ...e, functionId: fn ?? "", args: args ?? "[]", timeoutMs: timeout ? Number(timeout) : null, attempts: Number(attempts) });
    });
    return started;
  }

  /** Write final outcomes (once per task), acknowledge their entries and wake long-pollers. */
  async finishTasks(batch: FinishedTask[]): Promise<number> {
    if (batch.length === 0) return 0;
    const keys = batch.map((t) => this.keys.task(t.taskId));
    const args = [this.keys.group, String(Date.now()), String(this.opts.ttlMs), this.keys.done];
    for (const t of batch) args.push(t.streamId, t.taskId, t.status, t.result, t.executor);
    return this.scripts.faasFinishTasks(keys.length + 1, this.keys.queue, ...keys, ...args);
  }

  /** Queue a task again after its executor was lost; false when it had already finished. */
  async requeue(entry: QueueEntry): Promise<boolean> {
    const n = await this.scripts.faasRequeueTask(this.keys.queue, this.keys.task(entry.taskId), this.keys.group, entry.streamId, entry.taskId);
    return n === 1;
  }

  /** The JavaScript code of each function id (null for unknown ids), in one round trip. */
  async functionCode(ids: string[]): Promise<(string | null)[]> {
    if (ids.length === 0) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hget(this.keys.fn(id), "code");
    const res = (await p.exec()) ?? [];
    return res.map(([err, v]) => (err ? null : (v as string | null)));
  }

  /** Mark `consumer` alive for `ttlMs`; it must refresh before then or its tasks are recovered by others. */
  async heartbeat(consumer: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.alive(consumer), String(Date.now()), "PX", ttlMs);
  }

  /**
   * Take over the entries of dead consumers (whose liveness key expired), idle at least `minIdleMs`, and
   * delete consumers that hold nothing. Returns the claimed entries, now owned by `consumer`.
   */
  async claimOrphans(consumer: string, minIdleMs: number, max = 1000): Promise<QueueEntry[]> {
    const infos = (await this.redis.xinfo("CONSUMERS", this.keys.queue, this.keys.group)) as unknown[][];
    const claimed: QueueEntry[] = [];
    for (const raw of infos) {
      const info = pairs(raw);
      const name = String(info.name);
      if (name === consumer) continue;
      if ((await this.redis.exists(this.keys.alive(name))) === 1) continue;
      const pending = Number(info.pending ?? 0);
      if (pending === 0) {
        await this.redis.xgroup("DELCONSUMER", this.keys.queue, this.keys.group, name);
        continue;
      }
      const rows = (await this.redis.xpending(this.keys.queue, this.keys.group, "IDLE", minIdleMs, "-", "+", max, name)) as [string][];
      const ids = rows.map((r) => r[0]);
      if (ids.length === 0) continue;
      const got = (await this.redis.xclaim(this.keys.queue, this.keys.group, consumer, minIdleMs, ...ids)) as [string, string[]][];
      claimed.push(...toEntries(got));
      // Entries deleted from the stream but still pending come back empty from XCLAIM: acknowledge them.
      const live = new Set(got.filter((g) => g?.[1]).map((g) => g[0]));
      const dead = ids.filter((id) => !live.has(id));
      if (dead.length) await this.redis.xack(this.keys.queue, this.keys.group, ...dead);
      this.opts.log.info("recovered tasks of a dead dispatcher", { from: name, tasks: live.size });
    }
    return claimed;
  }

  /** Remove this consumer's liveness key and, if it holds nothing, the consumer itself. */
  async leave(consumer: string): Promise<void> {
    await this.redis.del(this.keys.alive(consumer));
    const pending = (await this.redis.xpending(this.keys.queue, this.keys.group, "-", "+", 1, consumer)) as unknown[];
    if (pending.length === 0) await this.redis.xgroup("DELCONSUMER", this.keys.queue, this.keys.group, consumer);
  }

  /** Close every reader made by {@link reader}. */
  async close(): Promise<void> {
    for (const r of [...this.readers]) r.close();
  }
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[String(flat[i])] = flat[i + 1];
  return o;
}
