/** The `done` channel's message: finished task ids, then each one's final status and result inline when small. */
import { isTaskStatus } from "./task-record.ts";
import { FINAL_STATUSES, type TaskState } from "./types.ts";

/**
 * Largest result (in UTF-8 bytes) announced inline; a larger one is announced by id only and read from its hash.
 *
 * The message is `ID1 ID2 … IDn` `\n` `JSON`: the header names the finished tasks (ids never contain spaces or
 * newlines), and the JSON array after the first newline holds one item per id, in order: `[status, result]` when
 * the result is inline, `false` when it is not. JSON quoting makes any result text unambiguous. A message with no
 * newline (header only) announces every id without its state.
 */
export const INLINE_RESULT_MAX_BYTES = 1024;

const NEWLINE = 0x0a;

/** A received announcement: the ids are read from the header at once; the JSON body is parsed on first need only. */
export interface Announcement {
  /** The announced task ids, in order. */
  readonly ids: readonly string[];
  /** The final state of the `i`-th announced task when it came inline; null when it must be read from the store. */
  state(i: number): TaskState | null;
}

/** Read the header of a raw announcement; the body is left untouched until {@link Announcement.state} needs it. */
export function readAnnouncement(message: Buffer): Announcement {
  const nl = message.indexOf(NEWLINE);
  const ids = message.toString("utf8", 0, nl < 0 ? message.length : nl).split(" ");
  let items: unknown[] | null | undefined;
  return {
    ids,
    state(i) {
      if (items === undefined) items = nl < 0 ? null : parseBody(message.toString("utf8", nl + 1));
      return items === null ? null : toInlineState(items[i]);
    },
  };
}

function parseBody(text: string): unknown[] | null {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function toInlineState(item: unknown): TaskState | null {
  if (!Array.isArray(item) || item.length !== 2) return null;
  const [status, result] = item as unknown[];
  if (!isTaskStatus(status) || !FINAL_STATUSES.has(status) || typeof result !== "string") return null;
  return { status, result };
}
