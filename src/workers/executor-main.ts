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
  const send = (message: ThreadMessage | { kind: "got"; seq: number }) => {
    if (channel !== null) sendRaw(channel.seal(message));
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
    // Let the ipc write go out before exiting.
    setImmediate(() => process.exit(code));
  };
  // kill(-1) signals every process we may signal: inside our own PID namespace only, hence the pid check.
  const reapAfterJobs = reap && process.pid === 2 && process.ppid === 1;
  const port = openPrivatePort(worker, (data) => {
    if (ending) return;
    if ((data as { kind?: unknown } | null)?.kind === "done") awaiting = null;
    send(data as ThreadMessage);
    if (reapAfterJobs && (data as { kind?: unknown } | null)?.kind === "done") {
      try {
        process.kill(-1, "SIGKILL");
      } catch {
        // nothing else runs
      }
    }
  });
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
    const message = channel.open(sealed);
    if (message === null) process.exit(TAMPERED_EXIT_CODE);
    const seq = (message as { seq?: unknown }).seq;
    awaiting = typeof seq === "number" ? { seq, at: performance.now() } : null;
    if (awaiting !== null && gotTimer === null) gotTimer = setTimeout(checkGot, GOT_AFTER_MS);
    port.postMessage(message);
  });
  process.on("disconnect", () => process.exit(0));
  return true;
}
