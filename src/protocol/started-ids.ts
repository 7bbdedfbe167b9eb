/** The started-ids frame: task ids that started on a worker's threads, space-separated, shared by pull and push. */
import { MAX_ID_BYTES } from "./frame-reader.ts";
import { MAX_CAPACITY } from "./messages.ts";

/** Longest started-ids frame, in bytes: MAX_CAPACITY ids of MAX_ID_BYTES with their separators. */
const MAX_STARTED_BYTES = MAX_CAPACITY * (MAX_ID_BYTES + 1);

/** The frame for `ids` ("" for none). Ids never contain spaces (see `readId`). */
export function startedFrame(ids: readonly string[]): string {
  return ids.join(" ");
}

/**
 * The ids in a started-ids frame, or null when it is malformed: anything but ids (printable ASCII, at most
 * MAX_ID_BYTES each) separated by single spaces, more than MAX_CAPACITY of them, or leading/trailing spaces.
 */
export function readStarted(frame: Buffer | undefined): string[] | null {
  if (frame === undefined || frame.length > MAX_STARTED_BYTES) return null;
  if (frame.length === 0) return [];
  let from = 0;
  let count = 0;
  for (let i = 0; i <= frame.length; i++) {
    const b = i < frame.length ? (frame[i] as number) : 0x20;
    if (b === 0x20) {
      const len = i - from;
      if (len === 0 || len > MAX_ID_BYTES || ++count > MAX_CAPACITY) return null;
      from = i + 1;
    } else if (b <= 0x20 || b >= 0x7f) {
      return null;
    }
  }
  return frame.toString("latin1").split(" ");
}
