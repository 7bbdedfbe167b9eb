/** StartReports: the ids of tasks that started on this worker's threads and are not yet reported to the dispatcher. */

/**
 * Collects task starts. A start is reported either riding on the next RESULT sent in the same event-loop turn
 * (`take`: a task posted behind another starts the moment that one finishes, so its RESULT carries the news),
 * or, for tasks an idle thread started on arrival, in one STARTED message per turn (`send`, called from a
 * `setImmediate` when anything is still unreported).
 */
export class StartReports {
  private readonly ids = new Set<string>();
  /** Reported ahead by `sendNow`: their `add` is a no-op. */
  private readonly ahead = new Set<string>();
  private scheduled = false;

  /** @param send - sends a STARTED message for these ids (never called with none). */
  constructor(private readonly send: (ids: string[]) => void) {}

  /**
   * Report `taskId` at once, before it is handed to an idle thread: the caller hands it over only in a later
   * `setImmediate`, after the socket's flush, so the report is on its way before user code runs (a task that kills
   * its process is still charged an attempt).
   */
  sendNow(taskId: string): void {
    this.ahead.add(taskId);
    this.send([taskId]);
  }

  /** Tasks reported ahead that have not reached their thread yet: they will take that many idle threads. */
  get reserved(): number {
    return this.ahead.size;
  }

  /** `taskId` started on a thread now. */
  add(taskId: string): void {
    if (this.ahead.delete(taskId)) return;
    this.ids.add(taskId);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  /** The unreported starts, for a RESULT of task `finished` (which needs no start report of its own); clears them. */
  take(finished: string): string[] {
    this.ids.delete(finished);
    this.ahead.delete(finished);
    if (this.ids.size === 0) return [];
    const all = [...this.ids];
    this.ids.clear();
    return all;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.ids.size === 0) return;
    const all = [...this.ids];
    this.ids.clear();
    this.send(all);
  };
}
