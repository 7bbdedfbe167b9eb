// The remote-worker protocol: exact frame tables per message, round trips, and null (never a throw) for anything malformed.
import { describe, expect, test } from "bun:test";
import {
  decodeDispatcherMessage, decodePullRequest, decodePushMessage, encodeDispatcherMessage, encodePullRequest, encodePushMessage,
  MAX_ID_BYTES, MAX_SECRET_BYTES, PROTOCOL_VERSION, type DispatcherMessage, type PullRequest, type PushMessage,
} from "../../src/protocol/index.ts";

const b = (frames: readonly (string | Buffer)[]) => frames.map((f) => (typeof f === "string" ? Buffer.from(f) : f));
const auth = { version: PROTOCOL_VERSION, workerId: "host-1-ab12", secret: "s3cret" };
const result = { streamId: "1700000000000-3", taskId: "t-1", status: "COMPLETED" as const, executor: "host-1-ab12/thread-2", result: '{"a":1}' };
const task: DispatcherMessage = { type: "TASK", streamId: "1-0", taskId: "t-1", functionId: "f-1", timeoutMs: 5000, args: "[1,2]", code: "(a, b) => a + b" };

describe("frame tables", () => {
  const dispatcher: [DispatcherMessage, string[]][] = [
    [task, ["TASK", "1-0", "t-1", "f-1", "5000", "[1,2]", "(a, b) => a + b"]],
    [{ ...task, code: "" } as DispatcherMessage, ["TASK", "1-0", "t-1", "f-1", "5000", "[1,2]", ""]],
    [{ type: "WELCOME" }, ["WELCOME"]],
    [{ type: "DENIED", reason: "wrong secret" }, ["DENIED", "wrong secret"]],
    [{ type: "BYE" }, ["BYE"]],
  ];
  const pull: [PullRequest, string[]][] = [
    [{ type: "READY", auth }, ["READY", "1", "host-1-ab12", "s3cret"]],
    [{ type: "RESULT", auth, result, next: true }, ["RESULT", "1", "host-1-ab12", "s3cret", "1700000000000-3", "t-1", "COMPLETED", "host-1-ab12/thread-2", '{"a":1}', "1"]],
    [{ type: "RESULT", auth: { ...auth, secret: "" }, result: { ...result, status: "FAILED" }, next: false }, ["RESULT", "1", "host-1-ab12", "", "1700000000000-3", "t-1", "FAILED", "host-1-ab12/thread-2", '{"a":1}', "0"]],
    [{ type: "NEED", auth, streamId: "5-1", taskId: "t-9" }, ["NEED", "1", "host-1-ab12", "s3cret", "5-1", "t-9"]],
    [{ type: "BYE", auth }, ["BYE", "1", "host-1-ab12", "s3cret"]],
  ];
  const push: [PushMessage, string[]][] = [
    [{ type: "HELLO", auth, capacity: 4, busy: 1 }, ["HELLO", "1", "host-1-ab12", "s3cret", "4", "1"]],
    [{ type: "RESULT", result }, ["RESULT", "1700000000000-3", "t-1", "COMPLETED", "host-1-ab12/thread-2", '{"a":1}']],
    [{ type: "NEED", streamId: "5-1", taskId: "t-9" }, ["NEED", "5-1", "t-9"]],
    [{ type: "BYE" }, ["BYE"]],
  ];
  test.each(dispatcher)("dispatcher %o", (msg, frames) => {
    expect(encodeDispatcherMessage(msg)).toEqual(frames);
    expect(decodeDispatcherMessage(b(frames))).toEqual(msg);
  });
  test.each(pull)("pull %o", (msg, frames) => {
    expect(encodePullRequest(msg)).toEqual(frames);
    expect(decodePullRequest(b(frames))).toEqual(msg);
  });
  test.each(push)("push %o", (msg, frames) => {
    expect(encodePushMessage(msg)).toEqual(frames);
    expect(decodePushMessage(b(frames))).toEqual(msg);
  });
  test("args, results and code are any UTF-8 text, including empty and non-ASCII", () => {
    const m = { ...task, args: '["é😀"]', code: "" } as DispatcherMessage;
    expect(decodeDispatcherMessage(b(encodeDispatcherMessage(m)))).toEqual(m);
  });
});

describe("malformed input decodes to null", () => {
  const bad: [string, (string | Buffer)[]][] = [
    ["no frames", []],
    ["unknown type", ["HELLOX"]],
    ["lower-case type", ["task", "1-0", "t", "f", "1", "[]", ""]],
    ["binary type", [Buffer.from([0xff, 0x00])]],
    ["TASK missing code", ["TASK", "1-0", "t", "f", "1", "[]"]],
    ["TASK extra frame", ["TASK", "1-0", "t", "f", "1", "[]", "", ""]],
    ["TASK bad stream id", ["TASK", "1_0", "t", "f", "1", "[]", ""]],
    ["TASK stream id without seq", ["TASK", "10-", "t", "f", "1", "[]", ""]],
    ["TASK timeout 0", ["TASK", "1-0", "t", "f", "0", "[]", ""]],
    ["TASK negative timeout", ["TASK", "1-0", "t", "f", "-5", "[]", ""]],
    ["TASK timeout too big", ["TASK", "1-0", "t", "f", "99999999999", "[]", ""]],
    ["TASK timeout not a number", ["TASK", "1-0", "t", "f", "1e3", "[]", ""]],
    ["TASK id with space", ["TASK", "1-0", "t 1", "f", "1", "[]", ""]],
    ["TASK empty id", ["TASK", "1-0", "", "f", "1", "[]", ""]],
    ["TASK oversized id", ["TASK", "1-0", "x".repeat(MAX_ID_BYTES + 1), "f", "1", "[]", ""]],
    ["WELCOME with a body", ["WELCOME", "x"]],
    ["DENIED without reason", ["DENIED"]],
  ];
  test.each(bad)("dispatcher: %s", (_name, frames) => expect(decodeDispatcherMessage(b(frames))).toBeNull());

  const badPull: [string, (string | Buffer)[]][] = [
    ["READY without secret frame", ["READY", "1", "w"]],
    ["READY bad worker id", ["READY", "1", "w\n", ""]],
    ["READY oversized secret", ["READY", "1", "w", "s".repeat(MAX_SECRET_BYTES + 1)]],
    ["RESULT bad status", ["RESULT", "1", "w", "", "1-0", "t", "DONE", "w/thread-1", "1", "1"]],
    ["RESULT bad next flag", ["RESULT", "1", "w", "", "1-0", "t", "COMPLETED", "w/thread-1", "1", "yes"]],
    ["RESULT missing frames", ["RESULT", "1", "w", "", "1-0", "t", "COMPLETED"]],
    ["NEED bad stream id", ["NEED", "1", "w", "", "abc", "t"]],
    ["push message in pull", ["HELLO", "1", "w", "", "1", "0"]],
  ];
  test.each(badPull)("pull: %s", (_name, frames) => expect(decodePullRequest(b(frames))).toBeNull());

  const badPush: [string, (string | Buffer)[]][] = [
    ["HELLO capacity 0", ["HELLO", "1", "w", "", "0", "0"]],
    ["HELLO capacity huge", ["HELLO", "1", "w", "", "100000", "0"]],
    ["HELLO busy not a number", ["HELLO", "1", "w", "", "2", "x"]],
    ["HELLO missing busy", ["HELLO", "1", "w", "", "2"]],
    ["RESULT missing result", ["RESULT", "1-0", "t", "COMPLETED", "w/thread-1"]],
    ["NEED extra", ["NEED", "1-0", "t", "x"]],
    ["BYE with body", ["BYE", "x"]],
    ["pull message in push", ["READY", "1", "w", ""]],
  ];
  test.each(badPush)("push: %s", (_name, frames) => expect(decodePushMessage(b(frames))).toBeNull());

  test("seeded random frames never throw", () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const types = ["TASK", "READY", "RESULT", "NEED", "BYE", "HELLO", "WELCOME", "DENIED", ""];
    for (let i = 0; i < 3000; i++) {
      const n = Math.floor(rnd() * 12);
      const frames = Array.from({ length: n }, (_, j) => {
        if (j === 0 && rnd() < 0.8) return Buffer.from(types[Math.floor(rnd() * types.length)]!);
        return Buffer.from(Array.from({ length: Math.floor(rnd() * 20) }, () => Math.floor(rnd() * 256)));
      });
      expect(() => {
        decodeDispatcherMessage(frames);
        decodePullRequest(frames);
        decodePushMessage(frames);
      }).not.toThrow();
    }
  });
});
