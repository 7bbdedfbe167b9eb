/** The encode fast path's test: is a value plain JSON that `JSON.stringify` writes exactly as the codec would? */
import { MAX_DEPTH, TAG } from "./tags.ts";

/**
 * True when `value` holds only strings, booleans, null, finite numbers (not -0), arrays and plain
 * objects without a `$type` key, nested less than MAX_DEPTH deep. Anything else (including
 * circular data, which hits the depth limit) answers false and takes the tagging slow path.
 */
export function isPlainJson(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!isPlainJson(value[i], depth + 1)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (key === TAG || !isPlainJson(record[key], depth + 1)) return false;
  }
  return true;
}
