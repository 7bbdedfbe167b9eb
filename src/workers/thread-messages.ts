/** The messages between a `ThreadPool` and its worker threads. */
import type { OutcomeStatus } from "./outcome.ts";

/**
 * Pool → thread: run one job. `code` is sent only when the pool believes the thread has not
 * compiled `functionId` yet; a thread that lacks it answers `need-code` and gets the job again with code.
 */
export interface RunMessage {
  /** Job sequence number on this thread, echoed in the reply (stray messages from user code are ignored). */
  seq: number;
  functionId: string;
  args: string;
  code?: string;
}

/** Thread → pool. A thread runs one job at a time, so replies need no job id. */
export type ThreadMessage =
  /** The thread has loaded and takes jobs. */
  | { kind: "ready" }
  /** The job finished. */
  | { kind: "done"; seq: number; status: OutcomeStatus; result: string }
  /** The job came without code and the thread does not have the function cached. */
  | { kind: "need-code"; seq: number }
  /** An uncaught error or unhandled rejection; the thread exits right after. */
  | { kind: "crash"; reason: string };
