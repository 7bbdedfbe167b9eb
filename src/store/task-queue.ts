/** The Redis implementation of the dispatchers' queue: two Streams (main, retry) with one shared consumer group. */
import type Redis from "ioredis";
import { ReplyError } from "ioredis";
import type { Log } from "../log.ts";
import type { DispatchQueue, FinishedTask, Lane, LoadedTask, QueueEntry, Settlement } from "./dispatch-queue.ts";
import { publishHeartbeat, type DispatcherFigures } from "./dispatcher-figures.ts";
import type { Keys } from "./keys.ts";
import { listenForCancels } from "./cancel-listener.ts";
import { QueueReader, toEntries } from "./queue-reader.ts";
import { LOAD_TASKS, SETTLE_TASKS } from "./scripts.ts";

export type { DispatchQueue, FinishedTask, LoadedTask, QueueEntry, Settlement } from "./dispatch-queue.ts";
export type { QueueReader } from "./queue-reader.ts";

interface Scripts {
  faasLoadTasks(numKeys: number, ...args: string[]): Promise<(false | null | string[])[]>;
  faasSettleTasks(numKeys: number, ...args: string[]): Promise<number>;
}

const laneCode = (lane: Lane | undefined): string => (lane === "retry" ? "r" : "q");

/** Least time between two settle calls that trim the listing indexes past the result TTL (task-lua.ts idx_flush), ms. */
const TRIM_EVERY_MS = 1000;

/** Queue operations for dispatchers. Blocking reads use a connection of their own. */
export class TaskQueue implements DispatchQueue {
  private readonly readers = new Set<QueueReader>();
  /** When a settle call last asked for the indexes to be trimmed (epoch ms; 0: never). */
  private lastTrim = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly opts: { url: string; ttlMs: number; log: Log },
  ) {
    redis.defineCommand("faasLoadTasks", { lua: LOAD_TASKS });
    redis.defineCommand("faasSettleTasks", { lua: SETTLE_TASKS });
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts;
  }

  /** Create both streams and the consumer group if missing (from id 0, so tasks queued before any dispatcher count). */
  async ensureGroup(): Promise<void> {
    for (const stream of [this.keys.queue, this.keys.retry]) {
      try {
        await this.redis.xgroup("CREATE", stream, this.keys.group, "0", "MKSTREAM");
      } catch (err) {
        if (!String((err as Error).message).includes("BUSYGROUP")) throw err;
      }
    }
  }

  /** A blocking reader with a connection of its own; close it to interrupt a read in progress. */
  reader(): QueueReader {
    const r = new QueueReader(this.opts.url, this.keys, () => this.ensureGroup(), (x) => this.readers.delete(x));
    this.readers.add(r);
    return r;
  }

  async loadTasks(entries: QueueEntry[], opts: { maxAttempts: number; lostError: string; pythonLostError?: string; deletedError?: string }): Promise<LoadedTask[]> {
    if (entries.length === 0) return [];
    const keys = entries.map((e) => this.keys.task(e.taskId));
    const args = [
      this.keys.group, String(Date.now()), String(opts.maxAttempts), String(this.opts.ttlMs), opts.lostError, this.keys.done, this.keys.root,
      opts.deletedError ?? "", opts.pythonLostError ?? "",
    ];
    for (const e of entries) args.push(laneCode(e.lane), e.streamId, e.taskId);
    const rows = await this.scripts.faasLoadTasks(keys.length + 2, this.keys.queue, this.keys.retry, ...keys, ...args);
    const loaded: LoadedTask[] = [];
    rows.forEach((row, i) => {
      const e = entries[i];
      if (!row || !e) return;
      const [, fn, args, timeout, attempts] = row;
      loaded.push({ ...e, functionId: fn ?? "", args: args ?? "[]", timeoutMs: timeout ? Number(timeout) : null, attempts: Number(attempts) });
    });
    return loaded;
  }

  async settle(batch: Settlement[]): Promise<number> {
    if (batch.length === 0) return 0;
    const keys: string[] = [];
    const now = Date.now();
    // Trimming is needed only where tasks end, and at most once a second: reads drop expired members anyway.
    const trim = now - this.lastTrim >= TRIM_EVERY_MS && batch.some((s) => s.kind === "finish");
    if (trim) this.lastTrim = now;
    const args = [this.keys.group, String(now), String(this.opts.ttlMs), this.keys.done, this.keys.root, trim ? "1" : "0"];
    for (const s of batch) {
      switch (s.kind) {
        case "start":
          keys.push(this.keys.task(s.taskId));
          args.push("s", "q", "", s.taskId, String(s.attempts), s.executor, String(s.at), "", "", "");
          break;
        case "finish":
          keys.push(this.keys.task(s.taskId));
          args.push("f", laneCode(s.lane), s.streamId, s.taskId, s.status, s.result, s.executor,
            s.started ? String(s.started.attempts) : "", s.started ? String(s.started.at) : "", s.logs ?? "");
          break;
        case "requeue":
          keys.push(this.keys.task(s.taskId));
          args.push("r", "q", "", s.taskId, String(s.attempts), "", "", "", "", s.logs ?? "");
          break;
        case "handback":
          keys.push(this.keys.task(s.entry.taskId));
          args.push("h", laneCode(s.entry.lane), s.entry.streamId, s.entry.taskId, "", "", "", "", "", "");
          break;
      }
    }
    return this.scripts.faasSettleTasks(keys.length + 2, this.keys.queue, this.keys.retry, ...keys, ...args);
  }

  /** Cancelled task ids from the cancel channel, on a subscriber connection of its own. */
  async cancels(cancelled: (taskId: string) => void): Promise<{ close(): void }> {
    const listening = listenForCancels(this.opts.url, this.keys.cancel, this.opts.log, cancelled);
    await listening.ready;
    return listening;
  }

  /** Write final outcomes (a `finish` settlement each); resolves with how many were written. */
  finishTasks(batch: FinishedTask[]): Promise<number> {
    return this.settle(batch.map((t) => ({ kind: "finish", ...t })));
  }

  async functionCode(ids: string[]): Promise<(string | null)[]> {
    if (ids.length === 0) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hget(this.keys.fn(id), "code");
    const res = await p.exec();
    // Only Redis's own answer may say "no such function": a reply error (the key is not a hash) is one. A lost
    // connection or a missing reply throws, so the caller retries instead of failing tasks as "deleted".
    return ids.map((_, i) => {
      const [err, v] = res?.[i] ?? [new Error("no reply from Redis"), null];
      if (err instanceof ReplyError) return null;
      if (err) throw err;
      return v as string | null;
    });
  }

  heartbeat(consumer: string, ttlMs: number, figures?: DispatcherFigures): Promise<void> {
    return publishHeartbeat(this.redis, this.keys, consumer, ttlMs, figures);
  }

  /**
   * Take over the entries of dead consumers (whose liveness key expired), idle at least `minIdleMs`, in both
   * streams, and delete consumers that hold nothing. Returns the claimed entries, now owned by `consumer`.
   */
  async claimOrphans(consumer: string, minIdleMs: number, max = 1000): Promise<QueueEntry[]> {
    const claimed: QueueEntry[] = [];
    for (const lane of ["retry", "main"] as const) {
      const stream = lane === "retry" ? this.keys.retry : this.keys.queue;
      let infos: unknown[][];
      try {
        infos = (await this.redis.xinfo("CONSUMERS", stream, this.keys.group)) as unknown[][];
      } catch (err) {
        if (String((err as Error).message).includes("NOGROUP") || String((err as Error).message).includes("no such key")) continue;
        throw err;
      }
      for (const raw of infos) {
        const info = pairs(raw);
        const name = String(info.name);
        if (name === consumer) continue;
        if ((await this.redis.exists(this.keys.alive(name))) === 1) continue;
        const pending = Number(info.pending ?? 0);
        if (pending === 0) {
          await this.redis.xgroup("DELCONSUMER", stream, this.keys.group, name);
          continue;
        }
        const rows = (await this.redis.xpending(stream, this.keys.group, "IDLE", minIdleMs, "-", "+", max, name)) as [string][];
        const ids = rows.map((r) => r[0]);
        if (ids.length === 0) continue;
        const got = await this.claim(lane, consumer, minIdleMs, ids);
        claimed.push(...got);
        this.opts.log.info("recovered tasks of a dead dispatcher", { from: name, tasks: got.length, lane });
      }
    }
    return claimed;
  }

  async reclaimOwn(consumer: string, minIdleMs: number, max = 1000): Promise<QueueEntry[]> {
    const out: QueueEntry[] = [];
    for (const lane of ["retry", "main"] as const) {
      const stream = lane === "retry" ? this.keys.retry : this.keys.queue;
      const rows = (await this.redis.xpending(stream, this.keys.group, "IDLE", minIdleMs, "-", "+", max, consumer)) as [string][];
      const ids = rows.map((r) => r[0]);
      if (ids.length === 0) continue;
      out.push(...(await this.claim(lane, consumer, 0, ids)));
    }
    return out;
  }

  /** XCLAIM `ids` of `lane` for `consumer`; entries deleted from the stream but still pending are acknowledged. */
  private async claim(lane: Lane, consumer: string, minIdleMs: number, ids: string[]): Promise<QueueEntry[]> {
    const stream = lane === "retry" ? this.keys.retry : this.keys.queue;
    const got = (await this.redis.xclaim(stream, this.keys.group, consumer, minIdleMs, ...ids)) as [string, string[]][];
    const live = new Set(got.filter((g) => g?.[1]).map((g) => g[0]));
    const dead = ids.filter((id) => !live.has(id));
    if (dead.length) await this.redis.xack(stream, this.keys.group, ...dead);
    return toEntries(got, lane);
  }

  async leave(consumer: string): Promise<void> {
    await this.redis.del(this.keys.alive(consumer));
    await this.redis.zrem(this.keys.dispatchers, consumer);
    for (const stream of [this.keys.queue, this.keys.retry]) {
      const pending = (await this.redis.xpending(stream, this.keys.group, "-", "+", 1, consumer)) as unknown[];
      if (pending.length === 0) await this.redis.xgroup("DELCONSUMER", stream, this.keys.group, consumer);
    }
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
