import { expect, test } from "bun:test";
import { createHostCheck, splitHost } from "../../src/api/host-check.ts";
import { parseCommand } from "../../src/config.ts";

const env = {};

test("--allowed-hosts and --cors-origin: repeatable or comma lists, lower-cased; none by default", () => {
  expect(parseCommand(["api"], env)).toMatchObject({ allowedHosts: [], corsOrigins: [] });
  const cfg = parseCommand(["api", "--allowed-hosts", "API.example.com, proxy:8443", "--allowed-hosts", "[::1]:9",
    "--cors-origin", "https://App.example.com/", "--cors-origin", "http://localhost:3000,*"], env);
  expect(cfg).toMatchObject({ allowedHosts: ["api.example.com", "proxy:8443", "[::1]:9"], corsOrigins: ["https://app.example.com", "http://localhost:3000", "*"] });
  expect(parseCommand(["up", "--allowed-hosts", "*"], env)).toMatchObject({ allowedHosts: ["*"] });
  for (const bad of [["--allowed-hosts", "http://x"], ["--allowed-hosts", "a/b"], ["--cors-origin", "app.example.com"], ["--cors-origin", "https://x/path"]]) {
    expect(() => parseCommand(["api", ...bad], env)).toThrow(expect.objectContaining({ code: "USAGE" }));
  }
});

test("host check: own address and loopback names with the port; listed names; wildcard binds", () => {
  const loop = createHostCheck({ bindHost: "127.0.0.1", port: 8000 });
  for (const ok of ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LocalHost:8000", null]) expect(loop(ok)).toBe(true);
  for (const no of ["127.0.0.1", "localhost:8001", "evil.example:8000", "127.0.0.1:8000.evil", ""]) expect(loop(no)).toBe(false);
  expect(createHostCheck({ bindHost: "127.0.0.1", port: 80 })("localhost")).toBe(true);
  const v6 = createHostCheck({ bindHost: "::1", port: 9 });
  expect(v6("[::1]:9")).toBe(true);
  expect(v6("localhost:9")).toBe(true);
  const lan = createHostCheck({ bindHost: "10.0.0.5", port: 8000 });
  expect(lan("10.0.0.5:8000")).toBe(true);
  expect(lan("localhost:8000")).toBe(false);
  expect(createHostCheck({ bindHost: "0.0.0.0", port: 1 })("whatever")).toBe(true);
  expect(createHostCheck({ bindHost: "::", port: 1 })("whatever")).toBe(true);
  const listed = createHostCheck({ bindHost: "0.0.0.0", port: 8000, allowedHosts: ["faas.internal", "proxy:443"] });
  expect(listed("faas.internal:1")).toBe(true);
  expect(listed("proxy:443")).toBe(true);
  expect(listed("proxy:444")).toBe(false);
  expect(listed("localhost:8000")).toBe(true);
  expect(listed("other")).toBe(false);
  expect(createHostCheck({ bindHost: "127.0.0.1", port: 1, allowedHosts: ["*"] })("any")).toBe(true);
  expect(splitHost("[::1]:80")).toEqual({ name: "[::1]", port: "80" });
  expect(splitHost("[::1]")).toEqual({ name: "[::1]", port: undefined });
});
