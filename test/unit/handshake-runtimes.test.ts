import { describe, expect, test } from "bun:test";
import { decodeRuntimes, encodeRuntimes } from "../../src/protocol/index.ts";

describe("the X-Faas-Runtimes handshake property", () => {
  test("lists js always, python when advertised; unknown names and malformed values fall back to js", () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(encodeRuntimes(["js", "python", "js"])).toBe("js python");
    expect([...decodeRuntimes(bytes("js python"))].sort()).toEqual(["js", "python"]);
    expect([...decodeRuntimes(undefined)]).toEqual(["js"]);
    expect([...decodeRuntimes(bytes("cobol"))]).toEqual(["js"]);
    expect([...decodeRuntimes(bytes("python " + "x".repeat(300)))]).toEqual(["js"]);
  });
});
