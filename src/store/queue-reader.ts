/** Blocking reads of new queue entries for one dispatcher, on a Redis connection of its own. */
import type Redis from "ioredis";
import { connectRedis } from "./connect-redis.ts";
import type { Keys } from "./keys.ts";

/** A queue entry delivered to this dispatcher (not yet started). */
export interface QueueEntry {
  streamId: string;
  taskId: string;
}

type StreamReply = [string, [string, string[]][]][] | null;

/** Reads new queue entries for one consumer, blocking on a connection of its own. */
export class QueueReader {
  private conn: Redis | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly keys: Keys,
    private readonly ensureGroup: () => Promise<void>,
    private readonly onClose: (r: QueueReader) => void,
  ) {}

  /** Wait up to `blockMs` for new entries and take at most `count` of them for `consumer`; [] once closed. */
  async read(consumer: string, count: number, blockMs: number): Promise<QueueEntry[]> {
    if (this.closed) return [];
    this.conn ??= connectRedis(this.url, { maxRetriesPerRequest: null });
    let reply: StreamReply;
    try {
      reply = (await this.conn.xreadgroup(
        "GROUP", this.keys.group, consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", this.keys.queue, ">",
      )) as StreamReply;
    } catch (err) {
      if (this.closed) return [];
      if (String((err as Error).message).includes("NOGROUP")) {
        await this.ensureGroup();
        return [];
      }
      throw err;
    }
    return toEntries(reply?.[0]?.[1]);
  }

  /** Close the connection; a read in progress returns []. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn?.disconnect();
    this.conn = null;
    this.onClose(this);
  }
}

/** Queue entries from an XREADGROUP/XCLAIM reply (entries without fields, i.e. deleted, are skipped). */
export function toEntries(rows: [string, string[]][] | undefined): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const row of rows ?? []) {
    if (!row?.[1]) continue;
    const fields = row[1];
    const i = fields.indexOf("t");
    const taskId = i >= 0 ? fields[i + 1] : undefined;
    if (taskId) out.push({ streamId: row[0], taskId });
  }
  return out;
}
