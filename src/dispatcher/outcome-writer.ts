/** The one writer of the dispatcher's state changes (starts, finishes, requeues, hand-backs): batched, retried until Redis takes them. */
import type { Log } from "../log.ts";
import type { DispatchQueue, Settlement } from "../store/dispatch-queue.ts";

/** Options of {@link OutcomeWriter}. */
export interface OutcomeWriterOptions {
  /** Most changes written in one round trip. Default: 256. */
  maxBatch?: number;
  /** First wait before retrying a failed write, in ms; doubles per consecutive failure. Default: 100. */
  retryMs?: number;
  /** Longest wait between retries, in ms. Default: 5000. */
  maxRetryMs?: number;
}

/**
 * Writes settlements in order, one batch in flight at a time: whatever arrives while a write is in flight goes
 * into the next one, so a start is always written before (or with) the finish of the same task. A failed batch is
 * retried, with backoff, until Redis takes it or {@link stop} is called; an outage is logged once, not per retry.
 */
export class OutcomeWriter {
  private pending: Settlement[] = [];
  private flushing: Promise<void> | null = null;
  private idle: PromiseWithResolvers<void> | null = null;
  private stopped = false;
  private retryTimer: { timer: Timer; wake: () => void } | null = null;
  private readonly maxBatch: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(
    private readonly queue: DispatchQueue,
    private readonly log: Log,
    opts: OutcomeWriterOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 256;
    this.retryMs = opts.retryMs ?? 100;
    this.maxRetryMs = opts.maxRetryMs ?? 5000;
  }

  /** Changes not written yet (including the batch in flight). */
  get backlog(): number {
    return this.pending.length + (this.flushing ? 1 : 0);
  }

  /** Queue one change for writing. */
  add(change: Settlement): void {
    if (this.stopped) return;
    this.pending.push(change);
    this.flushing ??= this.run();
  }

  /** Resolves once everything added so far is written (or the writer was stopped). */
  get drained(): Promise<void> {
    if (this.flushing === null) return Promise.resolve();
    this.idle ??= Promise.withResolvers<void>();
    return this.idle.promise;
  }

  /** Stop writing and retrying; what is unwritten stays as it was in Redis (recovered by another dispatcher). */
  stop(): void {
    this.stopped = true;
    this.pending = [];
    if (this.retryTimer) {
      clearTimeout(this.retryTimer.timer);
      this.retryTimer.wake();
    }
  }

  private async run(): Promise<void> {
    // Let changes of the same turn of the event loop join the first batch, promise chains included: a finish
    // reaches the writer a few microtasks after the start of the job its thread takes next, and both must land in
    // one batch, or a reader could see both tasks RUNNING at once.
    let failures = 0;
    while (this.pending.length > 0 && !this.stopped) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        await this.queue.settle(batch);
        if (failures > 0) this.log.info("task state writes resumed", { afterFailures: failures });
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        this.pending.unshift(...batch);
        const wait = Math.min(this.retryMs * 2 ** failures, this.maxRetryMs);
        if (failures === 0) this.log.warn("writing task states failed; retrying until Redis takes them", { changes: this.pending.length, err: (err as Error).message });
        failures++;
        await new Promise<void>((wake) => (this.retryTimer = { timer: setTimeout(wake, wait), wake }));
        this.retryTimer = null;
      }
    }
    this.flushing = null;
    const idle = this.idle;
    this.idle = null;
    idle?.resolve();
  }
}
