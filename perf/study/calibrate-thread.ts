/** Worker-thread side of the CPU-loop calibration: times calls of the loop function and posts the durations back. */
declare const self: Worker;

/** A request: call the function `calls` times with `iterations`. */
interface TimeRequest {
  source: string;
  iterations: number;
  calls: number;
}

self.onmessage = (event: MessageEvent<TimeRequest>) => {
  const { source, iterations, calls } = event.data;
  // Indirect eval, as the executor compiles user functions: global scope.
  const fn = (0, eval)(`(${source})`) as (n: number) => number;
  const ms: number[] = [];
  let sink = 0;
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    sink ^= fn(iterations);
    ms.push(performance.now() - t0);
  }
  self.postMessage({ ms, sink });
};
