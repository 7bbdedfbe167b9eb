/** Encoding and validating decoding of pull-mode messages: lane requests (REQ) and the control connection's STARTED (DEALER). */
import { readFlag, readId, readInt, readStreamId } from "./frame-reader.ts";
import { readForeign } from "./foreign-version.ts";
import { MAX_CAPACITY, type ForeignVersion, type PullNotice, type PullRequest } from "./messages.ts";
import { AUTH_FRAMES, authFrames, logsFrames, readAuth, readLogs, readResult, RESULT_FRAMES, resultFrames } from "./result-frames.ts";
import { readStarted, startedFrame } from "./started-ids.ts";

/** Frames before a request's own fields: type, auth, lane. */
const HEAD = 1 + AUTH_FRAMES + 1;

/** The frames of a pull request (first frame = type; the REQ socket adds the envelope). */
export function encodePullRequest(msg: PullRequest): string[] {
  const head = [msg.type, ...authFrames(msg.auth), String(msg.lane)];
  switch (msg.type) {
    case "READY":
    case "BYE":
      return head;
    case "RESULT":
      return [...head, ...resultFrames(msg.result), msg.next ? "1" : "0", startedFrame(msg.started), ...logsFrames(msg.result)];
    case "NEED":
      return [...head, msg.streamId, msg.taskId];
  }
}

/**
 * The request these frames hold (envelope already removed), FOREIGN when its head names another protocol
 * version, or null for anything malformed (never throws).
 */
export function decodePullRequest(frames: readonly Buffer[]): PullRequest | ForeignVersion | null {
  const type = frames[0]?.length && frames[0].length <= 8 ? frames[0].toString("latin1") : "";
  let size: number;
  switch (type) {
    case "READY":
    case "BYE":
      size = HEAD;
      break;
    case "RESULT":
      size = HEAD + RESULT_FRAMES + 2;
      break;
    case "NEED":
      size = HEAD + 2;
      break;
    default:
      return null;
  }
  const foreign = readForeign(frames);
  if (foreign !== undefined) return foreign;
  if (frames.length !== size && !(type === "RESULT" && frames.length === size + 1)) return null;
  const auth = readAuth(frames, 1);
  const lane = readInt(frames[1 + AUTH_FRAMES], 0, MAX_CAPACITY - 1);
  if (auth === null || lane === null) return null;
  switch (type) {
    case "READY":
    case "BYE":
      return { type, auth, lane };
    case "RESULT": {
      const result = readResult(frames, HEAD);
      const next = readFlag(frames[HEAD + RESULT_FRAMES]);
      const started = readStarted(frames[HEAD + RESULT_FRAMES + 1]);
      const logs = readLogs(frames, HEAD + RESULT_FRAMES + 2);
      if (result === null || next === null || started === null || logs === null) return null;
      return { type, auth, lane, result: logs === undefined ? result : { ...result, logs }, next, started };
    }
    default: {
      const streamId = readStreamId(frames[HEAD]);
      const taskId = readId(frames[HEAD + 1]);
      return streamId === null || taskId === null ? null : { type: "NEED", auth, lane, streamId, taskId };
    }
  }
}

/** The frames of a control-connection notice (no envelope: it travels on a DEALER). */
export function encodePullNotice(msg: PullNotice): string[] {
  return [msg.type, ...authFrames(msg.auth), startedFrame(msg.taskIds)];
}

/** The notice these frames hold, FOREIGN for another protocol version, or null when malformed (never throws). */
export function decodePullNotice(frames: readonly Buffer[]): PullNotice | ForeignVersion | null {
  if (frames[0]?.length !== 7 || frames[0].toString("latin1") !== "STARTED") return null;
  const foreign = readForeign(frames);
  if (foreign !== undefined) return foreign;
  if (frames.length !== 2 + AUTH_FRAMES) return null;
  const auth = readAuth(frames, 1);
  const taskIds = readStarted(frames[1 + AUTH_FRAMES]);
  return auth === null || taskIds === null ? null : { type: "STARTED", auth, taskIds };
}
