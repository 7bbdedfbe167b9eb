/** Batched writing of one connection's outbound queue: one flush per tick (at once when much is queued), waiting for drain after a short write, and linger on close. */
import { OutboundQueue } from "./outbound-queue.ts";
import type { Stream } from "./transport.ts";

const EAGER_FLUSH = 256 * 1024; // flush at once when this much is queued

/** Writes a connection's {@link OutboundQueue} to its stream: batched per tick, paused by short writes. */
export class BatchedWriter {
  /** The bytes waiting to be handed to the OS. */
  readonly queue = new OutboundQueue();
  private blocked = false;
  private scheduled = false;
  private stopped = false;
  private whenWritten: (() => void) | null = null;
  private lingerTimer: Timer | null = null;
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /**
   * @param stream - where the bytes go.
   * @param onEmptied - called after every flush that left the queue empty (unless a {@link linger} is pending).
   */
  constructor(
    private readonly stream: Stream,
    private readonly onEmptied: () => void,
  ) {}

  /** Flushes at the end of the tick, or at once when at least 256 KiB are queued. */
  schedule(): void {
    if (this.queue.bytes >= EAGER_FLUSH) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushNow);
  }

  /** Writes what the stream takes now; after a short write, nothing more until {@link drained}. */
  flush(): void {
    if (this.blocked || this.stopped) return;
    if (!this.queue.writeTo(this.stream)) {
      this.blocked = true;
      return;
    }
    if (this.whenWritten !== null) return this.whenWritten();
    this.onEmptied();
  }

  /** The stream accepts bytes again after a short write. */
  drained(): void {
    this.blocked = false;
    this.flush();
  }

  /**
   * Flushes, then calls `written` once nothing is queued any more (at once if nothing is, or if `lingerMs` is 0),
   * or `expired` after `lingerMs` ms if that comes first (-1: no limit). ZMQ_LINGER semantics.
   */
  linger(lingerMs: number, written: () => void, expired: () => void): void {
    this.flush();
    if (this.queue.bytes === 0 || lingerMs === 0) return written();
    this.whenWritten = written;
    if (lingerMs > 0) this.lingerTimer = setTimeout(expired, lingerMs);
  }

  /** Drops everything queued and stops the linger time; later flushes do nothing. */
  stop(): void {
    this.stopped = true;
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.queue.clear();
  }
}
