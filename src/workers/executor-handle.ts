/** The seam between a pool slot and what runs its jobs: a Bun Worker thread here, or an executor process. */
import type { PoolJob } from "./outcome.ts";
import type { InitMessage, RunMessage, SkipMessage } from "./thread-messages.ts";

/** How an executor ended, as far as its handle can tell. */
export interface ExecutorEnd {
  /** Exit code, or null when the executor raised an error event (threads) or was killed by a signal (processes). */
  code: number | null;
  /** Why, when the handle knows more than the code: an error event's message, a signal's name, …. Default: none. */
  reason?: string;
  /** Set when the executor was killed for using more memory than its limit: the limit in MB. Default: none. */
  memoryLimitMb?: number;
}

/** What an executor tells its slot. Calls made after `terminate()` are dropped by the slot. */
export interface ExecutorCallbacks {
  /** A message from the executor (untrusted: the slot validates it). */
  message(raw: unknown): void;
  /** The executor is gone. Called once. */
  ended(end: ExecutorEnd): void;
}

/** One running executor (replaced as a whole when it dies or a job times out). */
export interface ExecutorHandle {
  /** Hand the executor a job message; `job` is the pool job it belongs to (its limits). */
  post(message: RunMessage, job: PoolJob): void;
  /** Ask it to drop the job `seq` if that has not started (answered with a `skipped` message). Default: none (it holds one job at a time). */
  skip?(seq: number): void;
  /** Kill it now (a process with everything it spawned). Idempotent. */
  terminate(): void;
  /** Resolves once the executor is really gone (after `terminate()` or by itself). */
  readonly gone: Promise<void>;
}

/** Starts executors. Throws when one cannot even be started. */
export interface ExecutorFactory {
  /** `Thread` for Bun Worker threads in this process, `Process` for executor processes. */
  readonly kind: "thread" | "process";
  /** Start an executor for the slot `index` (1-based) named `label`. */
  start(index: number, label: string, callbacks: ExecutorCallbacks): ExecutorHandle;
  /**
   * Whether a slot may post this executor a train of jobs of one function behind the running one (executor
   * processes: see `ThreadPoolOptions.trainLength`). Default: false.
   */
  readonly trains?: boolean;
  /** A job sequence number: a counter for threads, unguessable for processes. */
  nextSeq(previous: number): number;
  /** Release what the factory holds (cgroups). Idempotent. */
  close(): Promise<void>;
}

/** Executors as Bun Worker threads of this process, loading `entry` (the thread entry). */
export function threadExecutors(entry: string | URL): ExecutorFactory {
  return {
    kind: "thread",
    nextSeq: (previous) => previous + 1,
    close: async () => {},
    start(_index, _label, callbacks) {
      const worker = new Worker(entry);
      const port = openPrivatePort(worker, (data) => callbacks.message(data));
      const gone = Promise.withResolvers<void>();
      let ended = false;
      let reason: string | undefined;
      const end = (code: number | null) => {
        if (ended) return;
        ended = true;
        callbacks.ended({ code, reason });
      };
      worker.addEventListener("error", (event: ErrorEvent) => {
        reason ??= summarizeError(event.message) || "uncaught error";
        end(null);
      });
      worker.addEventListener("close", (event: CloseEvent) => {
        port.close();
        gone.resolve();
        end(event.code);
      });
      return {
        post: (message) => port.postMessage(message),
        skip: (seq) => port.postMessage({ kind: "skip", seq } satisfies SkipMessage),
        terminate: () => {
          port.close();
          worker.terminate();
        },
        gone: gone.promise,
      };
    },
  };
}

/**
 * Give a thread-entry worker its private channel: a MessagePort sent in the `init` message, the only message on the
 * worker's global channel. Every later message, both ways, goes over the returned port; what user code posts on the
 * global channel is never read.
 */
export function openPrivatePort(worker: Worker, onMessage: (data: unknown) => void, reap = false): MessagePort {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => onMessage(event.data);
  const init: InitMessage = { kind: "init", port: channel.port2, ...(reap ? { reap } : {}) };
  worker.postMessage(init, [channel.port2]);
  return channel.port1;
}

/** The telling line of a worker error event's message (Bun prefixes it with a source excerpt). */
export function summarizeError(text: string | undefined): string {
  if (!text) return "";
  const lines = text.split("\n").map((line) => line.trim()).filter((line) => line.length > 0);
  return lines.find((line) => /^\w*(error|exception)\b/i.test(line)) ?? lines[0] ?? "";
}
