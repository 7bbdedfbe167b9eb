import { describe, expect, test } from "bun:test";
import { decode } from "../../src/codec/index.ts";
import { createExecutor, sourceName } from "../../src/workers/execute.ts";
import { isInternalFrame } from "../../src/workers/internal-frames.ts";
import type { Outcome } from "../../src/workers/outcome.ts";

let nextId = 0;
const run = (code: string, args = "[]", executor = createExecutor()) =>
  executor.run({ functionId: `fn-${++nextId}`, code, args });

function value(outcome: Outcome): unknown {
  expect(outcome.status).toBe("COMPLETED");
  return decode(outcome.result);
}

function failure(outcome: Outcome): Error {
  expect(outcome.status).toBe("FAILED");
  const err = decode(outcome.result);
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

/** Stack frames that point into our own source tree (src/), which the filter must have removed. */
function ourFrames(err: Error): string[] {
  const src = new URL("../../src/", import.meta.url).pathname;
  return (err.stack ?? "").split("\n").filter((line) => line.includes(src));
}

describe("executor", () => {
  test("runs a sync function with decoded args and encodes its value", async () => {
    expect(value(await run("(x, y) => ({ sum: x + y, list: [x, y] })", "[2, 3]"))).toEqual({ sum: 5, list: [2, 3] });
  });

  test("awaits async functions and thenables", async () => {
    expect(value(await run("async function f(n) { await null; return n * 2 }", "[21]"))).toBe(42);
    expect(value(await run("() => ({ then(resolve) { resolve('via then') } })"))).toBe("via then");
  });

  test("undefined result encodes", async () => {
    expect((await run("() => {}")).status).toBe("COMPLETED");
  });

  test("a throw keeps name, message and user frames, without our frames", async () => {
    const err = failure(await run("function boom(msg) { throw new RangeError(msg) }", '["out of range"]'));
    expect(err.name).toBe("RangeError");
    expect(err.message).toBe("out of range");
    expect(err.stack).toContain("boom");
    expect(err.stack).toMatch(/function-fn-\d+\.js:1:\d+/);
    expect(ourFrames(err)).toEqual([]);
  });

  test("a rejection fails with the rejected error", async () => {
    const err = failure(await run("async (a) => { await null; throw new TypeError('bad ' + a) }", '["input"]'));
    expect(err.name).toBe("TypeError");
    expect(err.message).toBe("bad input");
    expect(ourFrames(err)).toEqual([]);
  });

  test("non-Error throws are described", async () => {
    expect(failure(await run("() => { throw 'plain string' }")).message).toContain("plain string");
    expect(failure(await run("async () => { throw { code: 7 } }")).message).toContain("7");
  });

  test("a result that cannot be encoded fails with ResultEncodeError", async () => {
    const fnResult = failure(await run("() => () => 1"));
    expect(fnResult.name).toBe("ResultEncodeError");
    expect(fnResult.message).toContain("function");
    const circular = failure(await run("() => { const o = {}; o.self = o; return o }"));
    expect(circular.name).toBe("ResultEncodeError");
    expect(circular.message).toContain("circular");
    const getter = failure(await run("() => ({ get x() { throw new Error('getter exploded') } })"));
    expect(getter.name).toBe("ResultEncodeError");
    expect(getter.message).toContain("getter exploded");
  });

  test("bad arguments fail with the codec's message", async () => {
    const notJson = failure(await run("(x) => x", "not json"));
    expect(notJson.name).toBe("CodecError");
    expect(notJson.message).toContain("not valid JSON");
    expect(ourFrames(notJson)).toEqual([]);
    const notArray = failure(await run("(x) => x", '{"a":1}'));
    expect(notArray.message).toContain("must be a JSON array");
  });

  test("code that is not a function, or does not parse, fails clearly", async () => {
    const notFn = failure(await run("42"));
    expect(notFn.name).toBe("InvalidFunctionError");
    expect(notFn.message).toContain("a number, not a function");
    const syntax = failure(await run("(x) => {"));
    expect(syntax.name).toBe("SyntaxError");
    expect(ourFrames(syntax)).toEqual([]);
  });

  test("user code is evaluated in global scope, not inside the executor", async () => {
    expect(value(await run("() => [typeof cache, typeof job, typeof compileInto]"))).toEqual(["undefined", "undefined", "undefined"]);
  });

  test("code ending in a line comment still compiles", async () => {
    expect(value(await run("(x) => x + 1 // trailing comment", "[1]"))).toBe(2);
  });

  test("compiles once per function id and caches it", async () => {
    const executor = createExecutor();
    const job = { functionId: "same", code: "() => 'first'", args: "[]" };
    expect(executor.has("same")).toBe(false);
    expect(value(await executor.run(job))).toBe("first");
    expect(executor.has("same")).toBe(true);
    // The cached function is used, not the new code.
    expect(value(await executor.run({ ...job, code: "() => 'second'" }))).toBe("first");
    // A cache hit does not need code at all.
    expect(value(await executor.run({ ...job, code: "" }))).toBe("first");
    // A failed compile is not cached.
    expect(failure(await executor.run({ functionId: "broken", code: "(", args: "[]" })).name).toBe("SyntaxError");
    expect(executor.has("broken")).toBe(false);
  });

  test("the cache is bounded and evicts the least recently used function", async () => {
    const executor = createExecutor({ cacheSize: 2 });
    const job = (functionId: string, code: string) => ({ functionId, code, args: "[]" });
    await executor.run(job("a", "() => 'a'"));
    await executor.run(job("b", "() => 'b'"));
    await executor.run(job("a", ""));
    await executor.run(job("c", "() => 'c'"));
    expect([executor.has("a"), executor.has("b"), executor.has("c")]).toEqual([true, false, true]);
  });

  test("user code names its source after the function id, with only safe characters", () => {
    expect(sourceName("3f2a-b_c.d")).toBe("function-3f2a-b_c.d.js");
    expect(sourceName("a b/c\n)")).toBe("function-a_b_c__.js");
  });

  test("compiled-binary and runtime plumbing frames count as internal", () => {
    expect(isInternalFrame("    at run (/$bunfs/root/workers/thread-entry.js:10:3)")).toBe(true);
    expect(isInternalFrame("    at processTicksAndRejections (native:7:39)")).toBe(true);
    expect(isInternalFrame("    at boom (function-abc.js:1:20)")).toBe(false);
    expect(isInternalFrame("    at map (native:1:11)")).toBe(false);
    expect(isInternalFrame("Error: at the start of a message")).toBe(false);
  });
});
