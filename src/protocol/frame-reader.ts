/** Validating readers for the frames of a protocol message: bounded text, ids, decimal integers; null when invalid. */

/** Longest id-like frame (task, function, worker, stream ids, executor labels), in bytes. */
export const MAX_ID_BYTES = 256;
/** Longest shared secret accepted, in bytes. */
export const MAX_SECRET_BYTES = 1024;

/** Printable ASCII without spaces: what ids, labels and stream ids are made of. */
function isIdByte(b: number): boolean {
  return b > 0x20 && b < 0x7f;
}

/** The frame as UTF-8 text, or null when it is longer than `maxBytes`. */
export function readText(frame: Buffer | undefined, maxBytes = Infinity): string | null {
  if (frame === undefined || frame.length > maxBytes) return null;
  return frame.toString("utf8");
}

/** A non-empty id of printable ASCII (no spaces) of at most MAX_ID_BYTES, or null. */
export function readId(frame: Buffer | undefined): string | null {
  if (frame === undefined || frame.length === 0 || frame.length > MAX_ID_BYTES) return null;
  for (const b of frame) if (!isIdByte(b)) return null;
  return frame.toString("latin1");
}

/** A Redis stream id (`ms-seq`), or null. */
export function readStreamId(frame: Buffer | undefined): string | null {
  if (frame === undefined || frame.length < 3 || frame.length > 41) return null;
  let dash = -1;
  for (let i = 0; i < frame.length; i++) {
    const b = frame[i] as number;
    if (b === 0x2d && dash < 0 && i > 0) dash = i;
    else if (b < 0x30 || b > 0x39) return null;
  }
  if (dash < 0 || dash === frame.length - 1) return null;
  return frame.toString("latin1");
}

/** A decimal integer in [min, max] (digits only, no sign), or null. */
export function readInt(frame: Buffer | undefined, min: number, max: number): number | null {
  if (frame === undefined || frame.length === 0 || frame.length > 15) return null;
  let n = 0;
  for (const b of frame) {
    if (b < 0x30 || b > 0x39) return null;
    n = n * 10 + (b - 0x30);
  }
  return n >= min && n <= max ? n : null;
}

/** The frame as a flag: "1" → true, "0" → false, else null. */
export function readFlag(frame: Buffer | undefined): boolean | null {
  if (frame === undefined || frame.length !== 1) return null;
  if (frame[0] === 0x31) return true;
  if (frame[0] === 0x30) return false;
  return null;
}
