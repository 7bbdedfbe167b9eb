/** Live progress of a study on stderr: a cli-progress bar on a terminal, a counter line every few seconds otherwise. */
import { SingleBar } from "cli-progress";

/** A progress display over a known number of tasks. */
export interface Progress {
  /** `n` more tasks finished. */
  tick(n: number): void;
  /** What runs now (shown beside the bar). */
  step(label: string): void;
  /** Print a line without breaking the bar. */
  note(line: string): void;
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  total: number;
  /** Where to draw. Default: process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Force the plain counter (no bar). Default: when the stream is not a TTY. */
  plain?: boolean;
  /** Counter line interval in plain mode, in ms. Default: 5000. */
  plainEveryMs?: number;
}

/** Start a progress display. */
export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const plain = opts.plain ?? !stream.isTTY;
  let done = 0;
  let label = "";
  if (!plain) {
    const bar = new SingleBar({
      stream,
      format: " {bar} {percentage}% | {value}/{total} tasks | ETA {eta_formatted} | {step}",
      barsize: 30,
      hideCursor: true,
      fps: 5,
      etaBuffer: 2000,
    });
    bar.start(opts.total, 0, { step: "" });
    return {
      tick(n) { done += n; bar.update(done); },
      step(l) { label = l; bar.update(done, { step: l }); },
      note(line) { stream.write(`\r\x1b[2K${line}\n`); bar.render(); },
      stop() { bar.stop(); },
    };
  }
  const every = opts.plainEveryMs ?? 5000;
  const t0 = Date.now();
  let last = 0;
  const line = () => {
    const pct = opts.total > 0 ? ((100 * done) / opts.total).toFixed(0) : "100";
    stream.write(`progress: ${done}/${opts.total} tasks (${pct}%), ${((Date.now() - t0) / 1000).toFixed(0)} s, ${label}\n`);
  };
  return {
    tick(n) {
      done += n;
      if (Date.now() - last >= every) { last = Date.now(); line(); }
    },
    step(l) { label = l; },
    note(l) { stream.write(l + "\n"); },
    stop() { line(); },
  };
}
