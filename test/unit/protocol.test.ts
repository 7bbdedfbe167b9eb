// The remote-worker protocol: exact frame tables per message, round trips, and null (never a throw) for anything malformed.
import { describe, expect, test } from "bun:test";
import {
  AUTH_PROPERTY, decodeHandshakeAuth, encodeHandshakeAuth, MAX_AUTH_PROPERTY_BYTES, decodeDispatcherMessage, decodePullNotice, decodePullRequest, decodePushMessage, encodeDispatcherMessage, encodePullNotice,
  encodePullRequest, encodePushMessage, MAX_CAPACITY, MAX_FRAMES_PER_MESSAGE, MAX_ID_BYTES, MAX_SECRET_BYTES, PROTOCOL_VERSION, readStarted,
  type DispatcherMessage, type PullNotice, type PullRequest, type PushMessage,
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
    [{ type: "READY", auth, lane: 0 }, ["READY", "3", "host-1-ab12", "s3cret", "0"]],
    [{ type: "RESULT", auth, lane: 3, result, next: true, started: [] },
      ["RESULT", "3", "host-1-ab12", "s3cret", "3", "1700000000000-3", "t-1", "COMPLETED", "host-1-ab12/thread-2", '{"a":1}', "1", ""]],
    [{ type: "RESULT", auth: { ...auth, secret: "" }, lane: 1, result: { ...result, status: "FAILED" }, next: false, started: ["t-2", "t-3"] },
      ["RESULT", "3", "host-1-ab12", "", "1", "1700000000000-3", "t-1", "FAILED", "host-1-ab12/thread-2", '{"a":1}', "0", "t-2 t-3"]],
    [{ type: "NEED", auth, lane: 4095, streamId: "5-1", taskId: "t-9" }, ["NEED", "3", "host-1-ab12", "s3cret", "4095", "5-1", "t-9"]],
    [{ type: "BYE", auth, lane: 2 }, ["BYE", "3", "host-1-ab12", "s3cret", "2"]],
  ];
  const notices: [PullNotice, string[]][] = [
    [{ type: "STARTED", auth, taskIds: ["t-1"] }, ["STARTED", "3", "host-1-ab12", "s3cret", "t-1"]],
    [{ type: "STARTED", auth, taskIds: ["t-1", "t-2"] }, ["STARTED", "3", "host-1-ab12", "s3cret", "t-1 t-2"]],
  ];
  const push: [PushMessage, string[]][] = [
    [{ type: "HELLO", auth, capacity: 4, busy: 1 }, ["HELLO", "3", "host-1-ab12", "s3cret", "4", "1"]],
    [{ type: "RESULT", result, started: [] }, ["RESULT", "1700000000000-3", "t-1", "COMPLETED", "host-1-ab12/thread-2", '{"a":1}', ""]],
    [{ type: "RESULT", result, started: ["t-7"] }, ["RESULT", "1700000000000-3", "t-1", "COMPLETED", "host-1-ab12/thread-2", '{"a":1}', "t-7"]],
    [{ type: "STARTED", taskIds: ["t-1", "t-2", "t-3"] }, ["STARTED", "t-1 t-2 t-3"]],
    [{ type: "NEED", streamId: "5-1", taskId: "t-9" }, ["NEED", "5-1", "t-9"]],
    [{ type: "CAPACITY", capacity: 18 }, ["CAPACITY", "18"]],
    [{ type: "CAPACITY", capacity: MAX_CAPACITY }, ["CAPACITY", String(MAX_CAPACITY)]],
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
  test.each(notices)("pull notice %o", (msg, frames) => {
    expect(encodePullNotice(msg)).toEqual(frames);
    expect(decodePullNotice(b(frames))).toEqual(msg);
  });
  test.each(push)("push %o", (msg, frames) => {
    expect(encodePushMessage(msg)).toEqual(frames);
    expect(decodePushMessage(b(frames))).toEqual(msg);
  });
  test("every worker message fits the ROUTER's frames-per-message cap, REQ envelope included", () => {
    const longest = Math.max(...pull.map(([, f]) => f.length + 1), ...notices.map(([, f]) => f.length), ...push.map(([, f]) => f.length));
    expect(longest).toBe(13);
    expect(longest).toBeLessThanOrEqual(MAX_FRAMES_PER_MESSAGE);
  });
  test("args, results and code are any UTF-8 text, including empty and non-ASCII", () => {
    const m = { ...task, args: '["é😀"]', code: "" } as DispatcherMessage;
    expect(decodeDispatcherMessage(b(encodeDispatcherMessage(m)))).toEqual(m);
  });
});

describe("another protocol version is recognised by its head, to be denied with the reason", () => {
  const v1: [string, string[]][] = [
    ["v1 READY", ["READY", "1", "w", "s"]],
    ["v1 RESULT", ["RESULT", "1", "w", "s", "1-0", "t", "COMPLETED", "w/thread-1", "1", "1"]],
    ["v4 READY with more frames", ["READY", "4", "w", "s", "0", "x", "y"]],
  ];
  test.each(v1)("pull: %s", (_name, frames) => {
    expect(decodePullRequest(b(frames))).toEqual({ type: "FOREIGN", auth: { version: frames[1]!, workerId: "w", secret: "s" } });
  });
  test("push HELLO and pull STARTED", () => {
    expect(decodePushMessage(b(["HELLO", "1", "w", "", "2", "0"]))).toEqual({ type: "FOREIGN", auth: { version: "1", workerId: "w", secret: "" } });
    expect(decodePullNotice(b(["STARTED", "9", "w", "", "t"]))).toEqual({ type: "FOREIGN", auth: { version: "9", workerId: "w", secret: "" } });
  });
  test("a foreign head that is itself malformed is null", () => {
    expect(decodePullRequest(b(["READY", "1", "bad id", ""]))).toBeNull();
    expect(decodePullRequest(b(["READY", "1", "w"]))).toBeNull();
    expect(decodePushMessage(b(["HELLO", "", "w", ""]))).toBeNull();
  });
});

describe("started-ids frame", () => {
  const ok: [string, string[]][] = [["", []], ["t", ["t"]], ["a b c", ["a", "b", "c"]], ["x".repeat(MAX_ID_BYTES), ["x".repeat(MAX_ID_BYTES)]]];
  test.each(ok)("%j", (frame, ids) => expect(readStarted(Buffer.from(frame))).toEqual(ids));
  const bad = [" ", "a ", " a", "a  b", "a\tb", "x".repeat(MAX_ID_BYTES + 1), "é", Array.from({ length: MAX_CAPACITY + 1 }, () => "t").join(" ")];
  test.each(bad)("%j is null", (frame) => expect(readStarted(Buffer.from(frame))).toBeNull());
  test("MAX_CAPACITY ids are accepted", () => {
    expect(readStarted(Buffer.from(Array.from({ length: MAX_CAPACITY }, (_, i) => `t${i}`).join(" ")))).toHaveLength(MAX_CAPACITY);
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
    ["READY without lane", ["READY", "3", "w", ""]],
    ["READY bad worker id", ["READY", "3", "w\n", "", "0"]],
    ["READY oversized secret", ["READY", "3", "w", "s".repeat(MAX_SECRET_BYTES + 1), "0"]],
    ["READY lane not a number", ["READY", "3", "w", "", "x"]],
    ["READY lane too big", ["READY", "3", "w", "", String(MAX_CAPACITY)]],
    ["RESULT bad status", ["RESULT", "3", "w", "", "0", "1-0", "t", "DONE", "w/thread-1", "1", "1", ""]],
    ["RESULT bad next flag", ["RESULT", "3", "w", "", "0", "1-0", "t", "COMPLETED", "w/thread-1", "1", "yes", ""]],
    ["RESULT bad started", ["RESULT", "3", "w", "", "0", "1-0", "t", "COMPLETED", "w/thread-1", "1", "1", "a  b"]],
    ["RESULT without started", ["RESULT", "3", "w", "", "0", "1-0", "t", "COMPLETED", "w/thread-1", "1", "1"]],
    ["RESULT missing frames", ["RESULT", "3", "w", "", "0", "1-0", "t", "COMPLETED"]],
    ["NEED bad stream id", ["NEED", "3", "w", "", "0", "abc", "t"]],
    ["push message in pull", ["HELLO", "3", "w", "", "1", "0"]],
  ];
  test.each(badPull)("pull: %s", (_name, frames) => expect(decodePullRequest(b(frames))).toBeNull());

  const badNotice: [string, (string | Buffer)[]][] = [
    ["STARTED without ids", ["STARTED", "3", "w", ""]],
    ["STARTED bad ids", ["STARTED", "3", "w", "", "t\n"]],
    ["STARTED extra frame", ["STARTED", "3", "w", "", "t", "u"]],
    ["lower-case", ["started", "2", "w", "", "t"]],
    ["a REQ request", ["READY", "3", "w", "", "0"]],
  ];
  test.each(badNotice)("pull notice: %s", (_name, frames) => expect(decodePullNotice(b(frames))).toBeNull());

  const badPush: [string, (string | Buffer)[]][] = [
    ["HELLO capacity 0", ["HELLO", "3", "w", "", "0", "0"]],
    ["HELLO capacity huge", ["HELLO", "3", "w", "", "100000", "0"]],
    ["HELLO busy not a number", ["HELLO", "3", "w", "", "2", "x"]],
    ["HELLO missing busy", ["HELLO", "3", "w", "", "2"]],
    ["RESULT missing result", ["RESULT", "1-0", "t", "COMPLETED", "w/thread-1"]],
    ["RESULT without started", ["RESULT", "1-0", "t", "COMPLETED", "w/thread-1", "1"]],
    ["STARTED without ids", ["STARTED"]],
    ["STARTED bad ids", ["STARTED", " t"]],
    ["NEED extra", ["NEED", "1-0", "t", "x"]],
    ["BYE with body", ["BYE", "x"]],
    ["CAPACITY 0", ["CAPACITY", "0"]],
    ["CAPACITY over MAX_CAPACITY", ["CAPACITY", String(MAX_CAPACITY + 1)]],
    ["CAPACITY not a number", ["CAPACITY", "1e3"]],
    ["CAPACITY without a value", ["CAPACITY"]],
    ["CAPACITY extra", ["CAPACITY", "2", "3"]],
    ["pull message in push", ["READY", "3", "w", "", "0"]],
  ];
  test.each(badPush)("push: %s", (_name, frames) => expect(decodePushMessage(b(frames))).toBeNull());

  test("seeded random frames never throw", () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const types = ["TASK", "READY", "RESULT", "NEED", "CAPACITY", "BYE", "HELLO", "WELCOME", "DENIED", "STARTED", ""];
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
        decodePullNotice(frames);
      }).not.toThrow();
    }
  });
});

describe("the handshake's credentials (X-Faas-Auth READY property)", () => {
  const table: [WorkerAuthCase, string][] = [
    [{ version: PROTOCOL_VERSION, workerId: "host-1-ab12", secret: "s3cret" }, "3 host-1-ab12 s3cret"],
    [{ version: PROTOCOL_VERSION, workerId: "w", secret: "" }, "3 w "],
    [{ version: PROTOCOL_VERSION, workerId: "w", secret: "with spaces é" }, "3 w with spaces é"],
    [{ version: "2", workerId: "old", secret: "s" }, "2 old s"],
  ];
  test("the property name is an application property (X-)", () => expect(AUTH_PROPERTY).toBe("X-Faas-Auth"));
  test.each(table)("%o", (auth, text) => {
    expect(encodeHandshakeAuth(auth)).toBe(text);
    expect(decodeHandshakeAuth(Buffer.from(text))).toEqual(auth);
  });
  const bad: [string, Buffer | undefined][] = [
    ["absent", undefined],
    ["empty", Buffer.alloc(0)],
    ["version only", Buffer.from("3")],
    ["no secret separator", Buffer.from("3 w")],
    ["empty version", Buffer.from(" w s")],
    ["empty worker id", Buffer.from("3  s")],
    ["control byte in worker id", Buffer.from("3 w\x01 s")],
    ["oversized secret", Buffer.from(`3 w ${"s".repeat(MAX_SECRET_BYTES + 1)}`)],
    ["oversized value", Buffer.alloc(MAX_AUTH_PROPERTY_BYTES + 1, 0x61)],
  ];
  test.each(bad)("%s is null", (_name, value) => expect(decodeHandshakeAuth(value)).toBeNull());
  test("a slice of a larger buffer decodes from its own bytes", () => {
    const big = Buffer.from("xx3 w sxx");
    expect(decodeHandshakeAuth(big.subarray(2, 7))).toEqual({ version: "3", workerId: "w", secret: "s" });
  });
});

type WorkerAuthCase = { version: string; workerId: string; secret: string };
