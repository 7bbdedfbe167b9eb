/** Worker-thread entry of the `ThreadPool`: runs posted jobs one at a time and posts their outcomes back. */
import { createExecutor } from "./execute.ts";
import type { Outcome } from "./outcome.ts";
import type { RunMessage, ThreadMessage } from "./thread-messages.ts";

declare var self: Worker;

/** Exit code of a thread that died from an uncaught error or unhandled rejection in user code. */
const CRASH_EXIT_CODE = 70;

const executor = createExecutor();

function send(message: ThreadMessage): void {
  postMessage(message);
}

/** Sequence number of the job running now. */
let current = 0;

function reply(outcome: Outcome): void {
  send({ kind: "done", seq: current, status: outcome.status, result: outcome.result });
}

// User code may leave work behind (timers, floating promises). If it throws there, the thread's
// state is unknown: report why and exit, so the pool fails the running job and replaces the thread.
// Bun reports such errors through the global "error" event (under `bun test` only there), and
// through `process` events when run normally; whichever comes first reports.
let crashed = false;
function crash(err: unknown): void {
  if (crashed) return;
  crashed = true;
  try {
    send({ kind: "crash", reason: describeCrash(err) });
  } finally {
    process.exit(CRASH_EXIT_CODE);
  }
}
self.addEventListener("error", (event: ErrorEvent) => crash(event.error ?? event.message));
self.addEventListener("unhandledrejection", (event: Event) => crash((event as Event & { reason?: unknown }).reason));
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

self.onmessage = (event: MessageEvent<RunMessage>) => {
  const { seq, functionId, args, code } = event.data;
  if (code === undefined && !executor.has(functionId)) {
    send({ kind: "need-code", seq });
    return;
  }
  current = seq;
  executor.run({ functionId, code: code ?? "", args }).then(reply);
};

send({ kind: "ready" });

function describeCrash(err: unknown): string {
  try {
    const text = err instanceof Error ? `uncaught ${err.name}: ${err.message}` : `uncaught non-error value: ${String(err)}`;
    return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
  } catch {
    return "uncaught value that cannot be described";
  }
}
