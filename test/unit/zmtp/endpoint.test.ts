import { expect, test } from "bun:test";
import { formatEndpoint, parseEndpoint } from "../../../src/zmtp/endpoint.ts";
import { resolveOptions } from "../../../src/zmtp/options.ts";
import { isCompatible } from "../../../src/zmtp/socket-type.ts";

test("parses tcp endpoints", () => {
  expect(parseEndpoint("tcp://127.0.0.1:5555", false)).toEqual({ transport: "tcp", host: "127.0.0.1", port: 5555 });
  expect(parseEndpoint("tcp://[::1]:80", false)).toEqual({ transport: "tcp", host: "::1", port: 80 });
  expect(parseEndpoint("tcp://localhost:1", false)).toMatchObject({ host: "localhost" });
  expect(parseEndpoint("tcp://*:*", true)).toEqual({ transport: "tcp", host: "0.0.0.0", port: 0 });
  expect(parseEndpoint("tcp://*:0", true)).toMatchObject({ port: 0 });
});

test("parses ipc endpoints: absolute and relative paths, up to the unix socket address limit", () => {
  expect(parseEndpoint("ipc:///tmp/faas/d.sock", true)).toEqual({ transport: "ipc", path: "/tmp/faas/d.sock" });
  expect(parseEndpoint("ipc://zmtp.sock", false)).toEqual({ transport: "ipc", path: "zmtp.sock" });
  expect(parseEndpoint(`ipc:///${"a".repeat(102)}`, true)).toMatchObject({ transport: "ipc" });
  expect(() => parseEndpoint(`ipc:///${"a".repeat(103)}`, true)).toThrow(/too long/);
});

test("rejects bad endpoints with EINVAL", () => {
  for (const [ep, bind] of [
    ["ipc://*", true],
    ["ipc://@abstract", false],
    ["ipc://a\0b", true],
    ["inproc://x", true],
    ["tcp://host", true],
    ["tcp://::1:5", true],
    ["tcp://*:5", false],
    ["tcp://h:0", false],
    ["tcp://h:70000", true],
    ["tcp://h:abc", true],
    ["nonsense", true],
  ] as const) {
    expect(() => parseEndpoint(ep, bind)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  }
});

test("formats IPv6 with brackets", () => {
  expect(formatEndpoint("::1", 9)).toBe("tcp://[::1]:9");
  expect(formatEndpoint("10.0.0.1", 9)).toBe("tcp://10.0.0.1:9");
});

test("socket type compatibility table", () => {
  expect(isCompatible("REQ", "ROUTER")).toBe(true);
  expect(isCompatible("REQ", "REQ")).toBe(false);
  expect(isCompatible("DEALER", "REP")).toBe(true);
  expect(isCompatible("REP", "ROUTER")).toBe(false);
  expect(isCompatible("ROUTER", "ROUTER")).toBe(true);
  expect(isCompatible("DEALER", "PUB")).toBe(false);
});

test("options get documented defaults and are validated", () => {
  const o = resolveOptions({ heartbeatInterval: 500 });
  expect(o.sendHighWaterMark).toBe(1000);
  expect(o.linger).toBe(0);
  expect(o.heartbeatTimeout).toBe(500);
  // our extras default to today's behaviour
  expect([o.frameOverhead, o.maxFramesPerMessage, o.maxConnections, o.maxUnauthenticatedBytes, o.authenticationTimeout]).toEqual([0, 0, 0, 0, 0]);
  expect(() => resolveOptions({ maxUnauthenticatedBytes: -1 })).toThrow(TypeError);
  expect(() => resolveOptions({ frameOverhead: 1.5 })).toThrow(TypeError);
  expect(() => resolveOptions({ sendHighWaterMark: -1 })).toThrow(TypeError);
  expect(() => resolveOptions({ routingId: "" })).toThrow(TypeError);
});
