/** Deadlines and cancellation of the client's waiting calls: one AbortSignal from the caller's signal and a time limit. */
import { FaasClientError } from "./faas-client-error.ts";

/** Options every waiting call of the client takes. */
export interface WaitOptions {
  /** Cancels the call: it rejects with a FaasClientError "ABORTED". Default: none. */
  signal?: AbortSignal;
  /** Longest time the whole call may take, in ms; then it rejects with a FaasClientError "TIMEOUT". Default: the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** A running deadline: its signal (aborted by the caller's signal or the time limit) and how much time is left. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Milliseconds left (0 once past). */
  left(): number;
  /** Throws the call's FaasClientError when the signal fired (ABORTED or TIMEOUT). */
  check(): void;
  /** The FaasClientError for a fetch that failed because the signal fired, else null. */
  reason(): FaasClientError | null;
  /** Stop the timer. */
  dispose(): void;
}

/** Start a deadline of `ms` linked to `outer`. */
export function startDeadline(ms: number, outer: AbortSignal | undefined, what: string): Deadline {
  const controller = new AbortController();
  const end = Date.now() + ms;
  let why: FaasClientError | null = null;
  const fire = (err: FaasClientError) => {
    if (why) return;
    why = err;
    controller.abort(err);
  };
  const timer = setTimeout(() => fire(new FaasClientError(0, "TIMEOUT", `${what} did not finish within ${ms} ms`)), ms);
  const onAbort = () => fire(new FaasClientError(0, "ABORTED", `${what} was aborted`, { cause: outer?.reason }));
  if (outer?.aborted) onAbort();
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    left: () => Math.max(0, end - Date.now()),
    check() {
      if (why) throw why;
    },
    reason: () => why,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

/** Run `body` under a deadline; disposes of it when done. */
export async function withDeadline<T>(ms: number, outer: AbortSignal | undefined, what: string, body: (d: Deadline) => Promise<T>): Promise<T> {
  const d = startDeadline(ms, outer, what);
  try {
    return await body(d);
  } catch (err) {
    throw d.reason() ?? err;
  } finally {
    d.dispose();
  }
}
