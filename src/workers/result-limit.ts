/** The result size limit (`maxResultBytes`, default 10 MiB): a result larger than it fails in the executor, before it travels. */

/** Default largest result, in UTF-8 bytes of its payload text: 10 MiB, as Globus Compute's. */
export const DEFAULT_MAX_RESULT_BYTES = 10 * 1024 * 1024;

/** The option, as the pool, the CLI (`--max-result BYTES`) and the executor name it. */
export interface ResultLimitOptions {
  /** Largest result payload in UTF-8 bytes; larger ones end FAILED with `ResultTooLargeError`. Default: {@link DEFAULT_MAX_RESULT_BYTES}. */
  maxResultBytes?: number;
}

/** Validate a `maxResultBytes` value (a positive integer); returns it. */
export function checkMaxResultBytes(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`maxResultBytes must be a positive integer: ${bytes}`);
  return bytes;
}

/**
 * The UTF-8 size of `text` when it exceeds `limit`, else null. Cheap for the usual small result: a UTF-16 string
 * takes at most 3 bytes per code unit and at least 1, so only lengths between limit/3 and limit are counted.
 */
export function sizeOverLimit(text: string, limit: number): number | null {
  if (text.length * 3 <= limit) return null;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > limit ? bytes : null;
}

/**
 * A lower bound of the encoded size of a value that is cheap to know before encoding it (a string, a typed array
 * or buffer), else 0: a result far over the limit then fails without building its payload text.
 */
export function encodedSizeAtLeast(value: unknown): number {
  if (typeof value === "string") return value.length + 2;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return Math.ceil(value.byteLength / 3) * 4;
  return 0;
}
