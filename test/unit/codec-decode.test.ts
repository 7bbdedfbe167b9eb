import { describe, expect, test } from "bun:test";
import { CodecError, decode, encode } from "../../src/codec/index.ts";

function decodeFailure(text: string): string {
  try {
    decode(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).message;
  }
  throw new Error(`expected a CodecError for ${text}`);
}

describe("malformed input is a CodecError with a clear message", () => {
  const cases: Array<[string, string]> = [
    ["", "payload is not valid JSON"],
    ["[1,", "payload is not valid JSON"],
    ["{'a':1}", "payload is not valid JSON"],
    ["NaN", "payload is not valid JSON"],
    ["undefined", "payload is not valid JSON"],
    ['{"$type":"nope","value":1}', 'unknown $type "nope" at $'],
    ['[{"$type":5,"value":1}]', '"$type" must be a string, got number at $[0]'],
    ['{"$type":null}', '"$type" must be a string, got null at $'],
    ['{"$type":"bigint"}', 'bigint" tag must have exactly the keys "$type" and "value" at $'],
    ['{"$type":"bigint","value":"1","extra":2}', 'tag must have exactly the keys "$type" and "value"'],
    ['{"$type":"undefined","value":1}', 'undefined tag must have no other key than "$type" at $'],
    ['{"$type":"bigint","value":1}', "bigint tag value must be a string of digits at $.value"],
    ['{"$type":"bigint","value":"1.5"}', "bigint tag value must be a string of digits"],
    ['{"$type":"bigint","value":""}', "bigint tag value must be a string of digits"],
    ['{"$type":"number","value":"42"}', 'number tag value must be "NaN", "Infinity", "-Infinity" or "-0"'],
    ['{"$type":"number","value":null}', "number tag value must be"],
    ['{"$type":"date","value":"not a date"}', 'date tag value "not a date" is not a valid date'],
    ['{"$type":"date","value":0}', "date tag value must be an ISO 8601 string or null"],
    ['{"$type":"regexp","value":"a+"}', "regexp tag value must be an object"],
    ['{"$type":"regexp","value":{"source":"a"}}', 'regexp tag value must be {"source": string, "flags": string}'],
    ['{"$type":"regexp","value":{"source":"(","flags":""}}', "invalid regexp"],
    ['{"$type":"regexp","value":{"source":"a","flags":"zz"}}', "invalid regexp"],
    ['{"$type":"map","value":{}}', "map tag value must be an array"],
    ['{"$type":"map","value":[[1,2],[3]]}', "map entry must be a [key, value] array at $.value[1]"],
    ['{"$type":"map","value":[5]}', "map entry must be a [key, value] array at $.value[0]"],
    ['{"$type":"set","value":"abc"}', "set tag value must be an array"],
    ['{"$type":"object","value":[1]}', "object tag value must be an object"],
    ['{"$type":"uint8array","value":"***"}', "uint8array tag value is not valid base64"],
    ['{"$type":"uint8array","value":[1,2]}', "uint8array tag value must be a base64 string"],
    ['{"$type":"arraybuffer","value":null}', "arraybuffer tag value must be a base64 string"],
    ['{"$type":"float64array","value":"AAAA"}', "float64array tag needs a multiple of 8 bytes, got 3"],
    ['{"$type":"error","value":"boom"}', "error tag value must be an object"],
    ['{"$type":"error","value":{"message":"m"}}', 'error tag value must have string "name" and "message"'],
    ['{"$type":"error","value":{"name":"E","message":1}}', 'error tag value must have string "name" and "message"'],
    ['{"$type":"error","value":{"name":"E","message":"m","stack":5}}', 'error tag "stack" must be a string'],
    ['{"a":[{"b":{"$type":"set","value":[{"$type":"what"}]}}]}', 'unknown $type "what" at $.a[0].b.value[0]'],
    ['{"$type":"toString","value":1}', 'unknown $type "toString"'],
    ['{"$type":"__proto__","value":1}', 'unknown $type "__proto__"'],
  ];
  for (const [text, message] of cases) {
    test(text === "" ? "(empty text)" : text, () => {
      expect(decodeFailure(text)).toContain(message);
    });
  }

  test("a non-string argument is a CodecError, not a TypeError", () => {
    expect(decodeFailure(undefined as unknown as string)).toBe("payload must be a string, got undefined");
    expect(decodeFailure(42 as unknown as string)).toBe("payload must be a string, got number");
  });
});

describe("prototype pollution", () => {
  const texts = [
    '{"__proto__":{"polluted":true}}',
    '[{"__proto__":{"polluted":true},"x":{"$type":"undefined"}}]',
    '{"__proto__":{"$type":"bigint","value":"1"}}',
    '{"$type":"object","value":{"__proto__":{"polluted":true},"$type":{"$type":"undefined"}}}',
    '{"$type":"error","value":{"name":"Error","message":"m","__proto__":{"polluted":true}}}',
    '{"$type":"map","value":[["__proto__",{"polluted":true}]]}',
    '{"constructor":{"prototype":{"polluted":true}},"k":{"$type":"undefined"}}',
  ];
  for (const text of texts) {
    test(text, () => {
      const value = decode(text);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty("polluted");
      if (typeof value === "object" && value !== null && !(value instanceof Map) && !(value instanceof Error)) {
        const first = Array.isArray(value) ? value[0] : value;
        expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
      }
    });
  }

  test("__proto__ keys stay own data and round-trip", () => {
    const value = decode('[{"__proto__":{"$type":"bigint","value":"1"}}]') as Array<Record<string, unknown>>;
    const first = value[0]!;
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(first, "__proto__")?.value).toBe(1n);
    expect(encode(value)).toBe('[{"__proto__":{"$type":"bigint","value":"1"}}]');
    const err = decode('{"$type":"error","value":{"name":"Error","message":"m","__proto__":5}}') as Error;
    expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
    expect(Object.getOwnPropertyDescriptor(err, "__proto__")?.value).toBe(5);
  });
});

describe("fuzzing", () => {
  test("mutated payloads decode or throw CodecError, nothing else", () => {
    const seedTexts = [
      encode([1, undefined, 2n, NaN, new Date(0), new Map([[1, new Set(["a"])]]), /x/g, new Uint8Array([1, 2])]),
      encode({ $type: "x", e: Object.assign(new TypeError("t", { cause: 1 }), { code: "C" }) }),
      encode([new Float32Array([1, 2]), new ArrayBuffer(3), { a: { b: [null, true, "s"] } }]),
    ];
    const alphabet = ['"', "{", "}", "[", "]", ":", ",", "$type", "value", "1", "-", "null", "\\", "\\u0024", " "];
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      const base = seedTexts[i % seedTexts.length]!;
      let text = base;
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(text.length + 1);
        const cut = random(3);
        text = text.slice(0, at) + alphabet[random(alphabet.length)]! + text.slice(at + cut);
      }
      try {
        decode(text);
        decoded++;
      } catch (err) {
        if (!(err instanceof CodecError)) throw new Error(`${text} threw ${String(err)}`);
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
