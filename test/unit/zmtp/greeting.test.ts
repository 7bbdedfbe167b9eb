import { describe, expect, test } from "bun:test";
import { GREETING_SIZE, checkGreetingPrefix, encodeGreeting, parseGreeting } from "../../../src/zmtp/greeting.ts";
import { ZmtpError } from "../../../src/zmtp/zmtp-error.ts";

function greeting(patch: Record<number, number> = {}, mechanism = "NULL"): Buffer {
  const g = encodeGreeting(mechanism, false);
  for (const [at, value] of Object.entries(patch)) g[Number(at)] = value;
  return g;
}

describe("greeting encoding", () => {
  test("NULL greeting bytes match RFC 37 layout", () => {
    const expected = Buffer.alloc(64);
    expected.set([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1], 0);
    expected.write("NULL", 12, "latin1");
    expect(encodeGreeting("NULL", false)).toEqual(expected);
    expect(encodeGreeting("NULL", false).length).toBe(GREETING_SIZE);
  });

  test("as-server flag sits at octet 32", () => {
    expect(encodeGreeting("PLAIN", true)[32]).toBe(1);
    expect(encodeGreeting("PLAIN", false)[32]).toBe(0);
  });

  test("rejects invalid mechanism names", () => {
    expect(() => encodeGreeting("", false)).toThrow(TypeError);
    expect(() => encodeGreeting("X".repeat(21), false)).toThrow(TypeError);
    expect(() => encodeGreeting("null", false)).toThrow(TypeError);
  });
});

describe("greeting parsing", () => {
  test("round-trips", () => {
    expect(parseGreeting(encodeGreeting("CURVE", true))).toEqual({ major: 3, minor: 1, mechanism: "CURVE", asServer: true });
  });

  test("accepts a ZMTP 3.0 peer and later versions", () => {
    expect(parseGreeting(greeting({ 11: 0 })).minor).toBe(0);
    expect(parseGreeting(greeting({ 10: 4, 11: 2 })).major).toBe(4);
  });

  test("padding octets 1-8 are not significant", () => {
    expect(parseGreeting(greeting({ 1: 9, 8: 0xaa })).mechanism).toBe("NULL");
  });

  const bad: Array<[string, Buffer, RegExp]> = [
    ["first octet not 0xff", greeting({ 0: 0x01 }), /first octet/],
    ["octet 9 not 0x7f", greeting({ 9: 0x7e }), /octet 9/],
    ["ZMTP 2.0", greeting({ 10: 1 }), /unsupported ZMTP version 1/],
    ["junk after mechanism NUL", greeting({ 17: 0x41 }), /NUL-padded/],
    ["lower-case mechanism", greeting({ 12: 0x6e }), /invalid mechanism/],
    ["empty mechanism", greeting({ 12: 0, 13: 0, 14: 0, 15: 0 }), /invalid mechanism/],
    ["as-server 2", greeting({ 32: 2 }), /as-server/],
    ["truncated", greeting().subarray(0, 63), /truncated greeting/],
  ];
  for (const [name, bytes, message] of bad) {
    test(`rejects ${name}`, () => {
      expect(() => parseGreeting(bytes)).toThrow(message);
      try {
        parseGreeting(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(ZmtpError);
        expect((err as ZmtpError).code).toBe("EPROTO");
      }
    });
  }

  test("prefix check fails fast on the first bad octet", () => {
    expect(() => checkGreetingPrefix(Buffer.from([0x47]))).toThrow(/first octet 0x47/); // "GET / HTTP"
    expect(() => checkGreetingPrefix(Buffer.from([0xff, 0, 0]))).not.toThrow();
    expect(() => checkGreetingPrefix(Buffer.alloc(0))).not.toThrow();
    expect(() => checkGreetingPrefix(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 2]))).toThrow(/version 2/);
  });
});
