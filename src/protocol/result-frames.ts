/** The frames of a task result (`streamId taskId status executor result`), shared by pull and push messages. */
import { MAX_SECRET_BYTES, readId, readStreamId, readText } from "./frame-reader.ts";
import type { TaskResult, WorkerAuth } from "./messages.ts";

/** Number of frames {@link resultFrames} produces. */
export const RESULT_FRAMES = 5;
/** Number of frames {@link authFrames} produces. */
export const AUTH_FRAMES = 3;

/** `streamId taskId status executor result`. */
export function resultFrames(r: TaskResult): string[] {
  return [r.streamId, r.taskId, r.status, r.executor, r.result];
}

/** Largest logs frame of a RESULT, in bytes (a 64 KiB log, escaped, with its line times). */
export const MAX_LOGS_BYTES = 512 * 1024;

/** The optional logs frame of a RESULT (`[]` when the result carries none). */
export function logsFrames(r: TaskResult): string[] {
  return r.logs === undefined ? [] : [r.logs];
}

/** The logs frame `frames[at]` when present: its text, undefined when absent, null when too large. */
export function readLogs(frames: readonly Buffer[], at: number): string | undefined | null {
  if (frames.length <= at) return undefined;
  return readText(frames[at], MAX_LOGS_BYTES);
}

/** The result in `frames[at .. at + 5)`, or null when any part is invalid. */
export function readResult(frames: readonly Buffer[], at: number): TaskResult | null {
  const streamId = readStreamId(frames[at]);
  const taskId = readId(frames[at + 1]);
  const status = readText(frames[at + 2], 9);
  const executor = readId(frames[at + 3]);
  const result = readText(frames[at + 4]);
  if (streamId === null || taskId === null || executor === null || result === null) return null;
  if (status !== "COMPLETED" && status !== "FAILED") return null;
  return { streamId, taskId, status, executor, result };
}

/** `version workerId secret`. */
export function authFrames(a: WorkerAuth): string[] {
  return [a.version, a.workerId, a.secret];
}

/** The auth part in `frames[at .. at + 3)`, or null when invalid. */
export function readAuth(frames: readonly Buffer[], at: number): WorkerAuth | null {
  const version = readId(frames[at]);
  const workerId = readId(frames[at + 1]);
  const secret = readText(frames[at + 2], MAX_SECRET_BYTES);
  if (version === null || workerId === null || secret === null) return null;
  return { version, workerId, secret };
}
