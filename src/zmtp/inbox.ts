/** Inbox: the messages a socket received and nobody has asked for yet, in arrival order, pausing a peer that reaches the receive high-water mark. */
import type { Connection } from "./connection.ts";

/** One received message and the connection it came from. */
export interface Inbound {
  conn: Connection;
  frames: Buffer[];
}

/**
 * A FIFO of received messages with amortised O(1) shift. It counts each connection's queued messages
 * (`queuedInbound`) and stops reading from a connection while it has `receiveHighWaterMark` of them queued.
 */
export class Inbox {
  private items: Inbound[] = [];
  private head = 0;

  /** @param opts - the socket's options; `receiveHighWaterMark` (0: unlimited) is read on every push and shift. */
  constructor(private readonly opts: { readonly receiveHighWaterMark: number }) {}

  /** True when no message is queued. */
  get empty(): boolean {
    return this.head === this.items.length;
  }

  /** Queues a message; pauses its connection once it reaches the receive high-water mark. */
  push(conn: Connection, frames: Buffer[]): void {
    this.items.push({ conn, frames });
    conn.queuedInbound++;
    const hwm = this.opts.receiveHighWaterMark;
    if (hwm > 0 && conn.queuedInbound >= hwm) conn.pause();
  }

  /** Takes the oldest message (the inbox must not be empty); resumes its connection when it drops below the mark. */
  shift(): Inbound {
    const item = this.items[this.head++] as Inbound;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    const hwm = this.opts.receiveHighWaterMark;
    if (item.conn.queuedInbound-- === hwm && hwm > 0) item.conn.resume();
    return item;
  }

  /** Drops every queued message (the socket closed). */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
