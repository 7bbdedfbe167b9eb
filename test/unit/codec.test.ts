import { describe, expect, test } from "bun:test";
import { CodecError, decode, decodeArgs, encode } from "../../src/codec/index.ts";

function codecError(run: () => unknown): CodecError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe("CODEC");
    return err as CodecError;
  }
  throw new Error("expected a CodecError");
}

function roundTrip<T>(value: T): T {
  return decode(encode(value)) as T;
}

function nestedArrays(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe("plain JSON is unchanged", () => {
  const texts = [
    "[21]",
    "42",
    '"text"',
    "null",
    "true",
    "[]",
    "{}",
    '[1,"a",{"b":null}]',
    '{"a":{"b":[1,2.5,-3,1e+21,"\\u0000\\n\\"é😀"]},"c":false,"d":""}',
    '[{"$notype":1,"type":"x"},[[[]]]]',
  ];
  for (const text of texts) {
    test(`encode(decode(${text})) is byte-identical`, () => {
      expect(encode(decode(text))).toBe(text);
    });
  }

  test("encode matches JSON.stringify for plain values (key order kept)", () => {
    const value = { z: 1, a: [true, null, { y: "é", x: 0.1 }], m: -5e-7, 10: "n" };
    expect(encode(value)).toBe(JSON.stringify(value));
    expect(roundTrip(value)).toEqual(value);
  });
});

describe("round trip of every tagged type", () => {
  test("undefined at top level, in arrays (incl. holes) and as a kept object property", () => {
    expect(encode(undefined)).toBe('{"$type":"undefined"}');
    expect(roundTrip(undefined)).toBeUndefined();
    const arr = roundTrip([1, undefined, 3]);
    expect(arr).toHaveLength(3);
    expect(1 in arr && arr[1] === undefined).toBe(true);
    // eslint-disable-next-line no-sparse-arrays
    expect(roundTrip([1, , 3])).toHaveLength(3);
    const obj = roundTrip({ a: undefined, b: 1 });
    expect(Object.keys(obj)).toEqual(["a", "b"]);
    expect(obj.a).toBeUndefined();
  });

  test("numbers JSON cannot write: NaN, ±Infinity, -0", () => {
    const [nan, inf, negInf, negZero, zero] = roundTrip([NaN, Infinity, -Infinity, -0, 0]);
    expect(Number.isNaN(nan)).toBe(true);
    expect(inf).toBe(Infinity);
    expect(negInf).toBe(-Infinity);
    expect(Object.is(negZero, -0)).toBe(true);
    expect(Object.is(zero, 0)).toBe(true);
    expect(encode([NaN, -0])).toBe('[{"$type":"number","value":"NaN"},{"$type":"number","value":"-0"}]');
  });

  test("bigint, including huge and negative", () => {
    const big = 2n ** 200n;
    expect(roundTrip([big, -123n, 0n])).toEqual([big, -123n, 0n]);
    expect(encode(123n)).toBe('{"$type":"bigint","value":"123"}');
  });

  test("Date, including invalid Date and extreme years", () => {
    const [date, invalid, far] = roundTrip([new Date(1_700_000_000_123), new Date(NaN), new Date(8.64e15)]);
    expect(date).toBeInstanceOf(Date);
    expect(date.getTime()).toBe(1_700_000_000_123);
    expect(invalid).toBeInstanceOf(Date);
    expect(Number.isNaN(invalid.getTime())).toBe(true);
    expect(far.getTime()).toBe(8.64e15);
  });

  test("Map and Set with nested and non-string keys", () => {
    const key = { id: 1 };
    const map = new Map<unknown, unknown>([
      ["a", 1],
      [key, new Set([1n, undefined])],
      [2n, new Map([[NaN, [new Date(0)]]])],
    ]);
    const back = roundTrip({ map });
    expect(back.map).toBeInstanceOf(Map);
    expect([...back.map.keys()]).toEqual(["a", { id: 1 }, 2n]);
    const set = back.map.get([...back.map.keys()][1]) as Set<unknown>;
    expect(set).toBeInstanceOf(Set);
    expect([...set]).toEqual([1n, undefined]);
    const inner = back.map.get(2n) as Map<number, Date[]>;
    expect(inner.get(NaN)?.[0]?.getTime()).toBe(0);
  });

  test("RegExp keeps source and flags", () => {
    const re = roundTrip(/a\/b+[\]"]/giu);
    expect(re).toBeInstanceOf(RegExp);
    expect(re.source).toBe(/a\/b+[\]"]/giu.source);
    expect(re.flags).toBe("giu");
  });

  test("Uint8Array, ArrayBuffer and the other typed arrays (views keep only their bytes)", () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    expect(encode(bytes)).toBe('{"$type":"uint8array","value":"AAH+/w=="}');
    expect(roundTrip(bytes)).toEqual(bytes);
    const buffer = roundTrip(new Uint8Array([9, 8, 7]).buffer);
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(buffer)]).toEqual([9, 8, 7]);
    const window = new Int16Array(new Int16Array([1, -2, 3, -4]).buffer, 2, 2);
    const back = roundTrip(window);
    expect(back).toBeInstanceOf(Int16Array);
    expect([...back]).toEqual([-2, 3]);
    const floats = roundTrip(new Float64Array([1.5, NaN, -0]));
    expect(floats).toBeInstanceOf(Float64Array);
    expect(Object.is(floats[2], -0) && Number.isNaN(floats[1])).toBe(true);
    expect(roundTrip(new BigInt64Array([-5n]))[0]).toBe(-5n);
    const fromBuffer: unknown = roundTrip(Buffer.from("hi"));
    expect(Object.getPrototypeOf(fromBuffer)).toBe(Uint8Array.prototype);
    expect(fromBuffer).toEqual(new Uint8Array([104, 105]));
  });

  test("nested Errors keep name, message, stack, cause and extra properties", () => {
    const err = Object.assign(new RangeError("too far", { cause: new Error("root") }), { code: "E_FAR", meta: { n: 1n } });
    const back = roundTrip([{ err }])[0]!.err;
    expect(back).toBeInstanceOf(RangeError);
    expect(back.message).toBe("too far");
    expect(back.stack).toBe(err.stack);
    expect(back.code).toBe("E_FAR");
    expect(back.meta).toEqual({ n: 1n });
    expect(back.cause).toBeInstanceOf(Error);
    expect((back.cause as Error).message).toBe("root");
  });

  test("shared (non-circular) references are duplicated", () => {
    const shared = { x: 1 };
    const back = roundTrip([shared, shared, new Map([[shared, shared]])]);
    expect(back[0]).toEqual({ x: 1 });
    expect(back[1]).toEqual({ x: 1 });
  });

  test("null-prototype objects encode as plain objects", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(encode(bare)).toBe('{"a":1}');
  });
});

describe("tag escaping", () => {
  test("an object that looks like a tag round-trips as itself", () => {
    const lookalike = { $type: "bigint", value: "123" };
    expect(encode(lookalike)).toBe('{"$type":"object","value":{"$type":"bigint","value":"123"}}');
    expect(roundTrip(lookalike)).toEqual(lookalike);
    const nested = { $type: "object", value: { $type: "undefined" }, more: [{ $type: 1 }] };
    expect(roundTrip([nested])).toEqual([nested]);
  });

  test("a tag written by hand decodes to its value; an escaped one does not", () => {
    expect(decode('{"$type":"bigint","value":"7"}')).toBe(7n);
    expect(decode('{"$type":"object","value":{"$type":"bigint","value":"7"}}')).toEqual({ $type: "bigint", value: "7" });
  });

  test("a $type key spelled with \\u escapes is still a tag", () => {
    expect(decode('{"\\u0024type":"bigint","value":"5"}')).toBe(5n);
    expect(decode('{"$\\u0074ype":"bigint","value":"6"}')).toBe(6n);
  });
});

describe("encode rejects what it cannot carry", () => {
  const cases: Array<[string, unknown, string]> = [
    ["function", [{ f: () => 1 }], "cannot encode function at $[0].f"],
    ["symbol", { s: Symbol("x") }, "cannot encode symbol at $.s"],
    ["class instance", { deep: [new (class Point {})()] }, "cannot encode instance of Point at $.deep[0]"],
    ["WeakMap", [new WeakMap()], "cannot encode instance of WeakMap at $[0]"],
    ["Promise", Promise.resolve(1), "cannot encode instance of Promise at $"],
    ["DataView", new DataView(new ArrayBuffer(1)), "cannot encode DataView at $"],
    ["odd key", { "a b": [() => 1] }, 'cannot encode function at $["a b"][0]'],
    ["map value", new Map([["k", () => 1]]), "cannot encode function at $.values()[0]"],
    ["error property", Object.assign(new Error("x"), { fn: () => 1 }), "cannot encode function at $.fn"],
  ];
  for (const [name, value, message] of cases) {
    test(name, () => {
      expect(codecError(() => encode(value)).message).toBe(message);
    });
  }

  test("circular references (object, array, Map, error cause) name the path", () => {
    const obj: Record<string, unknown> = { a: [1] };
    (obj.a as unknown[]).push(obj);
    expect(codecError(() => encode(obj)).message).toBe("cannot encode circular reference at $.a[1]");
    const map = new Map<string, unknown>();
    map.set("self", map);
    expect(codecError(() => encode(map)).message).toBe("cannot encode circular reference at $.values()[0]");
    const err = new Error("loop");
    err.cause = err;
    expect(codecError(() => encode(err)).message).toBe("cannot encode circular reference at $.cause");
  });

  test("a throwing getter or a revoked proxy becomes a CodecError", () => {
    const hostile = {
      get boom(): never {
        throw new TypeError("nope");
      },
    };
    expect(codecError(() => encode({ hostile })).message).toContain("nope");
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    codecError(() => encode([proxy]));
  });
});

describe("depth limit", () => {
  test("1000 levels round-trip; 1001 levels fail both ways", () => {
    expect(roundTrip(nestedArrays(1000))).toEqual(nestedArrays(1000));
    expect(codecError(() => encode(nestedArrays(1001))).message).toStartWith(
      "cannot encode value nested deeper than 1000 levels at $[0][0]",
    );
    expect(decode("[".repeat(1000) + "]".repeat(1000))).toBeArray();
    expect(codecError(() => decode("[".repeat(1001) + "]".repeat(1001))).message).toContain("deeper than 1000");
  });

  test("absurdly deep input fails fast without a stack overflow, with or without tags", () => {
    const started = performance.now();
    codecError(() => decode("[".repeat(200_000) + "]".repeat(200_000)));
    codecError(() => decode('[{"$type":"undefined"},' + '{"a":'.repeat(50_000) + "1" + "}".repeat(50_000) + "]"));
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("tags count as levels, so whatever encode writes, decode reads", () => {
    let value: unknown = 1;
    let levels = 0;
    for (;;) {
      const next = new Map([["k", value]]);
      try {
        encode(next);
      } catch {
        break;
      }
      value = next;
      levels++;
    }
    expect(levels).toBeGreaterThan(300);
    expect(decode(encode(value))).toBeInstanceOf(Map);
  });
});

describe("decodeArgs", () => {
  test("returns the argument array", () => {
    expect(decodeArgs("[21]")).toEqual([21]);
    expect(decodeArgs('[{"$type":"bigint","value":"2"},null]')).toEqual([2n, null]);
  });

  test("anything but an array is a CodecError", () => {
    for (const text of ["21", '{"a":1}', '{"$type":"set","value":[1]}', "null"]) {
      expect(codecError(() => decodeArgs(text)).message).toBe("arguments must be a JSON array");
    }
    expect(codecError(() => decodeArgs("[1,")).message).toStartWith("payload is not valid JSON");
  });
});
