/** Reading a task's stored log (`{task key}:logs`): the compact text dispatchers write with outcomes, into lines. */
import type { TaskLogs } from "./types.ts";

/**
 * The lines of a stored log, or null when the text is not one. The format is `encodeLog`'s (workers/task-log.ts):
 * `{"lines":[[ts,"o"|"e",text],…],"truncated":bool}`, `o` for stdout and `e` for stderr.
 */
export function parseTaskLogs(text: string): TaskLogs | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const { lines, truncated } = raw as { lines?: unknown; truncated?: unknown };
  if (!Array.isArray(lines)) return null;
  const out: TaskLogs["lines"] = [];
  for (const l of lines) {
    if (!Array.isArray(l) || typeof l[0] !== "number" || typeof l[2] !== "string") continue;
    out.push({ ts: l[0], stream: l[1] === "e" ? "stderr" : "stdout", text: l[2] });
  }
  return { lines: out, truncated: truncated === true };
}
