/** The messages between the dispatcher and remote workers (pull and push modes): shapes and frame layouts. */

/**
 * Protocol version carried by READY/HELLO-style messages and the handshake's credentials; a dispatcher denies any
 * other. Every version keeps `type version workerId secret` as the first frames of pull requests and of HELLO, so a
 * dispatcher can read who speaks which version and deny it with a reason (see {@link ForeignVersion}).
 * Version 3: every worker connection presents its credentials in the ZMTP handshake (`X-Faas-Auth`, see
 * `handshake-auth.ts`) and is authorized there; a connection without them gets nothing but DENIED.
 */
export const PROTOCOL_VERSION = "3";

/**
 * Most tasks a remote worker may hold per thread beyond the one running there, so a thread that finishes starts its
 * next task without waiting a round trip to the dispatcher. Pull: up to MAX_PULL_QUEUED_PER_THREAD (extra REQ lanes); push: up to
 * this many while its tasks are short (the worker says its capacity in HELLO and CAPACITY as its measured work
 * changes). The dispatcher's backstop deadline for a task not started yet counts from the worker's last progress.
 */
export const MAX_QUEUED_PER_THREAD = 32;
/** Most tasks a pull worker holds per thread beyond the running one (its extra REQ lanes; those beyond its measured work stay parked). */
export const MAX_PULL_QUEUED_PER_THREAD = 7;

/** Largest capacity (task slots) a push worker may register; also the bound on pull lanes and started-id lists. */
export const MAX_CAPACITY = 4096;
/** Most frames any worker → dispatcher message has, REQ envelope included (pull RESULT: 13); the ROUTER's cap. */
export const MAX_FRAMES_PER_MESSAGE = 16;
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

/** A finished task, as a worker reports it; `streamId` and `taskId` echo the TASK it answers (checked against it). */
export interface TaskResult {
  streamId: string;
  taskId: string;
  status: "COMPLETED" | "FAILED";
  /** Who ran it, e.g. `host:123:ab12/thread-2`. */
  executor: string;
  /** Codec text: the value, or the encoded error. */
  result: string;
  /**
   * What the task wrote, as `encodeLog` text (task-log.ts), when it wrote anything: an optional last frame of RESULT,
   * so a dispatcher also takes RESULTs of workers that send none (they predate logs). Default: none.
   */
  logs?: string;
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
 * - `CANCEL taskId` (the task was cancelled: stop it — a running one's executor is stopped and replaced; the task's
 *   RESULT still follows. Push: on the worker's DEALER; pull: on its control connection. A worker that predates it
 *   drops it as malformed and runs the task to its end, whose result the store refuses.)
 */
export type DispatcherMessage =
  | TaskMessage | { type: "WELCOME" } | { type: "DENIED"; reason: string } | { type: "BYE" } | { type: "CANCEL"; taskId: string };

/**
 * A worker message in a protocol version this side does not speak: only its head (`type version workerId secret`)
 * was read, so the dispatcher can answer DENIED with the reason.
 */
export interface ForeignVersion {
  type: "FOREIGN";
  auth: WorkerAuth;
}

/**
 * Pull worker → dispatcher ROUTER. Lanes (one REQ socket per task slot) send requests; every request starts with
 * `type version workerId secret lane`, so each one stands alone (also after a dispatcher restart or a reconnect:
 * `lane`, 0-based, names the lane across its connections):
 * - `READY …` — give me a task (held until one exists)
 * - `RESULT … streamId taskId status executor result next started [logs]` — a finished task; `next` "1" = and give me
 *   another; `started`: ids (space-separated, may be "") of other tasks of this process that started since its
 *   last report — a task posted behind this one on its thread starts the moment this one finishes
 * - `NEED … streamId taskId` — the TASK came without code and this worker lacks it: resend with code
 * - `BYE …` — withdraw a held READY (graceful stop); answered with BYE, or with a TASK already on its way
 */
export type PullRequest =
  | { type: "READY"; auth: WorkerAuth; lane: number }
  | { type: "RESULT"; auth: WorkerAuth; lane: number; result: TaskResult; next: boolean; started: string[] }
  | { type: "NEED"; auth: WorkerAuth; lane: number; streamId: string; taskId: string }
  | { type: "BYE"; auth: WorkerAuth; lane: number };

/**
 * Pull worker's control connection (one DEALER per process, no envelope, never answered) → dispatcher ROUTER:
 * - `STARTED version workerId secret ids` — these tasks (space-separated ids) started on a thread that was idle
 *   when they arrived (sent once per event-loop turn for all such starts)
 */
export type PullNotice = { type: "STARTED"; auth: WorkerAuth; taskIds: string[] };

/**
 * Push worker (one DEALER) → dispatcher ROUTER. HELLO opens every connection (also after reconnecting):
 * - `HELLO version workerId secret capacity busy` — register `capacity` slots, `busy` of them still running tasks
 *   from before a reconnect
 * - `RESULT streamId taskId status executor result started [logs]` — `started` as in pull's RESULT; `logs` as in
 *   {@link TaskResult}
 * - `STARTED ids` — tasks that started on arrival (an idle thread took them); one message per event-loop turn
 * - `NEED streamId taskId`
 * - `CAPACITY capacity` — its slots from now on (1 to MAX_CAPACITY): a worker holds more tasks while they are short.
 *   Tasks beyond a lowered capacity stay with it; no new one comes until it has room. (A dispatcher older than this
 *   message drops it as malformed and keeps the HELLO's capacity.)
 * - `BYE` — stopping: send no more tasks (answered with BYE; running tasks still report)
 */
export type PushMessage =
  | { type: "HELLO"; auth: WorkerAuth; capacity: number; busy: number }
  | { type: "RESULT"; result: TaskResult; started: string[] }
  | { type: "STARTED"; taskIds: string[] }
  | { type: "NEED"; streamId: string; taskId: string }
  | { type: "CAPACITY"; capacity: number }
  | { type: "BYE" };
