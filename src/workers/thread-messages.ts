/** The messages between a `ThreadPool` and its worker threads. */
import type { OutcomeStatus } from "./outcome.ts";

/**
 * Pool → thread, the first and only message on the worker's global channel: the private port every later
 * message travels on, both ways (user code can post on the global channel, never on this port).
 */
export interface InitMessage {
  kind: "init";
  port: MessagePort;
}

/**
 * Pool → thread (on the port): run one job. `code` is sent only when the pool believes the thread has not
 * compiled `functionId` yet; a thread that lacks it answers `need-code` and gets the job again with code.
 */
export interface RunMessage {
  /** Job sequence number on this thread, echoed in the reply. */
  seq: number;
  functionId: string;
  args: string;
  code?: string;
  /** Largest result payload in UTF-8 bytes (see `result-limit.ts`). Default: 10 MiB. */
  maxResultBytes?: number;
}

/** Thread → pool (on the port). A thread runs one job at a time, so replies need no job id. */
export type ThreadMessage =
  /** The thread has loaded, taken its snapshot and takes jobs. */
  | { kind: "ready" }
  /**
   * The job finished. `dirty`: what the job left behind (active timers, changed globals); the thread runs
   * nothing more and asks to be replaced before the next job.
   */
  | { kind: "done"; seq: number; status: OutcomeStatus; result: string; dirty?: string }
  /**
   * The realm changed since the thread's snapshot (a job, or work one left behind, altered globals or built-ins):
   * the job `seq` did not start, nothing more will; replace the thread and run its jobs elsewhere.
   */
  | { kind: "dirty"; seq: number; reason: string }
  /** The job came without code and the thread does not have the function cached. */
  | { kind: "need-code"; seq: number }
  /** An uncaught error or unhandled rejection; the thread exits right after. */
  | { kind: "crash"; reason: string };
