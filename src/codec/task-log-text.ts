/** The compact text of a task's log lines: written by executors' owners with outcomes, read back by the API. */

/** Which output a line was written to. */
export type LogStream = "stdout" | "stderr";

/** One line a task wrote: when (epoch ms), to which stream, and its text (without the newline). */
export interface LogLine {
  ts: number;
  stream: LogStream;
  text: string;
}

/** A batch of lines from an executor; `truncated`: the executor dropped lines over its cap. */
export interface LogBatch {
  lines: LogLine[];
  truncated: boolean;
}

/** The compact text of a log (what dispatchers store with outcomes and remote workers send with RESULT). */
export function encodeLog(log: LogBatch): string {
  return JSON.stringify({ lines: log.lines.map((l) => [l.ts, l.stream === "stderr" ? "e" : "o", l.text]), truncated: log.truncated });
}

/** A log's compact text back into lines, or null when it is not one (never throws; untrusted input). */
export function decodeLog(text: string): LogBatch | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const { lines, truncated } = raw as { lines?: unknown; truncated?: unknown };
  if (!Array.isArray(lines) || typeof truncated !== "boolean") return null;
  const out: LogLine[] = [];
  for (const l of lines) {
    if (!Array.isArray(l) || l.length !== 3) return null;
    const [ts, s, t] = l as unknown[];
    if (typeof ts !== "number" || !Number.isFinite(ts) || (s !== "o" && s !== "e") || typeof t !== "string") return null;
    out.push({ ts, stream: s === "e" ? "stderr" : "stdout", text: t });
  }
  return { lines: out, truncated };
}
