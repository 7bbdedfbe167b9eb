/** The messages between the dispatcher and remote workers (pull and push modes): shapes and frame layouts. */

/** Protocol version carried by READY/HELLO-style messages; a dispatcher denies any other. */
export const PROTOCOL_VERSION = "1";

/**
 * Tasks a remote worker may hold per thread beyond the one running there, so a thread that finishes starts its
 * next task without waiting a round trip to the dispatcher (pull: extra REQ lanes; push: capacity = threads × 2).
 * The dispatcher's backstop deadline allows for it: a held task may wait behind one running task.
 */
export const MAX_QUEUED_PER_THREAD = 1;

/** Largest capacity (threads) a push worker may register. */
export const MAX_CAPACITY = 4096;
/** Largest per-task timeout a TASK may carry, in ms (the largest delay a timer honours). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Who is talking: sent by workers so the dispatcher can check the version and the shared secret. */
export interface WorkerAuth {
  /** Protocol version the worker speaks ({@link PROTOCOL_VERSION}). */
  version: string;
  /** Unique id of the worker process (executor labels are `${workerId}/thread-N`). */
  workerId: string;
  /** Shared secret; "" when the worker has none. */
  secret: string;
}

/** A finished task, as a worker reports it; `streamId` is echoed so a late result can still be written. */
export interface TaskResult {
  streamId: string;
  taskId: string;
  status: "COMPLETED" | "FAILED";
  /** Who ran it, e.g. `host:123:ab12/thread-2`. */
  executor: string;
  /** Codec text: the value, or the encoded error. */
  result: string;
}

/** Dispatcher → worker: run this task. `code` is "" when this worker process was sent it before. */
export interface TaskMessage {
  type: "TASK";
  streamId: string;
  taskId: string;
  functionId: string;
  /** Effective timeout in ms (the task's own, else the dispatcher's default). */
  timeoutMs: number;
  /** Arguments payload (codec text of an array). */
  args: string;
  code: string;
}

/**
 * Dispatcher → worker, both modes. Frames (first frame = type):
 * - `TASK streamId taskId functionId timeoutMs args code`
 * - `WELCOME` (push: registration accepted)
 * - `DENIED reason` (bad secret or version; the worker gives up)
 * - `BYE` (acknowledges a worker's BYE: no more tasks will come)
 */
export type DispatcherMessage = TaskMessage | { type: "WELCOME" } | { type: "DENIED"; reason: string } | { type: "BYE" };

/**
 * Pull worker (one REQ socket per thread) → dispatcher ROUTER. Every request starts with
 * `type version workerId secret`, so each one stands alone (also after a dispatcher restart):
 * - `READY …` — give me a task (held until one exists)
 * - `RESULT … streamId taskId status executor result next` — a finished task; `next` "1" = and give me another
 * - `NEED … streamId taskId` — the TASK came without code and this worker lacks it: resend with code
 * - `BYE …` — withdraw a held READY (graceful stop); answered with BYE, or with a TASK already on its way
 */
export type PullRequest =
  | { type: "READY"; auth: WorkerAuth }
  | { type: "RESULT"; auth: WorkerAuth; result: TaskResult; next: boolean }
  | { type: "NEED"; auth: WorkerAuth; streamId: string; taskId: string }
  | { type: "BYE"; auth: WorkerAuth };

/**
 * Push worker (one DEALER) → dispatcher ROUTER. HELLO opens every connection (also after reconnecting):
 * - `HELLO version workerId secret capacity busy` — register `capacity` slots, `busy` of them still running tasks
 *   from before a reconnect (their late RESULTs free them)
 * - `RESULT streamId taskId status executor result`
 * - `NEED streamId taskId`
 * - `BYE` — stopping: send no more tasks (answered with BYE; running tasks still report)
 */
export type PushMessage =
  | { type: "HELLO"; auth: WorkerAuth; capacity: number; busy: number }
  | { type: "RESULT"; result: TaskResult }
  | { type: "NEED"; streamId: string; taskId: string }
  | { type: "BYE" };
