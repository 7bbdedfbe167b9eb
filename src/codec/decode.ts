/** decode and decodeArgs: payload text → value, safely, for any untrusted input. */
import { CodecError, quoteError } from "./codec-error.ts";
import { fromWire } from "./from-wire.ts";
import { MAX_DEPTH } from "./tags.ts";

/** Shorter text cannot nest deeper than MAX_DEPTH (each level costs two brackets). */
const SHORTEST_TOO_DEEP = 2 * (MAX_DEPTH + 1);

/**
 * Decode payload text back into a value. Throws CodecError (and nothing else) for text that is
 * not JSON, a malformed tag, or nesting deeper than MAX_DEPTH. Never evaluates code; `__proto__`
 * keys stay plain data.
 */
export function decode(text: string): unknown {
  if (typeof text !== "string") throw new CodecError(`payload must be a string, got ${typeof text}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CodecError(`payload is not valid JSON: ${quoteError(err)}`);
  }
  if (mayHoldTags(text)) return fromWire(parsed);
  if (text.length >= SHORTEST_TOO_DEEP && typeof parsed === "object" && parsed !== null && nestsDeeperThanLimit(parsed, 0)) {
    throw new CodecError(`payload nested deeper than ${MAX_DEPTH} levels`);
  }
  return parsed;
}

/** Decode payload text that must be an array (the arguments payload); CodecError otherwise. */
export function decodeArgs(text: string): unknown[] {
  const value = decode(text);
  if (!Array.isArray(value)) throw new CodecError("arguments must be a JSON array");
  return value;
}

/** False only when no key can spell `$type`, even with `\u` escapes; then no post-pass is needed. */
function mayHoldTags(text: string): boolean {
  return text.includes("$type") || (text.includes("\\u") && (text.includes("$") || text.includes("\\u0024")));
}

/** Depth check for tag-free payloads; `value` is fresh from JSON.parse (for-in is the fast walk). */
function nestsDeeperThanLimit(value: object, depth: number): boolean {
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null && nestsDeeperThanLimit(item, depth + 1)) return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === "object" && item !== null && nestsDeeperThanLimit(item, depth + 1)) return true;
  }
  return false;
}
