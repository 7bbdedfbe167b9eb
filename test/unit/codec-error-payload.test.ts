import { describe, expect, test } from "bun:test";
import { decode, encode, encodeError, toError } from "../../src/codec/index.ts";

type Payload = { $type: string; value: Record<string, unknown> };

function payload(err: unknown, opts?: Parameters<typeof encodeError>[1]): Payload {
  const text = encodeError(err, opts);
  expect(typeof text).toBe("string");
  return JSON.parse(text) as Payload;
}

function roundTrip(err: unknown): Error {
  return toError(decode(encodeError(err)));
}

class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

describe("encodeError of Errors", () => {
  test("an Error subclass keeps name, message, stack and own properties", () => {
    const err = new HttpError("not found", 404);
    const { $type, value } = payload(err);
    expect($type).toBe("error");
    expect(value).toEqual({ name: "HttpError", message: "not found", stack: err.stack, status: 404 });
    const back = roundTrip(err) as Error & { status?: number };
    expect(back).toBeInstanceOf(Error);
    expect(back.name).toBe("HttpError");
    expect(back.message).toBe("not found");
    expect(back.stack).toBe(err.stack);
    expect(back.status).toBe(404);
    expect(Object.keys(back)).toEqual(["status"]);
  });

  test("built-in error classes come back as themselves", () => {
    expect(roundTrip(new TypeError("t"))).toBeInstanceOf(TypeError);
    expect(roundTrip(new RangeError("r"))).toBeInstanceOf(RangeError);
    expect(roundTrip(new SyntaxError("s"))).toBeInstanceOf(SyntaxError);
    const aggregate = roundTrip(new AggregateError([new Error("one"), "two"], "many"));
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect((aggregate as AggregateError).errors).toHaveLength(2);
    expect(((aggregate as AggregateError).errors[0] as Error).message).toBe("one");
    expect((aggregate as AggregateError).errors[1]).toBe("two");
  });

  test("causes are kept: Error chains, plain values and an explicit undefined", () => {
    const chain = roundTrip(new Error("top", { cause: new TypeError("middle", { cause: { code: 7 } }) }));
    expect(chain.message).toBe("top");
    const middle = chain.cause as Error;
    expect(middle).toBeInstanceOf(TypeError);
    expect(middle.message).toBe("middle");
    expect(middle.cause).toEqual({ code: 7 });
    const undefinedCause = roundTrip(new Error("u", { cause: undefined }));
    expect(Object.hasOwn(undefinedCause, "cause")).toBe(true);
    expect(Object.hasOwn(roundTrip(new Error("none")), "cause")).toBe(false);
  });

  test("stackFilter drops lines from the error and every nested error", () => {
    const inner = new Error("inner");
    inner.stack = "Error: inner\n    at user (fn.js:1:1)\n    at internal (runner.ts:9:9)";
    const err = new Error("outer", { cause: inner });
    err.stack = "Error: outer\n    at internal (runner.ts:5:5)\n    at user (fn.js:2:2)";
    const { value } = payload(err, { stackFilter: (line) => !line.includes("runner.ts") });
    expect(value.stack).toBe("Error: outer\n    at user (fn.js:2:2)");
    expect((value.cause as Payload).value.stack).toBe("Error: inner\n    at user (fn.js:1:1)");
  });

  test("unencodable parts become descriptions instead of failing", () => {
    const err = Object.assign(new Error("messy"), {
      retry: function retry() {},
      socket: new (class Socket {})(),
      sym: Symbol("s"),
      big: 5n,
    });
    err.cause = err;
    const { value } = payload(err);
    expect(value).toMatchObject({
      message: "messy",
      cause: "[circular]",
      retry: "[function retry]",
      socket: "[instance of Socket]",
      sym: "[Symbol(s)]",
      big: { $type: "bigint", value: "5" },
    });
    const back = roundTrip(err) as Error & { big?: bigint };
    expect(back.big).toBe(5n);
  });

  test("hostile errors still give a payload", () => {
    const hostile = new Error("x");
    Object.defineProperty(hostile, "message", {
      get(): never {
        throw new Error("no message for you");
      },
    });
    expect(payload(hostile).value).toEqual({ name: "Error", message: "unencodable thrown value" });
    const { proxy, revoke } = Proxy.revocable(new Error("gone"), {});
    revoke();
    expect(payload(proxy).value.name).toBe("Error");
    const throwingFilter = payload(new Error("f"), {
      stackFilter: () => {
        throw new Error("bad filter");
      },
    });
    expect(throwingFilter.value).toEqual({ name: "Error", message: "f" });
  });
});

describe("encodeError of non-Error throws", () => {
  const cases: Array<[string, unknown, string]> = [
    ["string", "boom", "boom"],
    ["number", 42, "non-error value thrown: 42"],
    ["undefined", undefined, "non-error value thrown: undefined"],
    ["null", null, "non-error value thrown: null"],
    ["object", { code: 1, why: "x" }, 'non-error value thrown: {"code":1,"why":"x"}'],
    ["bigint", 3n, "non-error value thrown: 3"],
  ];
  for (const [name, thrown, message] of cases) {
    test(name, () => {
      const { $type, value } = payload(thrown);
      expect($type).toBe("error");
      expect(value.name).toBe("Error");
      expect(value.message).toBe(message);
      const back = roundTrip(thrown) as Error & { thrown?: unknown };
      expect(back).toBeInstanceOf(Error);
      expect(back.message).toBe(message);
      expect(back.thrown).toEqual(thrown);
    });
  }

  test("functions and symbols are described", () => {
    expect(payload(function handler() {}).value).toMatchObject({ thrown: "[function handler]" });
    expect(payload(Symbol("s")).value.message).toBe("non-error value thrown: Symbol(s)");
  });
});

describe("toError", () => {
  test("returns a decoded Error as is", () => {
    const err = new Error("same");
    expect(toError(err)).toBe(err);
  });

  test("rebuilds an undecoded tag object or an error-shaped object", () => {
    const fromTag = toError(JSON.parse(encodeError(new RangeError("r", { cause: 1n }))));
    expect(fromTag).toBeInstanceOf(RangeError);
    expect(fromTag.cause).toBe(1n);
    const shaped = toError({ name: "ValidationError", message: "bad", stack: "ValidationError: bad\n    at x", cause: "c" });
    expect(shaped.name).toBe("ValidationError");
    expect(shaped.stack).toBe("ValidationError: bad\n    at x");
    expect(shaped.cause).toBe("c");
  });

  test("anything else becomes an Error describing it, never a throw", () => {
    expect(toError("plain").message).toBe("plain");
    expect(toError(7).message).toBe("non-error value: 7");
    expect(toError({ $type: "error", value: 1 }).message).toBe('non-error value: {"$type":"error","value":1}');
    expect(toError(undefined)).toBeInstanceOf(Error);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(toError(proxy)).toBeInstanceOf(Error);
  });

  test("a decoded error without a stack shows only its header, not decoder frames", () => {
    const err = toError(decode('{"$type":"error","value":{"name":"Remote","message":"far away"}}'));
    expect(err.stack).toBe("Remote: far away");
    expect(encode(err)).toBe('{"$type":"error","value":{"name":"Remote","message":"far away","stack":"Remote: far away"}}');
  });
});
