/** toError: whatever a decoded error payload holds → an Error instance. */
import { buildError } from "./build-error.ts";
import { isError } from "./is-error.ts";
import { fromWire } from "./from-wire.ts";
import { TAG } from "./tags.ts";

/**
 * Turn a decoded error payload back into an Error instance (name, message, stack, cause kept).
 * An Error is returned as is; an undecoded `{"$type":"error",...}` object or an error-shaped
 * `{name, message}` object is rebuilt; anything else becomes an Error describing it. Never throws.
 */
export function toError(value: unknown): Error {
  try {
    if (isError(value)) return value;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      if (record[TAG] === "error") {
        const decoded = decodeTag(record);
        if (decoded !== undefined) return decoded;
      }
      const { name, message, stack } = record;
      if (typeof message === "string") {
        return buildError({
          name: typeof name === "string" ? name : "Error",
          message,
          stack: typeof stack === "string" ? stack : undefined,
          cause: Object.hasOwn(record, "cause") ? { value: record.cause } : undefined,
        });
      }
    }
    return new Error(typeof value === "string" ? value : `non-error value: ${describe(value)}`);
  } catch {
    return new Error("undescribable error value");
  }
}

/** The Error an undecoded error tag stands for; undefined when the tag is malformed. */
function decodeTag(record: Record<string, unknown>): Error | undefined {
  try {
    const decoded = fromWire(JSON.parse(JSON.stringify(record)));
    return isError(decoded) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

function describe(value: unknown): string {
  try {
    const text = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    return text.length > 200 ? text.slice(0, 200) + "..." : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
