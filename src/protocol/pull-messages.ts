/** Encoding and validating decoding of pull-mode requests (worker REQ → dispatcher ROUTER). */
import { readFlag, readId, readStreamId } from "./frame-reader.ts";
import type { PullRequest } from "./messages.ts";
import { AUTH_FRAMES, authFrames, readAuth, readResult, RESULT_FRAMES, resultFrames } from "./result-frames.ts";

/** The frames of a pull request (first frame = type; the REQ socket adds the envelope). */
export function encodePullRequest(msg: PullRequest): string[] {
  const head = [msg.type, ...authFrames(msg.auth)];
  switch (msg.type) {
    case "READY":
    case "BYE":
      return head;
    case "RESULT":
      return [...head, ...resultFrames(msg.result), msg.next ? "1" : "0"];
    case "NEED":
      return [...head, msg.streamId, msg.taskId];
  }
}

/** The request these frames hold (envelope already removed), or null for anything malformed (never throws). */
export function decodePullRequest(frames: readonly Buffer[]): PullRequest | null {
  const type = frames[0]?.length && frames[0].length <= 8 ? frames[0].toString("latin1") : "";
  const base = 1 + AUTH_FRAMES;
  let size: number;
  switch (type) {
    case "READY":
    case "BYE":
      size = base;
      break;
    case "RESULT":
      size = base + RESULT_FRAMES + 1;
      break;
    case "NEED":
      size = base + 2;
      break;
    default:
      return null;
  }
  if (frames.length !== size) return null;
  const auth = readAuth(frames, 1);
  if (auth === null) return null;
  switch (type) {
    case "READY":
    case "BYE":
      return { type, auth };
    case "RESULT": {
      const result = readResult(frames, base);
      const next = readFlag(frames[base + RESULT_FRAMES]);
      return result === null || next === null ? null : { type, auth, result, next };
    }
    default: {
      const streamId = readStreamId(frames[base]);
      const taskId = readId(frames[base + 1]);
      return streamId === null || taskId === null ? null : { type: "NEED", auth, streamId, taskId };
    }
  }
}
