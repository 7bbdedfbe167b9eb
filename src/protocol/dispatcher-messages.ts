/** Encoding and validating decoding of dispatcher → worker messages (TASK, WELCOME, DENIED, BYE). */
import { readId, readInt, readStreamId, readText } from "./frame-reader.ts";
import { MAX_TIMEOUT_MS, type DispatcherMessage } from "./messages.ts";

/** Longest DENIED reason, in bytes. */
const MAX_REASON_BYTES = 1024;

/** The frames of a dispatcher message (first frame = type). */
export function encodeDispatcherMessage(msg: DispatcherMessage): string[] {
  switch (msg.type) {
    case "TASK":
      return ["TASK", msg.streamId, msg.taskId, msg.functionId, String(msg.timeoutMs), msg.args, msg.code];
    case "DENIED":
      return ["DENIED", msg.reason.slice(0, MAX_REASON_BYTES / 4)];
    case "CANCEL":
      return ["CANCEL", msg.taskId];
    case "WELCOME":
    case "BYE":
      return [msg.type];
  }
}

/** The message these frames hold, or null for anything malformed (never throws). */
export function decodeDispatcherMessage(frames: readonly Buffer[]): DispatcherMessage | null {
  const type = frames[0]?.length && frames[0].length <= 8 ? frames[0].toString("latin1") : "";
  switch (type) {
    case "TASK": {
      if (frames.length !== 7) return null;
      const streamId = readStreamId(frames[1]);
      const taskId = readId(frames[2]);
      const functionId = readId(frames[3]);
      const timeoutMs = readInt(frames[4], 1, MAX_TIMEOUT_MS);
      const args = readText(frames[5]);
      const code = readText(frames[6]);
      if (streamId === null || taskId === null || functionId === null || timeoutMs === null || args === null || code === null) return null;
      return { type, streamId, taskId, functionId, timeoutMs, args, code };
    }
    case "DENIED": {
      const reason = frames.length === 2 ? readText(frames[1], MAX_REASON_BYTES) : null;
      return reason === null ? null : { type, reason };
    }
    case "CANCEL": {
      const taskId = frames.length === 2 ? readId(frames[1]) : null;
      return taskId === null ? null : { type, taskId };
    }
    case "WELCOME":
    case "BYE":
      return frames.length === 1 ? { type } : null;
    default:
      return null;
  }
}
