import { describe, expect, test } from "bun:test";
import { checkPickle } from "../../src/codec/pickle-check.ts";
import { pickleBuiltinException } from "../../src/codec/pickle-write.ts";
import { checkPythonPayload, decodePythonBase64, encodePythonBase64, pythonException } from "../../src/codec/python-payload.ts";

const bytes = (...parts: Array<number[] | string>): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe("checkPickle walks opcodes", () => {
  const good: Array<[string, Uint8Array, number]> = [
    ["None, protocol 2", bytes([0x80, 2], "N."), 2],
    ["BININT1 7, protocol 4", bytes([0x80, 4, 0x4b, 7], "."), 4],
    ["framed short unicode (what pickle.dumps('hi', 4) writes)", bytes([0x80, 4, 0x95, 6, 0, 0, 0, 0, 0, 0, 0, 0x8c, 2], "hi", [0x94], "."), 4],
    ["GLOBAL with two lines + REDUCE", bytes([0x80, 2], "cbuiltins\nRuntimeError\n", "X", [1, 0, 0, 0], "x", [0x85], "R."), 2],
    ["empty tuple and dict in a TUPLE2", bytes([0x80, 3], ")}", [0x86], "."), 3],
    ["BINBYTES8 protocol 5", bytes([0x80, 5, 0x8e, 1, 0, 0, 0, 0, 0, 0, 0, 0x41], "."), 5],
    ["INT as a decimal line", bytes([0x80, 2], "I42\n."), 2],
  ];
  for (const [name, data, protocol] of good) {
    test(`accepts ${name}`, () => expect(checkPickle(data)).toEqual({ ok: true, protocol }));
  }

  const bad: Array<[string, Uint8Array, string]> = [
    ["empty", bytes(), "too short"],
    ["protocol 0 text (no header)", bytes("I1\n."), "no pickle protocol header"],
    ["protocol 6", bytes([0x80, 6], "N."), "unknown pickle protocol 6"],
    ["protocol 1", bytes([0x80, 1], "N."), "unknown pickle protocol 1"],
    ["unknown opcode", bytes([0x80, 4, 0xff], "."), "unknown opcode 0xff at byte 2"],
    ["protocol 4 opcode in protocol 2", bytes([0x80, 2, 0x8c, 1], "a."), "opcode SHORT_BINUNICODE at byte 2 is not in protocol 2"],
    ["counted string past the end", bytes([0x80, 4, 0x8c, 9], "ab."), "SHORT_BINUNICODE at byte 2 runs past the end"],
    ["negative BINSTRING length", bytes([0x80, 2, 0x54, 0xff, 0xff, 0xff, 0xff], "."), "BINSTRING at byte 2 runs past the end"],
    ["BININT cut short", bytes([0x80, 2, 0x4a, 1, 2]), "BININT at byte 2 runs past the end"],
    ["GLOBAL with one line", bytes([0x80, 2], "cbuiltins\nRuntimeError"), "GLOBAL at byte 2 runs past the end"],
    ["no STOP", bytes([0x80, 2], "N"), "no STOP at the end"],
    ["bytes after STOP", bytes([0x80, 2], "N.N"), "data after STOP at byte 3"],
    ["a second PROTO", bytes([0x80, 2, 0x80, 2], "N."), "a second PROTO at byte 2"],
    ["JavaScript text", bytes("(x) => x * 2"), "no pickle protocol header"],
  ];
  for (const [name, data, reason] of bad) {
    test(`rejects ${name}`, () => {
      const out = checkPickle(data);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.reason).toContain(reason);
    });
  }
});

describe("Python's base64 layout", () => {
  test("76-character lines and a trailing newline, both ways", () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    const text = encodePythonBase64(data);
    const lines = text.split("\n");
    expect(lines[0]!.length).toBe(76);
    expect(lines.at(-1)).toBe("");
    expect(text.endsWith("\n")).toBe(true);
    expect(decodePythonBase64(text)).toEqual(data);
  });
  const rejected: Array<[string, string]> = [
    ["no trailing newline", "gAJOLg=="],
    ["a short line before the last", "gAJO\ngAJOLg==\n"],
    ["padding inside", "gA==Lg==\n"],
    ["characters outside the alphabet", "gAJ-Lg==\n"],
    ["JSON arguments", "[1, 2]\n"],
    ["empty", ""],
  ];
  for (const [name, text] of rejected) test(`rejects ${name}`, () => expect(decodePythonBase64(text)).toBeNull());
  test("checkPythonPayload: base64 of a pickle, else why not", () => {
    expect(checkPythonPayload("gAJOLg==\n")).toEqual({ ok: true, protocol: 2 });
    expect(checkPythonPayload("[21]")).toMatchObject({ ok: false, reason: expect.stringContaining("not base64") });
    expect(checkPythonPayload("aGVsbG8=\n")).toMatchObject({ ok: false, reason: expect.stringContaining("not a pickle") });
  });
});

describe("the builtin exception writer", () => {
  test("byte layout of RuntimeError('x')", () => {
    expect(pickleBuiltinException("RuntimeError", "x")).toEqual(bytes([0x80, 2], "cbuiltins\nRuntimeError\nX", [1, 0, 0, 0], "x", [0x85], "R."));
    expect(checkPickle(pickleBuiltinException("MemoryError", "é ✓"))).toEqual({ ok: true, protocol: 2 });
  });

  test("python3 pickle.loads reads each back as its class, with its message", () => {
    const cases = [
      ["TimeoutError", "task exceeded its 100 ms timeout"],
      ["MemoryError", "over 64 MB — café"],
      ["RuntimeError", "x".repeat(300)],
    ] as const;
    const script = [
      "import base64, json, pickle, sys",
      "out = []",
      "for line in sys.stdin.read().split('\\0'):",
      "    e = pickle.loads(base64.decodebytes(line.encode()))",
      "    out.append([type(e).__name__, isinstance(e, BaseException), e.args[0]])",
      "print(json.dumps(out))",
    ].join("\n");
    const input = cases.map(([cls, msg]) => pythonException(cls, msg)).join("\0");
    const run = Bun.spawnSync(["python3", "-c", script], { stdin: Buffer.from(input) });
    expect(run.stderr.toString()).toBe("");
    expect(JSON.parse(run.stdout.toString())).toEqual(cases.map(([cls, msg]) => [cls, true, msg]));
  });

  test("checkPythonPayload accepts what python3 dill writes: functions, argument tuples", () => {
    const script = [
      "import codecs, dill, sys",
      "def f(x, y=2):",
      "    return x + y",
      "for v in [f, ((1, 2), {'y': 3}), lambda: None, {1, 2}, b'\\x00' * 300, 10 ** 40]:",
      "    sys.stdout.write(codecs.encode(dill.dumps(v), 'base64').decode() + '\\0')",
    ].join("\n");
    const run = Bun.spawnSync(["/usr/bin/python3", "-c", script]);
    expect(run.stderr.toString()).toBe("");
    const payloads = run.stdout.toString().split("\0").filter((p) => p.length > 0);
    expect(payloads.length).toBe(6);
    for (const p of payloads) expect(checkPythonPayload(p)).toMatchObject({ ok: true });
  });
});
