/** Encoding and validating decoding of push-mode worker messages (worker DEALER → dispatcher ROUTER). */
import { readForeign } from "./foreign-version.ts";
import { readId, readInt, readStreamId } from "./frame-reader.ts";
import { MAX_CAPACITY, type ForeignVersion, type PushMessage } from "./messages.ts";
import { AUTH_FRAMES, authFrames, logsFrames, readAuth, readLogs, readResult, RESULT_FRAMES, resultFrames } from "./result-frames.ts";
import { readStarted, startedFrame } from "./started-ids.ts";

/** The frames of a push worker message (first frame = type). */
export function encodePushMessage(msg: PushMessage): string[] {
  switch (msg.type) {
    case "HELLO":
      return ["HELLO", ...authFrames(msg.auth), String(msg.capacity), String(msg.busy)];
    case "RESULT":
      return ["RESULT", ...resultFrames(msg.result), startedFrame(msg.started), ...logsFrames(msg.result)];
    case "STARTED":
      return ["STARTED", startedFrame(msg.taskIds)];
    case "NEED":
      return ["NEED", msg.streamId, msg.taskId];
    case "CAPACITY":
      return ["CAPACITY", String(msg.capacity)];
    case "BYE":
      return ["BYE"];
  }
}

/** The message these frames hold, FOREIGN for a HELLO of another version, or null for anything malformed (never throws). */
export function decodePushMessage(frames: readonly Buffer[]): PushMessage | ForeignVersion | null {
  const type = frames[0]?.length && frames[0].length <= 8 ? frames[0].toString("latin1") : "";
  switch (type) {
    case "HELLO": {
      const foreign = readForeign(frames);
      if (foreign !== undefined) return foreign;
      if (frames.length !== 1 + AUTH_FRAMES + 2) return null;
      const auth = readAuth(frames, 1);
      const capacity = readInt(frames[1 + AUTH_FRAMES], 1, MAX_CAPACITY);
      const busy = readInt(frames[2 + AUTH_FRAMES], 0, MAX_CAPACITY);
      return auth === null || capacity === null || busy === null ? null : { type, auth, capacity, busy };
    }
    case "RESULT": {
      if (frames.length !== 2 + RESULT_FRAMES && frames.length !== 3 + RESULT_FRAMES) return null;
      const result = readResult(frames, 1);
      const started = readStarted(frames[1 + RESULT_FRAMES]);
      const logs = readLogs(frames, 2 + RESULT_FRAMES);
      if (result === null || started === null || logs === null) return null;
      return { type, result: logs === undefined ? result : { ...result, logs }, started };
    }
    case "STARTED": {
      const taskIds = frames.length === 2 ? readStarted(frames[1]) : null;
      return taskIds === null ? null : { type, taskIds };
    }
    case "NEED": {
      if (frames.length !== 3) return null;
      const streamId = readStreamId(frames[1]);
      const taskId = readId(frames[2]);
      return streamId === null || taskId === null ? null : { type, streamId, taskId };
    }
    case "CAPACITY": {
      const capacity = frames.length === 2 ? readInt(frames[1], 1, MAX_CAPACITY) : null;
      return capacity === null ? null : { type, capacity };
    }
    case "BYE":
      return frames.length === 1 ? { type } : null;
    default:
      return null;
  }
}
