/** StartReports: the ids of tasks that started on this worker's threads and are not yet reported to the dispatcher. */

/**
 * Collects task starts. A start is reported either riding on the next RESULT sent in the same event-loop turn
 * (`take`: a task posted behind another starts the moment that one finishes, so its RESULT carries the news),
 * or, for tasks an idle thread started on arrival, in one STARTED message per turn (`send`, called from a
 * `setImmediate` when anything is still unreported).
 */
export class StartReports {
  private readonly ids = new Set<string>();
  private scheduled = false;

  /** @param send - sends a STARTED message for these ids (never called with none). */
  constructor(private readonly send: (ids: string[]) => void) {}

  /** `taskId` started on a thread now. */
  add(taskId: string): void {
    this.ids.add(taskId);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  /** The unreported starts, for a RESULT of task `finished` (which needs no start report of its own); clears them. */
  take(finished: string): string[] {
    this.ids.delete(finished);
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
