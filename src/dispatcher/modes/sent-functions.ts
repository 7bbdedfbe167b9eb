/** Which function ids the dispatcher has sent the code of to which worker process, so code travels once per worker. */

/** Function ids remembered per worker before its set is forgotten (the worker then gets code again). Default: 10000. */
const DEFAULT_LIMIT = 10_000;

/**
 * Per worker id, the function ids whose code it was sent. A worker that evicted one answers NEED and gets it again.
 * Its record lives while the mode holds anything of that worker (`joined` / `left`, counted).
 */
export class SentFunctions {
  private readonly byWorker = new Map<string, Set<string>>();
  private readonly holders = new Map<string, number>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** The code to put in a TASK for `workerId`: the code the first time, "" after; records the send. */
  codeFor(workerId: string, functionId: string, code: string): string {
    let set = this.byWorker.get(workerId);
    if (set === undefined) this.byWorker.set(workerId, (set = new Set()));
    if (set.has(functionId)) return "";
    if (set.size >= this.limit) set.clear();
    set.add(functionId);
    return code;
  }

  /** Something of worker `workerId` (a pull lane, a push registration) appeared. */
  joined(workerId: string): void {
    this.holders.set(workerId, (this.holders.get(workerId) ?? 0) + 1);
  }

  /** One is gone; with none left, the worker is forgotten (a new process has a new id). */
  left(workerId: string): void {
    const n = (this.holders.get(workerId) ?? 1) - 1;
    if (n > 0) return void this.holders.set(workerId, n);
    this.holders.delete(workerId);
    this.byWorker.delete(workerId);
  }
}
