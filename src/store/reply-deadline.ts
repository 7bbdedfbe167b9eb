/** Bounding how long the API waits for Redis: a call that has not answered in time fails with STORE_UNAVAILABLE. */
import { FaasError } from "../faas-error.ts";

/**
 * `call`, or a FaasError `STORE_UNAVAILABLE` once `ms` pass without its answer. The call itself is not cancelled
 * (a Redis command already sent cannot be): `late` sees its outcome when it arrives after the deadline.
 */
export function withinDeadline<T>(call: Promise<T>, ms: number, late?: (value: T) => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new FaasError("STORE_UNAVAILABLE", `Redis did not answer within ${ms} ms; try again later`, 503));
    }, ms);
  });
  call.then(
    (value) => {
      if (expired) late?.(value);
    },
    () => {}, // a late failure has no one left to tell; an early one reaches the caller through the race
  );
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}
