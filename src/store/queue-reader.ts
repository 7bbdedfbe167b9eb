/** Blocking reads of new queue entries for one dispatcher, on a Redis connection of its own. */
import type Redis from "ioredis";
import { connectRedis } from "./connect-redis.ts";
import type { Keys } from "./keys.ts";
import { toEntries, type QueueEntry } from "./task-queue.ts";

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
