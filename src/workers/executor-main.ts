/** `faas executor` (hidden): an executor process holding one Bun Worker thread, relaying its parent's jobs to it over ipc. */
import { openPrivatePort, summarizeError } from "./executor-handle.ts";
import { SealedChannel } from "./sealed-channel.ts";
import { threadEntryUrl } from "./thread-entry-url.ts";
import type { ThreadMessage } from "./thread-messages.ts";

/** Exit code when the thread raised an error event without exiting (as thread-entry's own crash code). */
const CRASH_EXIT_CODE = 70;
/** Exit code when a message on the channel was not sealed by the pool (code of a job wrote there). */
const TAMPERED_EXIT_CODE = 71;
/**
 * A job still running after this long is confirmed to the pool with a `got` message: the pool replaces an
 * executor that says nothing about a job for 5 s (its message was read off the channel by someone else).
 */
const GOT_AFTER_MS = 1000;

/**
 * Run as an executor process: start the thread entry in one Worker, pass every parent message to it and every
 * thread message back, and exit with the thread's exit code when it ends (the parent then replaces this process
 * and fails the job it was running). Exits when the parent's channel closes. Returns false (nothing started) when
 * there is no ipc channel: the executor is only ever started by a `ThreadPool` with process isolation.
 *
 * `reap` (the sandbox's `--reap`, only when this process is PID 2 of its own PID namespace): after each job, kill
 * every other process of the namespace but its init, so nothing a job spawned outlives it. Default: false.
 */
export function runExecutor(reap = false): boolean {
  const sendRaw = process.send?.bind(process);
  if (sendRaw === undefined) return false;
  // The first message is the channel's keys; every later one, both ways, is sealed with them.
  let channel: SealedChannel | null = null;
  // What the thread says goes out once per turn of the event loop: the messages of one turn (several jobs' `done`
  // when jobs are short) travel sealed together as one `batch`, one write and one wake-up of the pool.
  let outbox: (ThreadMessage | { kind: "got"; seq: number })[] = [];
  const flush = () => {
    const messages = outbox;
    outbox = [];
    if (channel === null || messages.length === 0) return;
    sendRaw(channel.sealAll(messages));
  };
  const send = (message: ThreadMessage | { kind: "got"; seq: number }) => {
    if (outbox.length === 0) setImmediate(flush);
    outbox.push(message);
  };
  // One timer, armed when a job comes and none is pending, re-armed for what is left of the newest job's second
  // (no setTimeout/clearTimeout per job): a job that ends within its second costs no timer operation.
  let awaiting: { seq: number; at: number } | null = null;
  let gotTimer: Timer | null = null;
  const checkGot = () => {
    gotTimer = null;
    if (awaiting === null) return;
    const left = awaiting.at + GOT_AFTER_MS - performance.now();
    if (left > 0) {
      gotTimer = setTimeout(checkGot, left);
      return;
    }
    send({ kind: "got", seq: awaiting.seq });
    awaiting = null;
  };
  const worker = new Worker(threadEntryUrl());
  let ending = false;
  const end = (code: number, last?: ThreadMessage) => {
    if (ending) return;
    ending = true;
    if (last !== undefined) send(last);
    flush();
    // Let the ipc write go out before exiting.
    setImmediate(() => process.exit(code));
  };
  // kill(-1) signals every process we may signal: inside our own PID namespace only, hence the pid check.
  const reapAfterJobs = reap && process.pid === 2 && process.ppid === 1;
  // The thread reaps (before it starts its next job, which may already wait behind the one that ended).
  const port = openPrivatePort(worker, (data) => {
    if (ending) return;
    const said = data as { kind?: unknown; seq?: unknown } | null;
    if (awaiting !== null && (said?.kind === "done" || said?.kind === "skipped") && said.seq === awaiting.seq) awaiting = null;
    send(data as ThreadMessage);
  }, reapAfterJobs);
  worker.addEventListener("error", (event: ErrorEvent) => {
    end(CRASH_EXIT_CODE, { kind: "crash", reason: summarizeError(event.message) || "uncaught error" });
  });
  worker.addEventListener("close", (event: CloseEvent) => end(event.code));
  process.on("message", (sealed: unknown) => {
    if (ending) return;
    if (channel === null) {
      channel = SealedChannel.fromKeys(sealed);
      if (channel === null) process.exit(TAMPERED_EXIT_CODE);
      return;
    }
    const messages = channel.openAll(sealed);
    if (messages === null) process.exit(TAMPERED_EXIT_CODE);
    for (const one of messages) {
      const seq = (one as { kind?: unknown; seq?: unknown } | null)?.seq;
      // The newest job must be confirmed (`got`) if it is still not done in a second; a skip is answered at once.
      if (typeof seq === "number" && (one as { kind?: unknown }).kind !== "skip") awaiting = { seq, at: performance.now() };
      port.postMessage(one);
    }
    if (awaiting !== null && gotTimer === null) gotTimer = setTimeout(checkGot, GOT_AFTER_MS);
  });
  process.on("disconnect", () => process.exit(0));
  return true;
}
