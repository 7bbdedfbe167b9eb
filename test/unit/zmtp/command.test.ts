import { describe, expect, test } from "bun:test";
import {
  decodeError,
  decodePing,
  decodePong,
  decodeReady,
  encodeCommand,
  encodeError,
  encodePing,
  encodePong,
  encodeReady,
  parseCommand,
} from "../../../src/zmtp/command.ts";
import { FrameDecoder } from "../../../src/zmtp/frame-decoder.ts";
import { decodeMetadata, encodeMetadata } from "../../../src/zmtp/metadata.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const ascii = (s: string) => Buffer.from(s, "latin1").toString("hex");

/** Strips the frame header of a short command frame and returns the body. */
function bodyOf(frame: Buffer): Buffer {
  const d = new FrameDecoder();
  d.push(frame);
  const f = d.next();
  if (!f?.command) throw new Error("not a command frame");
  return f.body;
}

describe("READY", () => {
  test("encodes Socket-Type and Identity as RFC 37 metadata", () => {
    const frame = encodeReady([
      ["Socket-Type", "DEALER"],
      ["Identity", "w1"],
    ]);
    const expected = hex(
      `04 2b 05 ${ascii("READY")} 0b ${ascii("Socket-Type")} 00000006 ${ascii("DEALER")} 08 ${ascii("Identity")} 00000002 ${ascii("w1")}`,
    );
    expect(frame).toEqual(expected);
    const meta = decodeReady(parseCommand(bodyOf(frame)).data);
    expect(meta.get("socket-type")?.toString()).toBe("DEALER");
    expect(meta.get("identity")?.toString()).toBe("w1");
  });

  test("property names are case-insensitive", () => {
    const meta = decodeMetadata(encodeMetadata([["SOCKET-TYPE", "REP"]]));
    expect(meta.get("socket-type")?.toString()).toBe("REP");
  });

  test("empty metadata and empty values", () => {
    expect(decodeMetadata(Buffer.alloc(0)).size).toBe(0);
    expect(decodeMetadata(encodeMetadata([["Identity", ""]])).get("identity")?.length).toBe(0);
  });

  const corrupt: Array<[string, Buffer, RegExp]> = [
    ["truncated name", hex("0b 536f636b"), /truncated property/],
    ["truncated value length", hex(`04 ${ascii("Name")} 0000`), /truncated property/],
    ["value longer than data", hex(`04 ${ascii("Name")} 00000009 4142`), /truncated value/],
    ["zero-length name", hex("00 00000000"), /empty property name/],
    ["bad name character", hex(`02 2021 00000000`), /invalid property name/],
    ["duplicate name", Buffer.concat([encodeMetadata([["A", "1"]]), encodeMetadata([["a", "2"]])]), /duplicate property/],
  ];
  for (const [name, bytes, message] of corrupt) {
    test(`metadata rejects ${name}`, () => {
      expect(() => decodeMetadata(bytes)).toThrow(message);
    });
  }
});

describe("PING / PONG", () => {
  test("PING with TTL and context", () => {
    const frame = encodePing(30, Buffer.from("ctx"));
    expect(frame).toEqual(hex(`04 0a 04 ${ascii("PING")} 001e ${ascii("ctx")}`));
    const cmd = parseCommand(bodyOf(frame));
    expect(cmd.name).toBe("PING");
    expect(decodePing(cmd.data)).toEqual({ ttlDeciseconds: 30, context: Buffer.from("ctx") });
  });

  test("PING TTL is clamped to 16 bits", () => {
    expect(decodePing(parseCommand(bodyOf(encodePing(1e9))).data).ttlDeciseconds).toBe(0xffff);
  });

  test("PONG echoes the context", () => {
    const frame = encodePong(Buffer.from("ctx"));
    expect(frame).toEqual(hex(`04 08 04 ${ascii("PONG")} ${ascii("ctx")}`));
    expect(decodePong(parseCommand(bodyOf(frame)).data).toString()).toBe("ctx");
  });

  test("rejects malformed PING/PONG", () => {
    expect(() => decodePing(hex("00"))).toThrow(/missing TTL/);
    expect(() => decodePing(Buffer.alloc(19))).toThrow(/context longer/);
    expect(() => decodePong(Buffer.alloc(17))).toThrow(/context longer/);
    expect(() => encodePing(1, Buffer.alloc(17))).toThrow(TypeError);
  });
});

describe("ERROR and generic commands", () => {
  test("ERROR carries a reason", () => {
    const frame = encodeError("bad");
    expect(frame).toEqual(hex(`04 0a 05 ${ascii("ERROR")} 03 ${ascii("bad")}`));
    expect(decodeError(parseCommand(bodyOf(frame)).data)).toBe("bad");
  });

  test("ERROR reason is cut at 255 octets", () => {
    expect(decodeError(parseCommand(bodyOf(encodeError("x".repeat(400)))).data).length).toBe(255);
  });

  test("command with a long body uses a long frame", () => {
    const frame = encodeCommand("READY", Buffer.alloc(300));
    expect(frame[0]).toBe(0x06);
  });

  test("rejects malformed command bodies", () => {
    expect(() => parseCommand(Buffer.alloc(0))).toThrow(/empty name/);
    expect(() => parseCommand(hex("00"))).toThrow(/empty name/);
    expect(() => parseCommand(hex("05 5245"))).toThrow(/truncated name/);
    expect(() => parseCommand(hex("02 0001"))).toThrow(/invalid name/);
    expect(() => decodeError(hex("05 41"))).toThrow(/truncated reason/);
  });
});
