/** mapTasks: the batches of `FaasClient.map` — submitted a few at a time, each collected with `/results`, values in order. */
import type { Deadline } from "./deadline.ts";
import type { Batch, MapOptions, ResultResponse, ResultsOptions, Settled, SubmitOptions } from "./types.ts";
import { toError, decode } from "../codec/index.ts";

/** What mapTasks needs of the client. */
export interface MapClient {
  submitMany(functionId: string, argsList: unknown[][], opts?: SubmitOptions): Promise<Batch>;
  results(taskIds: string[], opts?: ResultsOptions): Promise<ResultResponse[]>;
}

const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/**
 * Run `functionId` once per item of `argsList`: `batchSize` items per `/execute_batch`, `concurrency` batches in
 * flight, each collected by long-polls of `/results` until all its tasks are final. With `errors: "throw"` the
 * first failure seen stops submitting, cancels the other lanes' requests and rejects with the task's decoded error.
 */
export async function mapTasks(client: MapClient, functionId: string, argsList: unknown[][], opts: MapOptions, d: Deadline): Promise<unknown[]> {
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 1000, 10_000));
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const collect = opts.errors === "collect";
  const out: unknown[] = new Array(argsList.length);
  let next = 0;
  let failure: { error: Error } | null = null;
  // Aborted by the call's deadline or signal, and by the first failure (so no lane waits on a long-poll for nothing).
  const stop = new AbortController();
  const relay = () => stop.abort(d.signal.reason);
  if (d.signal.aborted) relay();
  else d.signal.addEventListener("abort", relay, { once: true });
  const signal = stop.signal;
  const lane = async () => {
    while (failure === null && next < argsList.length) {
      const from = next;
      next += batchSize;
      const { taskIds } = await client.submitMany(functionId, argsList.slice(from, from + batchSize), { signal, timeoutMs: d.left() });
      let open = taskIds.map((_, i) => i);
      while (open.length > 0 && failure === null) {
        const states = await client.results(open.map((i) => taskIds[i]!), { wait: 60, signal, timeoutMs: d.left() });
        const still: number[] = [];
        states.forEach((s, j) => {
          const i = open[j]!;
          if (!FINAL.has(s.status)) return void still.push(i);
          const value = s.result === null ? undefined : decode(s.result);
          if (s.status === "COMPLETED") out[from + i] = collect ? ({ status: "fulfilled", value } satisfies Settled) : value;
          else if (collect) out[from + i] = { status: "rejected", reason: toError(value) } satisfies Settled;
          else if (failure === null) {
            failure = { error: toError(value) };
            stop.abort(failure.error);
          }
        });
        open = still;
        d.check();
      }
    }
  };
  const guarded = () => lane().catch((err: unknown) => {
    if (failure === null) throw err; // a lane cancelled because another failed has nothing to add
  });
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(argsList.length / batchSize)) }, guarded));
  } finally {
    d.signal.removeEventListener("abort", relay);
  }
  if (failure !== null) throw (failure as { error: Error }).error;
  return out;
}
