import { describe, expect, test } from "bun:test";
import { FLAG_MORE, encodeFrame } from "../../../src/zmtp/frame.ts";
import { OutboundQueue } from "../../../src/zmtp/outbound-queue.ts";
import type { Stream } from "../../../src/zmtp/transport.ts";

/** A stream that accepts at most `limit` octets per write and records what it got. */
function sink(limit = Infinity): Stream & { bytes(): Buffer } {
  const got: Buffer[] = [];
  return {
    write(data: Uint8Array): number {
      const n = Math.min(limit, data.length);
      got.push(Buffer.from(data.subarray(0, n)));
      return n;
    },
    close() {},
    pause() {},
    resume() {},
    remoteAddress: "tcp://test:1",
    bytes: () => Buffer.concat(got),
  };
}

const TEXTS = ["", "TASK", "1700000000000-0", "é", "日本語", "🙂x", "\ud800 lone", "a".repeat(85), "é".repeat(127), "ü".repeat(128), "x".repeat(300), "ß".repeat(5000), "y".repeat(9000)];

describe("OutboundQueue text frames", () => {
  test("a string body is framed exactly like its UTF-8 bytes", () => {
    for (const text of TEXTS) {
      const q = new OutboundQueue();
      q.appendFrame(FLAG_MORE, text);
      q.appendFrame(0, Buffer.from(text, "utf8"));
      const expected = Buffer.concat([encodeFrame(FLAG_MORE, Buffer.from(text, "utf8")), encodeFrame(0, Buffer.from(text, "utf8"))]);
      expect(q.bytes).toBe(expected.length);
      const s = sink();
      expect(q.writeTo(s)).toBe(true);
      expect(s.bytes().equals(expected)).toBe(true);
    }
  });

  test("mixed text and byte frames survive short writes", () => {
    const q = new OutboundQueue();
    const expected: Buffer[] = [];
    for (const text of TEXTS) {
      q.appendFrame(FLAG_MORE, text);
      expected.push(encodeFrame(FLAG_MORE, Buffer.from(text, "utf8")));
      q.appendFrame(0, Buffer.from(text, "latin1"));
      expected.push(encodeFrame(0, Buffer.from(text, "latin1")));
    }
    const s = sink(1000);
    while (!q.writeTo(s));
    expect(q.bytes).toBe(0);
    expect(s.bytes().equals(Buffer.concat(expected))).toBe(true);
  });
});
