/** encodeError: any thrown value → an error payload, without ever throwing. */
import { isError } from "./is-error.ts";
import { TAG } from "./tags.ts";
import { toWire, type ToWireOptions } from "./to-wire.ts";

/** Options of `encodeError`. */
export interface EncodeErrorOptions {
  /**
   * Keep only the stack lines (of the error and of every nested error) for which it returns
   * true; used to drop internal frames.
   * @default undefined (keep every line)
   */
  readonly stackFilter?: (line: string) => boolean;
}

const DESCRIPTION_LIMIT = 200;

/**
 * Encode a thrown value (Error or anything) as an error payload: `{"$type":"error","value":{...}}`;
 * never throws. An Error keeps name, message, stack, cause and extra own properties; parts that
 * cannot be encoded become descriptive strings (e.g. `"[function retry]"`, `"[circular]"`).
 * A non-Error becomes `{"name":"Error","message":<description>,"thrown":<the value>}`.
 */
export function encodeError(err: unknown, opts: EncodeErrorOptions = {}): string {
  const options: ToWireOptions = { lenient: true, stackFilter: opts.stackFilter };
  try {
    if (isError(err)) return JSON.stringify(toWire(err, options));
    const value = { name: "Error", message: describeThrown(err), thrown: toWire(err, options) };
    return JSON.stringify({ [TAG]: "error", value });
  } catch {
    return JSON.stringify({ [TAG]: "error", value: { name: safeText(err, "name"), message: safeText(err, "message") } });
  }
}

/** A message for a thrown non-Error: a string as is, anything else briefly described. */
function describeThrown(value: unknown): string {
  if (typeof value === "string") return value;
  let text: string;
  if (typeof value === "object" && value !== null) {
    try {
      text = JSON.stringify(toWire(value, { lenient: true }));
    } catch {
      text = Object.prototype.toString.call(value);
    }
  } else if (typeof value === "function") {
    text = `[function ${value.name}]`;
  } else {
    text = String(value);
  }
  const shown = text.length > DESCRIPTION_LIMIT ? text.slice(0, DESCRIPTION_LIMIT) + "..." : text;
  return `non-error value thrown: ${shown}`;
}

/** `err[key]` as a string, or a neutral default when it is missing or unreadable. */
function safeText(err: unknown, key: "name" | "message"): string {
  try {
    const value: unknown = (err as Record<string, unknown> | null | undefined)?.[key];
    if (typeof value === "string") return value;
  } catch {
    // unreadable
  }
  return key === "name" ? "Error" : "unencodable thrown value";
}
