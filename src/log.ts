/** Logging: one line per event on stderr, filtered by level. */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** A logger: message plus optional structured fields. */
export interface Log {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines are prefixed with `scope`. */
  child(scope: string): Log;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Create a logger writing `LEVEL scope: message {fields}` lines to `write` (default: stderr). */
export function createLog(
  level: LogLevel = "info",
  scope = "faas",
  write: (line: string) => void = (line) => process.stderr.write(line + "\n"),
): Log {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    const extra = fields && Object.keys(fields).length > 0 ? " " + safeJson(fields) : "";
    write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${scope}: ${msg}${extra}`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (s) => createLog(level, `${scope}/${s}`, write),
  };
}

/** A logger that drops everything (tests). */
export const silentLog: Log = createLog("silent");

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (x instanceof Error ? { name: x.name, message: x.message } : typeof x === "bigint" ? String(x) : x));
  } catch {
    return "[unserializable]";
  }
}
