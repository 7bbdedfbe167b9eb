/** Captures what a task writes in its thread (`console.*`, `process.stdout|stderr.write`) as log lines for the running job, instead of the process's output. */
import { formatWithOptions } from "node:util";
import { TASK_LOG_BYTES, type LogLine, type LogStream } from "./task-log.ts";

/** What {@link captureOutput} returns to the thread entry. */
export interface OutputCapture {
  /** A job starts: lines written from now on are its own (at most `maxLines`); the stream writers are put back. */
  begin(maxLines: number): void;
  /** The job ended: partial lines are completed, and nothing written after is kept. */
  end(): void;
  /** The lines written since the last take, and whether some were dropped (cap); null when there is nothing. */
  take(): { lines: LogLine[]; truncated: boolean } | null;
}

const STDOUT_METHODS = ["log", "info", "debug", "dir", "dirxml", "table"] as const;
const STDERR_METHODS = ["error", "warn", "trace"] as const;

/**
 * Replace the console's printing methods and `process.stdout.write` / `process.stderr.write` with writers that keep
 * lines for the running job. Call once at thread load, before the realm snapshot and any user code: the console
 * methods are then part of the realm the snapshot expects (a task that replaces one leaves its thread dirty), and
 * the stream writers are put back before every job. Everything used after that was captured here. `written` is
 * called on the first line of a batch, so the caller can send the batch later in the same turn of its event loop.
 */
export function captureOutput(written: () => void): OutputCapture {
  const now = Date.now;
  const format = formatWithOptions;
  const apply = Reflect.apply;
  const indexOf = String.prototype.indexOf;
  const slice = String.prototype.slice;
  const toStr = String;
  const decoder = new TextDecoder();
  const decode = TextDecoder.prototype.decode;
  const isView = ArrayBuffer.isView;
  const opts = { colors: false };

  let active = false;
  let maxLines = 0;
  let count = 0;
  let bytes = 0;
  let truncated = false;
  /** `truncated` went out in a batch already. */
  let reported = false;
  let pending: LogLine[] = [];
  const partial: Record<LogStream, string> = { stdout: "", stderr: "" };

  const push = (stream: LogStream, text: string): void => {
    if (count >= maxLines || bytes + text.length > TASK_LOG_BYTES) {
      if (!truncated) {
        truncated = true;
        if (pending.length === 0) written();
      }
      return;
    }
    count++;
    bytes += text.length;
    if (pending.length === 0) written();
    pending[pending.length] = { ts: now(), stream, text };
  };

  /** Text written to a stream: whole lines now, the rest when its newline comes (or the job ends). */
  const write = (stream: LogStream, text: string): void => {
    if (!active) return;
    let rest = partial[stream] + text;
    for (;;) {
      const nl = apply(indexOf, rest, ["\n"]) as number;
      if (nl < 0) break;
      push(stream, apply(slice, rest, [0, nl]) as string);
      rest = apply(slice, rest, [nl + 1]) as string;
    }
    partial[stream] = rest;
    if (rest.length > TASK_LOG_BYTES) {
      push(stream, rest);
      partial[stream] = "";
    }
  };

  const c = console as unknown as Record<string, unknown>;
  for (const name of STDOUT_METHODS) c[name] = (...args: unknown[]) => write("stdout", apply(format, null, [opts, ...args]) + "\n");
  for (const name of STDERR_METHODS) {
    const prefix = name === "trace" ? "Trace: " : "";
    c[name] = (...args: unknown[]) => write("stderr", prefix + apply(format, null, [opts, ...args]) + "\n");
  }
  c.assert = (ok: unknown, ...args: unknown[]) => {
    if (!ok) write("stderr", "Assertion failed" + (args.length > 0 ? ": " + apply(format, null, [opts, ...args]) : "") + "\n");
  };

  const streamWriter = (stream: LogStream) =>
    function (chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      const text = typeof chunk === "string" ? chunk : isView(chunk) ? (apply(decode, decoder, [chunk]) as string) : toStr(chunk);
      write(stream, text);
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") queueMicrotask(done as () => void);
      return true;
    };
  const writers = { stdout: streamWriter("stdout"), stderr: streamWriter("stderr") };
  const out = process.stdout as unknown as { write: unknown };
  const err = process.stderr as unknown as { write: unknown };
  const restore = () => {
    out.write = writers.stdout;
    err.write = writers.stderr;
  };
  restore();

  return {
    begin(lines) {
      restore();
      maxLines = lines;
      count = 0;
      bytes = 0;
      truncated = false;
      reported = false;
      pending = [];
      partial.stdout = "";
      partial.stderr = "";
      active = true;
    },
    end() {
      if (!active) return;
      for (const stream of ["stdout", "stderr"] as const) {
        if (partial[stream] !== "") push(stream, partial[stream]);
        partial[stream] = "";
      }
      active = false;
    },
    take() {
      if (pending.length === 0 && (!truncated || reported)) return null;
      reported = truncated;
      const batch = { lines: pending, truncated };
      pending = [];
      return batch;
    },
  };
}
