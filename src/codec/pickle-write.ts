/** pickleBuiltinException: a tiny fixed pickle writer for `builtins.<Exception>(message)` (protocol 2: GLOBAL, args tuple, REDUCE). */

/** The built-in Python exceptions the platform reports its own failures as. */
export type PythonExceptionClass = "TimeoutError" | "MemoryError" | "RuntimeError";

const CLASSES: ReadonlySet<string> = new Set<PythonExceptionClass>(["TimeoutError", "MemoryError", "RuntimeError"]);

/**
 * The pickle of `cls(message)`: `PROTO 2`, `GLOBAL 'builtins' cls`, `BINUNICODE message`, `TUPLE1`, `REDUCE`,
 * `STOP` — what `pickle.loads` (and `dill.loads`) of any Python 3 turns into that exception instance.
 */
export function pickleBuiltinException(cls: PythonExceptionClass, message: string): Uint8Array {
  if (!CLASSES.has(cls)) throw new RangeError(`not a built-in exception this writer knows: ${cls}`);
  const text = new TextEncoder().encode(message);
  const head = Uint8Array.from(`\x80\x02cbuiltins\n${cls}\nX`, (ch) => ch.charCodeAt(0)); // all < 0x100: one byte each
  const out = new Uint8Array(head.length + 4 + text.length + 3);
  out.set(head, 0);
  new DataView(out.buffer).setUint32(head.length, text.length, true);
  out.set(text, head.length + 4);
  out.set([0x85, 0x52, 0x2e], head.length + 4 + text.length); // TUPLE1, REDUCE, STOP
  return out;
}
