/** encode: any supported value → payload text (plain JSON, with tags only where JSON falls short). */
import { CodecError, quoteError } from "./codec-error.ts";
import { isPlainJson } from "./plain-json.ts";
import { toWire } from "./to-wire.ts";

/**
 * Encode any supported value to payload text (JSON with tags). Plain JSON values come out exactly
 * as `JSON.stringify` writes them. Throws CodecError naming the path of an unsupported value,
 * e.g. `cannot encode function at $[0].f`.
 */
export function encode(value: unknown): string {
  try {
    return JSON.stringify(isPlainJson(value) ? value : toWire(value));
  } catch (err) {
    if (err instanceof CodecError) throw err;
    throw new CodecError(`cannot encode value: ${quoteError(err)}`, { cause: err });
  }
}
