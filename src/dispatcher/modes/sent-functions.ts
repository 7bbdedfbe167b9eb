/** Which function ids the dispatcher has sent the code of to which worker process, so code travels once per worker. */

/** Function ids remembered per worker before its set is forgotten (the worker then gets code again). Default: 10000. */
const DEFAULT_LIMIT = 10_000;

/** Per worker id, the function ids whose code it was sent. A worker that evicted one answers NEED and gets it again. */
export class SentFunctions {
  private readonly byWorker = new Map<string, Set<string>>();

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

  /** Forget a worker (it left; a new process has a new id). */
  forget(workerId: string): void {
    this.byWorker.delete(workerId);
  }
}
