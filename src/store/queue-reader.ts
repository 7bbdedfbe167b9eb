/** Blocking reads of new queue entries for one dispatcher, on a Redis connection of its own (retry stream first). */
import type Redis from "ioredis";
import { connectRedis } from "./connect-redis.ts";
import type { Lane, QueueEntry, QueueReading } from "./dispatch-queue.ts";
import type { Keys } from "./keys.ts";

type StreamReply = [string, [string, string[]][]][] | null;

/**
 * Reads new entries of both streams for one consumer in one blocking XREADGROUP: the retry stream's entries come
 * first. Redis applies COUNT per stream, so a read may return up to twice `count` when both streams have entries
 * (those wait in the dispatcher, QUEUED and uncharged, like any prefetched task).
 */
export class QueueReader implements QueueReading {
  private conn: Redis | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly keys: Keys,
    private readonly ensureGroup: () => Promise<void>,
    private readonly onClose: (r: QueueReader) => void,
  ) {}

  async read(consumer: string, count: number, blockMs: number): Promise<QueueEntry[]> {
    if (this.closed) return [];
    this.conn ??= connectRedis(this.url, { maxRetriesPerRequest: null });
    let reply: StreamReply;
    try {
      reply = (await this.conn.xreadgroup(
        "GROUP", this.keys.group, consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", this.keys.retry, this.keys.queue, ">", ">",
      )) as StreamReply;
    } catch (err) {
      if (this.closed) return [];
      if (String((err as Error).message).includes("NOGROUP")) {
        await this.ensureGroup();
        return [];
      }
      throw err;
    }
    if (reply === null) return [];
    const out: QueueEntry[] = [];
    for (const lane of ["retry", "main"] as const) {
      const key = lane === "retry" ? this.keys.retry : this.keys.queue;
      const rows = reply.find((r) => r[0] === key)?.[1];
      out.push(...toEntries(rows, lane));
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn?.disconnect();
    this.conn = null;
    this.onClose(this);
  }
}

/** Queue entries from an XREADGROUP/XCLAIM reply (entries without fields, i.e. deleted, are skipped). */
export function toEntries(rows: [string, string[]][] | undefined, lane: Lane = "main"): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const row of rows ?? []) {
    if (!row?.[1]) continue;
    const fields = row[1];
    const i = fields.indexOf("t");
    const taskId = i >= 0 ? fields[i + 1] : undefined;
    if (taskId) out.push(lane === "main" ? { streamId: row[0], taskId } : { streamId: row[0], taskId, lane });
  }
  return out;
}
