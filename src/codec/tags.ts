/** The wire vocabulary: the tag key, tag names, typed-array kinds and the nesting limit. */

/** The key that marks a tagged object on the wire: `{"$type": "<name>", "value": ...}`. */
export const TAG = "$type";

/**
 * Deepest nesting of JSON arrays/objects a payload may have (tag objects count as levels).
 * Both `encode` and `decode` throw a CodecError past it, so nothing overflows the stack.
 */
export const MAX_DEPTH = 1000;

/** The words a `number` tag carries, for the numbers JSON cannot write. */
export const NUMBER_WORDS = ["NaN", "Infinity", "-Infinity", "-0"] as const;

/** Typed-array tag name → constructor. Bytes travel as base64 in memory order (little-endian). */
export const TYPED_ARRAYS = {
  int8array: Int8Array,
  uint8array: Uint8Array,
  uint8clampedarray: Uint8ClampedArray,
  int16array: Int16Array,
  uint16array: Uint16Array,
  int32array: Int32Array,
  uint32array: Uint32Array,
  float32array: Float32Array,
  float64array: Float64Array,
  bigint64array: BigInt64Array,
  biguint64array: BigUint64Array,
} as const;

/** A typed-array tag name, e.g. `"uint8array"`. */
export type TypedArrayTag = keyof typeof TYPED_ARRAYS;

/** Typed-array kind as `Object.prototype.toString` reports it (e.g. `"[object Uint8Array]"`) → tag name. */
export const TYPED_ARRAY_TAG_BY_KIND: ReadonlyMap<string, TypedArrayTag> = new Map(
  (Object.keys(TYPED_ARRAYS) as TypedArrayTag[]).map((tag) => [`[object ${TYPED_ARRAYS[tag].name}]`, tag]),
);

/** Every tag name the codec writes and reads. */
export type TagName =
  | "undefined"
  | "number"
  | "bigint"
  | "date"
  | "regexp"
  | "map"
  | "set"
  | "error"
  | "object"
  | "arraybuffer"
  | TypedArrayTag;

/** Every tag name, for recognising unknown ones. */
export const TAG_NAMES: ReadonlySet<string> = new Set<string>([
  "undefined",
  "number",
  "bigint",
  "date",
  "regexp",
  "map",
  "set",
  "error",
  "object",
  "arraybuffer",
  ...Object.keys(TYPED_ARRAYS),
]);
