import { describe, expect, test } from "bun:test";
import { FrameDecoder } from "../../../src/zmtp/frame-decoder.ts";
import { FLAG_COMMAND, FLAG_MORE, encodeFrame } from "../../../src/zmtp/frame.ts";
import { ZmtpError } from "../../../src/zmtp/zmtp-error.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("frame encoding", () => {
  const cases: Array<[string, number, Buffer, string]> = [
    ["empty final frame", 0, Buffer.alloc(0), "00 00"],
    ["short final frame", 0, Buffer.from("hi"), "00 02 6869"],
    ["short MORE frame", FLAG_MORE, Buffer.from("a"), "01 01 61"],
    ["short command frame", FLAG_COMMAND, Buffer.from([4, 0x50, 0x49, 0x4e, 0x47]), "04 05 0450494e47"],
    ["255 octets stays short", 0, Buffer.alloc(255, 7), `00 ff ${"07".repeat(255)}`],
    ["256 octets is long", 0, Buffer.alloc(256, 1), `02 0000000000000100 ${"01".repeat(256)}`],
    ["long MORE frame", FLAG_MORE, Buffer.alloc(300, 2), `03 000000000000012c ${"02".repeat(300)}`],
    ["long command frame", FLAG_COMMAND, Buffer.alloc(256, 3), `06 0000000000000100 ${"03".repeat(256)}`],
  ];
  for (const [name, flags, body, bytes] of cases) {
    test(name, () => {
      expect(encodeFrame(flags, body)).toEqual(hex(bytes));
      const d = new FrameDecoder();
      d.push(hex(bytes));
      const frame = d.next();
      expect(frame).not.toBeNull();
      expect(frame?.more).toBe((flags & FLAG_MORE) !== 0);
      expect(frame?.command).toBe((flags & FLAG_COMMAND) !== 0);
      expect(frame?.body).toEqual(body);
      expect(d.next()).toBeNull();
      expect(d.buffered).toBe(0);
    });
  }

  test("1 MiB long frame header encodes the size in network order", () => {
    const f = encodeFrame(0, Buffer.alloc(1 << 20));
    expect(f.subarray(0, 9)).toEqual(hex("02 0000000000100000"));
  });
});

describe("frame decoding", () => {
  test("accepts a long header for a small body (RFC allows it)", () => {
    const d = new FrameDecoder();
    d.push(hex("02 0000000000000003 616263"));
    expect(d.next()?.body.toString()).toBe("abc");
  });

  test("parses frames split at every possible byte boundary", () => {
    const stream = Buffer.concat([encodeFrame(FLAG_MORE, Buffer.from("one")), encodeFrame(0, Buffer.alloc(400, 9)), encodeFrame(0, Buffer.alloc(0))]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      d.push(stream.subarray(0, cut));
      const got: Buffer[] = [];
      for (let f = d.next(); f; f = d.next()) got.push(f.body);
      d.push(stream.subarray(cut));
      for (let f = d.next(); f; f = d.next()) got.push(f.body);
      expect(got.map((b) => b.length)).toEqual([3, 400, 0]);
    }
  });

  test("parses a stream delivered one byte at a time", () => {
    const stream = Buffer.concat([encodeFrame(0, Buffer.alloc(1000, 5)), encodeFrame(FLAG_MORE, Buffer.from("x"))]);
    const d = new FrameDecoder();
    const got: number[] = [];
    for (const byte of stream) {
      d.push(Buffer.from([byte]));
      for (let f = d.next(); f; f = d.next()) got.push(f.body.length);
    }
    expect(got).toEqual([1000, 1]);
  });

  test("truncated inputs yield null, not an error", () => {
    for (const partial of ["", "00", "02 00000000", "02 0000000000000100 00", "01 05 6162"]) {
      const d = new FrameDecoder();
      d.push(hex(partial));
      expect(d.next()).toBeNull();
    }
  });

  const corrupt: Array<[string, string, string, RegExp]> = [
    ["reserved flag bit", "08 00", "EPROTO", /reserved flag/],
    ["all flag bits", "ff 00", "EPROTO", /reserved flag/],
    ["command with MORE", "05 00", "EPROTO", /command frame with MORE/],
    ["size beyond 2^53", "02 ffffffffffffffff", "EPROTO", /53 bits/],
  ];
  for (const [name, bytes, code, message] of corrupt) {
    test(`rejects ${name}`, () => {
      const d = new FrameDecoder();
      d.push(hex(bytes));
      let error: unknown;
      try {
        d.next();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ZmtpError);
      expect((error as ZmtpError).code).toBe(code as ZmtpError["code"]);
      expect((error as ZmtpError).message).toMatch(message);
    });
  }

  test("rejects a frame over the size limit before its body arrives", () => {
    const d = new FrameDecoder(100);
    d.push(hex("02 0000000000000065"));
    expect(() => d.next()).toThrow(/exceeds the limit of 100/);
  });

  test("read() returns exact byte counts across chunks", () => {
    const d = new FrameDecoder();
    d.push(Buffer.from("abc"));
    d.push(Buffer.from("defg"));
    expect(d.read(8)).toBeNull();
    expect(d.peek(2).toString()).toBe("ab");
    expect(d.read(5)?.toString()).toBe("abcde");
    expect(d.read(2)?.toString()).toBe("fg");
    expect(d.buffered).toBe(0);
  });
});
