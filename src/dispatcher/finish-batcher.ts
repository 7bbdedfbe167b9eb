/** Collects task outcomes and writes them to Redis in batches, one flush in flight at a time, retrying on errors. */
import type { Log } from "../log.ts";
import type { FinishedTask, TaskQueue } from "../store/task-queue.ts";

/** Options of {@link FinishBatcher}. */
export interface FinishBatcherOptions {
  /** Most outcomes written in one round trip. Default: 256. */
  maxBatch?: number;
  /** Wait before retrying a failed write, in ms. Default: 500. */
  retryMs?: number;
}

/** Batches outcomes: whatever arrives while a write is in flight goes into the next one. */
export class FinishBatcher {
  private pending: FinishedTask[] = [];
  private flushing: Promise<void> | null = null;
  private readonly maxBatch: number;
  private readonly retryMs: number;
  private stopped = false;

  constructor(
    private readonly queue: TaskQueue,
    private readonly log: Log,
    opts: FinishBatcherOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 256;
    this.retryMs = opts.retryMs ?? 500;
  }

  /** Queue one outcome for writing. */
  add(task: FinishedTask): void {
    this.pending.push(task);
    this.flushing ??= this.run();
  }

  /** Resolves when everything added so far is written (or the batcher was stopped). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Stop retrying; unwritten outcomes stay unacknowledged in Redis and are recovered by another dispatcher. */
  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    // Let outcomes of the same tick join the first batch.
    await Promise.resolve();
    while (this.pending.length > 0 && !this.stopped) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        await this.queue.finishTasks(batch);
      } catch (err) {
        this.log.warn("writing task outcomes failed; retrying", { tasks: batch.length, err: (err as Error).message });
        this.pending.unshift(...batch);
        await Bun.sleep(this.retryMs);
      }
    }
    this.flushing = null;
  }
}
