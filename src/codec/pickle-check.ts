/** checkPickle: a structural walk of a pickle's opcodes (protocol header, well-formed arguments, ends with STOP), never unpickling it. */

/** How an opcode's argument is laid out after the opcode byte. */
type Arg =
  | { kind: "none" }
  | { kind: "fixed"; bytes: number }
  /** A length of `bytes` little-endian octets, then that many octets of data. */
  | { kind: "counted"; bytes: 1 | 4 | 8 }
  /** `lines` newline-terminated text lines (decimal numbers, quoted strings, module and name). */
  | { kind: "lines"; lines: 1 | 2 };

const NONE: Arg = { kind: "none" };
const fixed = (bytes: number): Arg => ({ kind: "fixed", bytes });
const counted = (bytes: 1 | 4 | 8): Arg => ({ kind: "counted", bytes });
const lines = (n: 1 | 2): Arg => ({ kind: "lines", lines: n });

/** Every opcode of pickle protocols 0–5 (CPython `Lib/pickletools.py`), by byte: its argument and its protocol. */
const OPCODES: ReadonlyMap<number, { name: string; arg: Arg; protocol: number }> = new Map(
  ([
    ["(", "MARK", NONE, 0], [".", "STOP", NONE, 0], ["0", "POP", NONE, 0], ["1", "POP_MARK", NONE, 1], ["2", "DUP", NONE, 0],
    ["F", "FLOAT", lines(1), 0], ["I", "INT", lines(1), 0], ["J", "BININT", fixed(4), 1], ["K", "BININT1", fixed(1), 1],
    ["L", "LONG", lines(1), 0], ["M", "BININT2", fixed(2), 1], ["N", "NONE", NONE, 0], ["P", "PERSID", lines(1), 0],
    ["Q", "BINPERSID", NONE, 1], ["R", "REDUCE", NONE, 0], ["S", "STRING", lines(1), 0], ["T", "BINSTRING", counted(4), 1],
    ["U", "SHORT_BINSTRING", counted(1), 1], ["V", "UNICODE", lines(1), 0], ["X", "BINUNICODE", counted(4), 1],
    ["a", "APPEND", NONE, 0], ["b", "BUILD", NONE, 0], ["c", "GLOBAL", lines(2), 0], ["d", "DICT", NONE, 0],
    ["}", "EMPTY_DICT", NONE, 1], ["e", "APPENDS", NONE, 1], ["g", "GET", lines(1), 0], ["h", "BINGET", fixed(1), 1],
    ["i", "INST", lines(2), 0], ["j", "LONG_BINGET", fixed(4), 1], ["l", "LIST", NONE, 0], ["]", "EMPTY_LIST", NONE, 1],
    ["o", "OBJ", NONE, 1], ["p", "PUT", lines(1), 0], ["q", "BINPUT", fixed(1), 1], ["r", "LONG_BINPUT", fixed(4), 1],
    ["s", "SETITEM", NONE, 0], ["t", "TUPLE", NONE, 0], [")", "EMPTY_TUPLE", NONE, 1], ["u", "SETITEMS", NONE, 1],
    ["G", "BINFLOAT", fixed(8), 1],
    ["\x80", "PROTO", fixed(1), 2], ["\x81", "NEWOBJ", NONE, 2], ["\x82", "EXT1", fixed(1), 2], ["\x83", "EXT2", fixed(2), 2],
    ["\x84", "EXT4", fixed(4), 2], ["\x85", "TUPLE1", NONE, 2], ["\x86", "TUPLE2", NONE, 2], ["\x87", "TUPLE3", NONE, 2],
    ["\x88", "NEWTRUE", NONE, 2], ["\x89", "NEWFALSE", NONE, 2], ["\x8a", "LONG1", counted(1), 2], ["\x8b", "LONG4", counted(4), 2],
    ["B", "BINBYTES", counted(4), 3], ["C", "SHORT_BINBYTES", counted(1), 3],
    ["\x8c", "SHORT_BINUNICODE", counted(1), 4], ["\x8d", "BINUNICODE8", counted(8), 4], ["\x8e", "BINBYTES8", counted(8), 4],
    ["\x8f", "EMPTY_SET", NONE, 4], ["\x90", "ADDITEMS", NONE, 4], ["\x91", "FROZENSET", NONE, 4], ["\x92", "NEWOBJ_EX", NONE, 4],
    ["\x93", "STACK_GLOBAL", NONE, 4], ["\x94", "MEMOIZE", NONE, 4], ["\x95", "FRAME", fixed(8), 4],
    ["\x96", "BYTEARRAY8", counted(8), 5], ["\x97", "NEXT_BUFFER", NONE, 5], ["\x98", "READONLY_BUFFER", NONE, 5],
  ] as const).map(([ch, name, arg, protocol]) => [ch.charCodeAt(0), { name, arg, protocol }]),
);

/** Highest pickle protocol known (Python 3.8+). */
export const MAX_PICKLE_PROTOCOL = 5;

/** The outcome of {@link checkPickle}: the protocol of a well-formed pickle, or why it is not one. */
export type PickleCheck = { ok: true; protocol: number } | { ok: false; reason: string };

/**
 * Walk the opcodes of `bytes` without running any: it must open with a PROTO header (protocol 2–5, as every
 * Python 3 `pickle`/`dill` writes), every opcode must be one of that protocol's, every argument must fit in the
 * data (lengths, newline-terminated lines), and the last byte must be its STOP. Stack effects are not
 * simulated: the check tells a pickle from other bytes, it does not prove that loading it succeeds.
 */
export function checkPickle(bytes: Uint8Array): PickleCheck {
  if (bytes.length < 3) return { ok: false, reason: "too short to be a pickle" };
  if (bytes[0] !== 0x80) return { ok: false, reason: "no pickle protocol header (PROTO, protocol 2 or later)" };
  const protocol = bytes[1]!;
  if (protocol < 2 || protocol > MAX_PICKLE_PROTOCOL) return { ok: false, reason: `unknown pickle protocol ${protocol}` };
  let at = 2;
  while (at < bytes.length) {
    const code = bytes[at]!;
    const op = OPCODES.get(code);
    if (op === undefined) return { ok: false, reason: `unknown opcode 0x${code.toString(16).padStart(2, "0")} at byte ${at}` };
    if (op.protocol > protocol) return { ok: false, reason: `opcode ${op.name} at byte ${at} is not in protocol ${protocol}` };
    if (op.name === "PROTO") return { ok: false, reason: `a second PROTO at byte ${at}` };
    const next = skipArg(bytes, at + 1, op.arg);
    if (next < 0) return { ok: false, reason: `opcode ${op.name} at byte ${at} runs past the end` };
    if (op.name === "STOP") {
      return next === bytes.length ? { ok: true, protocol } : { ok: false, reason: `data after STOP at byte ${at}` };
    }
    at = next;
  }
  return { ok: false, reason: "no STOP at the end" };
}

/** The offset after the argument that starts at `at`, or -1 when it does not fit. */
function skipArg(bytes: Uint8Array, at: number, arg: Arg): number {
  switch (arg.kind) {
    case "none":
      return at;
    case "fixed":
      return at + arg.bytes <= bytes.length ? at + arg.bytes : -1;
    case "counted": {
      if (at + arg.bytes > bytes.length) return -1;
      const length = readLength(bytes, at, arg.bytes);
      const end = at + arg.bytes + length;
      return length >= 0 && end <= bytes.length ? end : -1;
    }
    case "lines": {
      let end = at;
      for (let i = 0; i < arg.lines; i++) {
        const nl = bytes.indexOf(0x0a, end);
        if (nl < 0) return -1;
        end = nl + 1;
      }
      return end;
    }
  }
}

/** A little-endian length of 1, 4 or 8 octets; -1 for a negative 4-octet one or one past 2^53. */
function readLength(bytes: Uint8Array, at: number, size: 1 | 4 | 8): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
  if (size === 1) return view.getUint8(0);
  if (size === 4) return view.getInt32(0, true);
  const n = view.getBigUint64(0, true);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(n);
}
