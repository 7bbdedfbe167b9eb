/** Worker-thread entry of the `ThreadPool`: runs posted jobs one at a time, in order, and posts their outcomes back. */
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

/** Jobs posted and not started yet, in order: the pool may post the next job while one runs. */
const waiting: RunMessage[] = [];
let running = false;
/** Seq of the job that came without code this thread lacks (`need-code` sent): nothing starts before it. */
let awaitingCode: number | null = null;

self.onmessage = (event: MessageEvent<RunMessage>) => {
  const message = event.data;
  if (awaitingCode !== null && message.seq === awaitingCode) {
    awaitingCode = null;
    waiting.unshift(message); // the same job again, with its code: it keeps its place
  } else {
    waiting.push(message);
  }
  pump();
};

/** Start the next job unless one runs (jobs run one at a time, in the order they were posted). */
function pump(): void {
  if (running || awaitingCode !== null) return;
  const next = waiting.shift();
  if (next === undefined) return;
  const { seq, functionId, args, code } = next;
  if (code === undefined && !executor.has(functionId)) {
    awaitingCode = seq;
    send({ kind: "need-code", seq });
    return;
  }
  running = true;
  current = seq;
  executor.run({ functionId, code: code ?? "", args }).then((outcome) => {
    reply(outcome);
    running = false;
    pump(); // a job posted ahead starts now, without a turn through the pool
  });
}

send({ kind: "ready" });

function describeCrash(err: unknown): string {
  try {
    const text = err instanceof Error ? `uncaught ${err.name}: ${err.message}` : `uncaught non-error value: ${String(err)}`;
    return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
  } catch {
    return "uncaught value that cannot be described";
  }
}
