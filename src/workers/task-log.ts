/** TaskLog: the lines one task wrote (`console.*`, `process.stdout|stderr.write`), capped in lines and bytes, with their wire form. */

import { decodeLog, encodeLog, type LogBatch, type LogLine, type LogStream } from "../codec/task-log-text.ts";

export { decodeLog, encodeLog, type LogBatch, type LogLine, type LogStream };

/** Most lines kept per task (`--task-log-lines`). Default of every role. */
export const DEFAULT_TASK_LOG_LINES = 1000;
/** Most bytes of text (UTF-16 code units, a close bound on UTF-8 for log text) kept per task: 64 KiB. */
export const TASK_LOG_BYTES = 64 * 1024;
/** Longest single line kept; the rest of it is cut (and the log marked truncated). */
export const MAX_LOG_LINE = 8 * 1024;

/**
 * The log of one task, accumulated from the batches its executor streams out: the first `maxLines` lines and
 * {@link TASK_LOG_BYTES} bytes are kept, the rest dropped and `truncated` set. Appending after a re-run keeps
 * adding to the same log (its lines carry their times).
 */
export class TaskLog {
  readonly lines: LogLine[] = [];
  truncated = false;
  #bytes = 0;

  constructor(
    /** Most lines kept. Default: {@link DEFAULT_TASK_LOG_LINES}. */
    readonly maxLines = DEFAULT_TASK_LOG_LINES,
    /** Most bytes kept. Default: {@link TASK_LOG_BYTES}. */
    readonly maxBytes = TASK_LOG_BYTES,
  ) {}

  /** Add a batch; returns the lines kept from it (for printing them). */
  add(batch: LogBatch): LogLine[] {
    if (batch.truncated) this.truncated = true;
    const kept: LogLine[] = [];
    for (const line of batch.lines) {
      if (this.lines.length >= this.maxLines) {
        this.truncated = true;
        break;
      }
      let text = line.text;
      if (text.length > MAX_LOG_LINE) {
        text = text.slice(0, MAX_LOG_LINE);
        this.truncated = true;
      }
      if (this.#bytes + text.length > this.maxBytes) {
        this.truncated = true;
        break;
      }
      this.#bytes += text.length;
      const kept1 = { ts: line.ts, stream: line.stream, text };
      this.lines.push(kept1);
      kept.push(kept1);
    }
    return kept;
  }

  /** Nothing was written (and nothing dropped). */
  get empty(): boolean {
    return this.lines.length === 0 && !this.truncated;
  }

  /** The stored and wire form: `{"lines":[[ts,"o"|"e",text],…],"truncated":bool}`. */
  toJSON(): string {
    return encodeLog(this);
  }
}
