/** Recognising Error instances, including ones made in another realm (worker, vm context). */

/** True for Error instances of any realm and for objects tagged as errors by `Object.prototype.toString`. */
export function isError(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === "object" && value !== null && Object.prototype.toString.call(value) === "[object Error]")
  );
}
