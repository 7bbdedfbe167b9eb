/** Python payloads: base64 of a pickle as `codecs.encode(…, "base64")` writes it, told apart without unpickling, and Python exceptions written as such pickles. */
import { checkPickle } from "./pickle-check.ts";
import { pickleBuiltinException, type PythonExceptionClass } from "./pickle-write.ts";

/** Characters per line of Python's base64 (`base64.encodebytes`, `codecs.encode(…, "base64")`). */
const LINE = 76;
const FULL_LINE = /^[A-Za-z0-9+/]{76}$/;
const LAST_LINE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes of `text` when it is strict base64 as Python's `codecs.encode(data, "base64")` writes it: lines of
 * 76 characters, each ending in a newline, the last one shorter or equal, padding only at its end. Null otherwise.
 */
export function decodePythonBase64(text: string): Uint8Array | null {
  if (text.length === 0 || !text.endsWith("\n")) return null;
  const lines = text.slice(0, -1).split("\n");
  for (let i = 0; i < lines.length - 1; i++) if (!FULL_LINE.test(lines[i]!)) return null;
  const last = lines[lines.length - 1]!;
  if (last.length === 0 || last.length > LINE || !LAST_LINE.test(last)) return null;
  return Buffer.from(text, "base64");
}

/** `bytes` as Python's `codecs.encode(bytes, "base64")` writes them (76-character lines, trailing newline). */
export function encodePythonBase64(bytes: Uint8Array): string {
  const flat = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let out = "";
  for (let i = 0; i < flat.length; i += LINE) out += flat.slice(i, i + LINE) + "\n";
  return out;
}

/** The outcome of {@link checkPythonPayload}. */
export type PythonPayloadCheck = { ok: true; protocol: number } | { ok: false; reason: string };

/** Whether `text` is a Python payload: strict base64 (see {@link decodePythonBase64}) of a well-formed pickle. */
export function checkPythonPayload(text: string): PythonPayloadCheck {
  const bytes = decodePythonBase64(text);
  if (bytes === null) return { ok: false, reason: "not base64 as Python's codecs.encode(…, \"base64\") writes it" };
  const pickle = checkPickle(bytes);
  return pickle.ok ? pickle : { ok: false, reason: `base64 of bytes that are not a pickle: ${pickle.reason}` };
}

/**
 * The first line of a Python function's code as the platform carries it (stored `code`, dispatcher jobs, the
 * protocol's code frames): no JavaScript function expression can begin with `#`, so this tells runtimes apart.
 */
export const PYTHON_CODE_PREFIX = "#python\n";

/** The code the platform carries for a Python function whose payload is `payload`. */
export function pythonCode(payload: string): string {
  return PYTHON_CODE_PREFIX + payload;
}

/** Whether carried function code is a Python function's (see {@link PYTHON_CODE_PREFIX}). */
export function isPythonCode(code: string): boolean {
  return code.startsWith(PYTHON_CODE_PREFIX);
}

/** The payload (base64 of the pickle) inside carried Python code. */
export function pythonPayloadOf(code: string): string {
  return code.slice(PYTHON_CODE_PREFIX.length);
}

/** A Python payload of a built-in exception `cls(message)`: what Python clients load with `dill.loads`. */
export function pythonException(cls: PythonExceptionClass, message: string): string {
  return encodePythonBase64(pickleBuiltinException(cls, message));
}

export type { PythonExceptionClass } from "./pickle-write.ts";
