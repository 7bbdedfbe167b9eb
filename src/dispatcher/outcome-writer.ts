/** The one writer of the dispatcher's state changes (starts, finishes, requeues, hand-backs): batched, pipelined, retried until Redis takes them. */
import type { Log } from "../log.ts";
import type { DispatchQueue, Settlement } from "../store/dispatch-queue.ts";

/** Options of {@link OutcomeWriter}. */
export interface OutcomeWriterOptions {
  /** Most changes written in one round trip. Default: 256. */
  maxBatch?: number;
  /** Batches sent and not yet answered at once (they travel in order on one connection). Default: 4. */
  maxInFlight?: number;
  /** First wait before retrying a failed write, in ms; doubles per consecutive failure. Default: 100. */
  retryMs?: number;
  /** Longest wait between retries, in ms. Default: 5000. */
  maxRetryMs?: number;
}

type StartChange = Extract<Settlement, { kind: "start" }>;

/**
 * Writes settlements in order. A batch takes a whole turn of the event loop, so a finish and the start of the
 * task its thread takes next land together (no reader sees both RUNNING); a start still waiting when its task's
 * finish comes is folded into that finish (one change instead of two). Up to `maxInFlight` batches travel at
 * once, in order on one connection; a failed batch is retried, with backoff, until Redis takes it or
 * {@link stop} is called. A retried batch may land after a later one: every change names its attempt, so an
 * older one never overwrites a newer (see Settlement). An outage is logged once, not per retry.
 */
export class OutcomeWriter {
  private pending: (Settlement | null)[] = [];
  /** Starts in `pending` by task id (their index there), until sent or folded into a finish. */
  private starts = new Map<string, number>();
  private inFlight = 0;
  private scheduled = false;
  private idle: PromiseWithResolvers<void> | null = null;
  private stopped = false;
  private failures = 0;
  private retryTimer: Timer | null = null;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(
    private readonly queue: DispatchQueue,
    private readonly log: Log,
    opts: OutcomeWriterOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 256;
    this.maxInFlight = opts.maxInFlight ?? 4;
    this.retryMs = opts.retryMs ?? 100;
    this.maxRetryMs = opts.maxRetryMs ?? 5000;
  }

  /** Changes not written yet (waiting or in flight batches). */
  get backlog(): number {
    return this.pending.length + this.inFlight;
  }

  /** Queue one change for writing. */
  add(change: Settlement): void {
    if (this.stopped) return;
    if (change.kind === "finish") {
      const i = this.starts.get(change.taskId);
      if (i !== undefined) {
        const start = this.pending[i] as StartChange;
        this.pending[i] = null;
        this.starts.delete(change.taskId);
        change = { ...change, started: { attempts: start.attempts, at: start.at } };
      }
    } else if (change.kind === "start") {
      this.starts.set(change.taskId, this.pending.length);
    }
    this.pending.push(change);
    this.schedule();
  }

  /** Resolves once everything added so far is written (or the writer was stopped). */
  get drained(): Promise<void> {
    if (this.backlog === 0 || this.stopped) return Promise.resolve();
    this.idle ??= Promise.withResolvers<void>();
    return this.idle.promise;
  }

  /** Stop writing and retrying; what is unwritten stays as it was in Redis (recovered by another dispatcher). */
  stop(): void {
    this.stopped = true;
    this.pending = [];
    this.starts.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.settleIdle();
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer !== null || this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    // Let changes of this turn of the event loop join the batch, promise chains included.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.stopped || this.retryTimer !== null) return;
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch: Settlement[] = [];
      let taken = 0;
      while (taken < this.pending.length && batch.length < this.maxBatch) {
        const c = this.pending[taken++];
        if (c) batch.push(c);
      }
      this.pending.splice(0, taken);
      this.starts.clear();
      this.pending.forEach((c, i) => c?.kind === "start" && this.starts.set(c.taskId, i));
      if (batch.length === 0) continue;
      this.inFlight++;
      void this.queue.settle(batch).then(
        () => {
          if (this.failures > 0) this.log.info("task state writes resumed", { afterFailures: this.failures });
          this.failures = 0;
          this.done();
        },
        (err: Error) => {
          if (!this.stopped) {
            this.pending.unshift(...batch);
            this.starts.clear();
            this.pending.forEach((c, i) => c?.kind === "start" && this.starts.set(c.taskId, i));
            if (this.failures === 0) this.log.warn("writing task states failed; retrying until Redis takes them", { changes: this.pending.length, err: err.message });
            const wait = Math.min(this.retryMs * 2 ** this.failures, this.maxRetryMs);
            this.failures++;
            if (this.retryTimer === null) {
              this.retryTimer = setTimeout(() => {
                this.retryTimer = null;
                this.schedule();
              }, wait);
            }
          }
          this.done();
        },
      );
    }
  }

  private done(): void {
    this.inFlight--;
    this.schedule();
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.idle === null || (!this.stopped && this.backlog > 0)) return;
    const idle = this.idle;
    this.idle = null;
    idle.resolve();
  }
}
