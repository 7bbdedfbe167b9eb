/** The failures a `ThreadPool` reports itself (timeouts, dead threads), as encoded error payloads. */
import { encodeError } from "../codec/index.ts";
import { isFrame } from "./internal-frames.ts";

/** Names of the pool's own errors, as seen by whoever decodes a FAILED result. */
export type PoolFailureName = "TimeoutError" | "WorkerExitError" | "WorkerCrashError" | "ThreadStartError";

/** The pool's errors carry no frames: they would only show pool internals. */
const NO_FRAMES = { stackFilter: (line: string) => !isFrame(line) };

/** An Error with the given name. */
export function namedError(name: PoolFailureName, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** The encoded error payload (a FAILED outcome's `result`) for one of the pool's own failures. */
export function poolFailure(name: PoolFailureName, message: string): string {
  return encodeError(namedError(name, message), NO_FRAMES);
}
