// TaskLog (the per-task cap and its wire text) and the protocol's logs frame and CANCEL message.
import { describe, expect, test } from "bun:test";
import {
  decodeDispatcherMessage, decodePullRequest, decodePushMessage, encodeDispatcherMessage, encodePullRequest, encodePushMessage, PROTOCOL_VERSION,
} from "../../src/protocol/index.ts";
import { decodeLog, encodeLog, TaskLog } from "../../src/workers/task-log.ts";

const frames = (f: (string | Buffer)[]) => f.map((x) => (typeof x === "string" ? Buffer.from(x) : x));
const line = (text: string, stream: "stdout" | "stderr" = "stdout") => ({ ts: 1000, stream, text });

describe("TaskLog", () => {
  test("keeps the first maxLines lines, then marks the log truncated", () => {
    const log = new TaskLog(3);
    expect(log.empty).toBe(true);
    expect(log.add({ lines: [line("a"), line("b", "stderr")], truncated: false })).toHaveLength(2);
    expect(log.add({ lines: [line("c"), line("d")], truncated: false }).map((l) => l.text)).toEqual(["c"]);
    expect(log.lines.map((l) => l.text)).toEqual(["a", "b", "c"]);
    expect(log.truncated).toBe(true);
  });

  test("keeps at most maxBytes of text; an executor's truncated flag carries over", () => {
    const log = new TaskLog(1000, 10);
    log.add({ lines: [line("12345"), line("67890"), line("x")], truncated: false });
    expect(log.lines.map((l) => l.text)).toEqual(["12345", "67890"]);
    expect(log.truncated).toBe(true);
    const flagged = new TaskLog();
    flagged.add({ lines: [], truncated: true });
    expect(flagged).toMatchObject({ empty: false, truncated: true });
  });

  test("its wire text round-trips; anything else decodes to null", () => {
    const batch = { lines: [line("out"), line("err ✓", "stderr")], truncated: true };
    expect(decodeLog(encodeLog(batch))).toEqual(batch);
    for (const bad of ["", "[]", "{\"lines\":[[1,\"x\",\"t\"]],\"truncated\":false}", "{\"lines\":[],\"truncated\":1}", "{\"lines\":[[\"1\",\"o\",\"t\"]],\"truncated\":false}"]) {
      expect(decodeLog(bad)).toBeNull();
    }
  });
});

describe("protocol: logs on RESULT, CANCEL", () => {
  const auth = { version: PROTOCOL_VERSION, workerId: "w1", secret: "" };
  const result = { streamId: "1-0", taskId: "t1", status: "COMPLETED" as const, executor: "w1/thread-1", result: "1" };
  const logs = encodeLog({ lines: [line("hi")], truncated: false });

  test("push and pull RESULTs carry logs as an optional last frame; RESULTs without it still decode", () => {
    expect(decodePushMessage(frames(encodePushMessage({ type: "RESULT", result: { ...result, logs }, started: [] })))).toEqual({ type: "RESULT", result: { ...result, logs }, started: [] });
    expect(decodePushMessage(frames(encodePushMessage({ type: "RESULT", result, started: ["t2"] })))).toEqual({ type: "RESULT", result, started: ["t2"] });
    const pull = { type: "RESULT" as const, auth, lane: 0, next: true, started: [] };
    expect(decodePullRequest(frames(encodePullRequest({ ...pull, result: { ...result, logs } })))).toEqual({ ...pull, result: { ...result, logs } });
    expect(decodePullRequest(frames(encodePullRequest({ ...pull, result })))).toEqual({ ...pull, result });
    // Two frames too many, or a logs frame over its limit: malformed.
    expect(decodePushMessage(frames([...encodePushMessage({ type: "RESULT", result: { ...result, logs }, started: [] }), "x"]))).toBeNull();
    expect(decodePushMessage(frames(encodePushMessage({ type: "RESULT", result: { ...result, logs: "x".repeat(600 * 1024) }, started: [] })))).toBeNull();
  });

  test("CANCEL taskId round-trips; a bad id is malformed", () => {
    expect(decodeDispatcherMessage(frames(encodeDispatcherMessage({ type: "CANCEL", taskId: "t1" })))).toEqual({ type: "CANCEL", taskId: "t1" });
    expect(decodeDispatcherMessage(frames(["CANCEL", "has space"]))).toBeNull();
    expect(decodeDispatcherMessage(frames(["CANCEL"]))).toBeNull();
  });
});
