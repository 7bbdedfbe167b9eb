/** The messages between a `ThreadPool` and its worker threads. */
import type { OutcomeStatus } from "./outcome.ts";
import type { LogLine } from "./task-log.ts";

/**
 * Pool → thread, the first and only message on the worker's global channel: the private port every later
 * message travels on, both ways (user code can post on the global channel, never on this port).
 */
export interface InitMessage {
  kind: "init";
  port: MessagePort;
  /**
   * After each job, kill every other process of the executor's PID namespace but its init (what the job spawned),
   * before the next job starts. Only for an executor process that is PID 2 of its own namespace. Default: false.
   */
  reap?: boolean;
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
  /** Most log lines the job keeps (see `task-log.ts`). Default: 1000. */
  maxLogLines?: number;
}

/**
 * Pool → thread (on the port): drop the job `seq` if it has not started (it was cancelled while it waited behind
 * the running one). The thread answers `skipped`.
 */
export interface SkipMessage {
  kind: "skip";
  seq: number;
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
  /**
   * Lines the running job `seq` wrote since the last batch (sent once per turn of the thread's event loop while it
   * writes, and right before its `done`); `truncated`: lines over the job's cap were dropped.
   */
  | { kind: "logs"; seq: number; lines: LogLine[]; truncated: boolean }
  /** The job came without code and the thread does not have the function cached. */
  | { kind: "need-code"; seq: number }
  /** The answer to a `skip`: `ok` when the job was dropped before it started, false when it had started (or ended). */
  | { kind: "skipped"; seq: number; ok: boolean }
  /** An uncaught error or unhandled rejection; the thread exits right after. */
  | { kind: "crash"; reason: string };
