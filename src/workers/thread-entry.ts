/** Worker-thread entry of the `ThreadPool`: runs jobs from its private port one at a time, in order, reports each outcome there, and asks to be replaced when a job left the thread dirty. */
// Loading node:worker_threads re-parents MessagePort.prototype: load it now, so a job that uses it leaves nothing changed.
import "node:worker_threads";
import { createExecutor, type Executor } from "./execute.ts";
import { captureOutput } from "./output-capture.ts";
import { takeRealmSnapshot, type RealmSnapshot } from "./realm-snapshot.ts";
import { DEFAULT_TASK_LOG_LINES } from "./task-log.ts";
import { trackTimers } from "./timer-tracker.ts";
import type { InitMessage, RunMessage, SkipMessage, ThreadMessage } from "./thread-messages.ts";

declare var self: Worker;

/** Exit code of a thread that died from an uncaught error or unhandled rejection in user code. */
const CRASH_EXIT_CODE = 70;

// Everything this module calls after user code has run is captured here, at load, before any user code:
// replacing globals or prototypes can change a task's own outcome, never what is reported or for which job.
const apply = Reflect.apply;
const hasOwn = Object.hasOwn;
const portPost = MessagePort.prototype.postMessage;
const promiseThen = Promise.prototype.then;
const readData = Object.getOwnPropertyDescriptor(MessageEvent.prototype, "data")!.get!;
const exit = process.exit.bind(process);
const signal = process.kill.bind(process);
const timers = trackTimers();
const nextTurn = timers.setImmediate;
const toNumber = Number;

// What a job writes is kept as its log lines and streamed to the pool once per turn while it writes: lines from
// turns before the executor dies have left it already. `process.exit` sends what is left first.
let flushScheduled = false;
const capture = captureOutput(() => {
  if (flushScheduled) return;
  flushScheduled = true;
  nextTurn(flushLogs);
});
function flushLogs(): void {
  flushScheduled = false;
  const batch = capture.take();
  if (batch !== null) send({ kind: "logs", seq: current, lines: batch.lines, truncated: batch.truncated });
}
process.exit = function (code?: number | string | null): never {
  capture.end();
  flushLogs();
  return exit(code as number | undefined);
} as typeof process.exit;

/** The private channel to the pool, from the init message; user code cannot reach it. */
let port: MessagePort | null = null;
let executor: Executor | null = null;
let snapshot: RealmSnapshot | null = null;
/** Kill what each job spawned before the next starts (InitMessage.reap). */
let reap = false;

function send(message: ThreadMessage): void {
  if (port !== null) apply(portPost, port, [message]);
}

// User code may leave work behind (timers, floating promises). If it throws there, the thread's
// state is unknown: report why and exit, so the pool deals with the running job and replaces the thread.
// Bun reports such errors through the global "error" event (under `bun test` only there), and
// through `process` events when run normally; whichever comes first reports.
let crashed = false;
function crash(err: unknown): void {
  if (crashed) return;
  crashed = true;
  try {
    capture.end();
    flushLogs();
    send({ kind: "crash", reason: describeCrash(err) });
  } finally {
    exit(CRASH_EXIT_CODE);
  }
}
self.addEventListener("error", (event: ErrorEvent) => crash(event.error ?? event.message));
self.addEventListener("unhandledrejection", (event: Event) => crash((event as Event & { reason?: unknown }).reason));
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

/** A job posted and not started yet; a linked list of object literals (no array method user code could replace). */
interface Waiting {
  message: RunMessage;
  next: Waiting | null;
}
let head: Waiting | null = null;
let tail: Waiting | null = null;
let running = false;
/** Sequence number of the job running now. */
let current = 0;
/** Seq of the job that came without code this thread lacks (`need-code` sent): nothing starts before it. */
let awaitingCode: number | null = null;
/** Whether user code ran since the realm snapshot was last found unchanged. */
let unchecked = false;
/** The function of the job that ran last: the realm is checked when the next job's function differs. */
let lastFunctionId: string | null = null;
/** Set once the thread asked to be replaced: it starts nothing more. */
let dirty = false;

// The first message on the global channel brings the private port; the global channel is ignored after it.
self.onmessage = (event: MessageEvent<InitMessage>) => {
  const init = event.data;
  if (port !== null || typeof init !== "object" || init === null || init.kind !== "init" || !(init.port instanceof MessagePort)) return;
  self.onmessage = null;
  executor = createExecutor();
  port = init.port;
  reap = init.reap === true;
  port.onmessage = onJob;
  snapshot = takeRealmSnapshot();
  send({ kind: "ready" });
};

function onJob(event: object): void {
  const message = apply(readData, event, []) as RunMessage | SkipMessage;
  if (typeof message !== "object" || message === null || typeof message.seq !== "number") return;
  if (hasOwn(message, "kind") && (message as SkipMessage).kind === "skip") return skip(message.seq);
  onRun(message as RunMessage);
}

function onRun(message: RunMessage): void {
  if (awaitingCode !== null && message.seq === awaitingCode) {
    awaitingCode = null;
    head!.message = message; // the same job again, with its code: it keeps its place (first in line)
  } else {
    const node: Waiting = { message, next: null };
    if (tail === null) head = node;
    else tail.next = node;
    tail = node;
  }
  pump();
}

/** Drop the waiting job `seq` (cancelled before it started) and say whether it was still waiting. */
function skip(seq: number): void {
  let before: Waiting | null = null;
  for (let node = head; node !== null; before = node, node = node.next) {
    if (node.message.seq !== seq) continue;
    if (before === null) head = node.next;
    else before.next = node.next;
    if (tail === node) tail = before;
    if (awaitingCode === seq) awaitingCode = null;
    send({ kind: "skipped", seq, ok: true });
    pump();
    return;
  }
  send({ kind: "skipped", seq, ok: false });
}

/** Start the next job unless one runs (jobs run one at a time, in the order they were posted). */
function pump(): void {
  if (running || awaitingCode !== null || dirty || head === null) return;
  const next = head.message;
  const seq = next.seq;
  const functionId = String(next.functionId);
  // A change a previous job (or work it left behind) made to the realm: refuse to run another function's job here.
  // Checked right before a job starts, so no user code runs between the check and the job. Jobs of the function
  // that ran last share its realm, as warm containers of one function share module state elsewhere: the check
  // (about 60 µs) runs when the thread switches functions, not between two jobs of the same code.
  if (unchecked && functionId !== lastFunctionId) {
    const changed = snapshot!.changed();
    if (changed !== null) return refuse(seq, changed);
    unchecked = false;
  }
  const args = String(next.args);
  const code = hasOwn(next, "code") ? String(next.code) : undefined;
  const limit = hasOwn(next, "maxResultBytes") ? Number(next.maxResultBytes) : undefined;
  const logLines = hasOwn(next, "maxLogLines") ? toNumber(next.maxLogLines) : DEFAULT_TASK_LOG_LINES;
  if (code === undefined && !executor!.has(functionId)) {
    awaitingCode = seq;
    send({ kind: "need-code", seq });
    return;
  }
  head = head.next;
  if (head === null) tail = null;
  running = true;
  unchecked = true;
  lastFunctionId = functionId;
  current = seq;
  capture.begin(logLines);
  apply(promiseThen, executor!.run({ functionId, code: code ?? "", args }, limit), [settled]);
}

function settled(outcome: { status: string; result: string }): void {
  const status = outcome.status === "COMPLETED" ? "COMPLETED" : "FAILED";
  const result = String(outcome.result);
  // Report from a later macrotask: microtasks the job left spinning never let it come, so the job times out.
  nextTurn(report, status, result);
}

function report(status: "COMPLETED" | "FAILED", result: string): void {
  capture.end();
  flushLogs();
  const left = timers.active();
  timers.begin();
  running = false;
  if (reap) {
    try {
      signal(-1, "SIGKILL"); // every process of our PID namespace but its init and this one
    } catch {
      // nothing else runs
    }
  }
  if (left > 0) {
    dirty = true;
    send({ kind: "done", seq: current, status, result, dirty: `${left} timer${left === 1 ? "" : "s"} still active` });
    return;
  }
  send({ kind: "done", seq: current, status, result });
  pump(); // a job posted ahead starts now, without a turn through the pool
}

/** The realm changed since the snapshot: the job `seq` does not start, and the thread asks to be replaced. */
function refuse(seq: number, reason: string): void {
  dirty = true;
  send({ kind: "dirty", seq, reason });
}

function describeCrash(err: unknown): string {
  try {
    const text = err instanceof Error ? `uncaught ${err.name}: ${err.message}` : `uncaught non-error value: ${String(err)}`;
    return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
  } catch {
    return "uncaught value that cannot be described";
  }
}
