/** Calibrates the CPU-bound task kind: the loop count that takes about 10 ms in a Bun worker thread on this machine. */
import { median } from "./stats.ts";
import { CPU_LOOP_SOURCE } from "./task-kinds.ts";

/** Result of {@link calibrateCpuLoop}. */
export interface CpuCalibration {
  /** Loop count passed to the `cpu10` function. */
  iterations: number;
  /** Median duration of one call with that count, in ms. */
  msPerCall: number;
}

/** Options of {@link calibrateCpuLoop}. */
export interface CalibrateOptions {
  /** Wanted duration of one call, in ms. Default: 10. */
  targetMs?: number;
  /** Calls timed for the final median. Default: 21. */
  calls?: number;
}

/**
 * Find the loop count whose call takes `targetMs` in a fresh Bun worker thread (warmed up first, as the
 * executor's threads are during a study's warm-up). Three refining rounds, then a median over `calls` calls.
 */
export async function calibrateCpuLoop(opts: CalibrateOptions = {}): Promise<CpuCalibration> {
  const targetMs = opts.targetMs ?? 10;
  const calls = opts.calls ?? 21;
  const worker = new Worker(new URL("./calibrate-thread.ts", import.meta.url).href);
  const time = (iterations: number, n: number) =>
    new Promise<number>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<{ ms: number[] }>) => resolve(median(e.data.ms));
      worker.onerror = (e) => reject(new Error(`calibration thread failed: ${e.message}`));
      worker.postMessage({ source: CPU_LOOP_SOURCE, iterations, calls: n });
    });
  try {
    let iterations = 200_000;
    await time(iterations, 200); // JIT warm-up: reach the optimizing tier first
    for (let round = 0; round < 4; round++) {
      const ms = await time(iterations, 7);
      iterations = Math.max(1000, Math.round((iterations * targetMs) / Math.max(ms, 0.01)));
    }
    return { iterations, msPerCall: await time(iterations, calls) };
  } finally {
    worker.terminate();
  }
}
