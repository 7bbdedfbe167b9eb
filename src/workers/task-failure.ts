/** The one place the platform's own task failures are made (timeouts, lost or dead executors, …), as encoded error payloads. */
import { encodeError } from "../codec/index.ts";
import { isPythonCode, pythonException } from "../codec/python-payload.ts";
import { isFrame } from "./internal-frames.ts";

/**
 * Names of the errors the platform itself puts in a FAILED task's result (listed in docs/payloads.md):
 * - `TimeoutError`: the task ran past its timeout (its executor was replaced);
 * - `WorkerExitError` / `WorkerCrashError`: the executor running it exited or crashed;
 * - `MemoryLimitError`: its executor process went over the task's memory limit and was killed;
 * - `ThreadStartError`: no executor could start;
 * - `TaskLostError`: its executor was lost (died, went silent) on every allowed attempt;
 * - `FunctionNotFoundError`: the task's function was deleted before it ran;
 * - `ResultTooLargeError`: the task's result was over `maxResultBytes` (it never left the executor);
 * - `CancelledError`: the task was cancelled while its executor held it (the executor was stopped). Never stored:
 *   the task is final `CANCELLED` already; it only settles the executor's run.
 */
export type TaskFailureName =
  | "TimeoutError" | "WorkerExitError" | "WorkerCrashError" | "MemoryLimitError" | "ThreadStartError" | "TaskLostError"
  | "FunctionNotFoundError" | "ResultTooLargeError" | "CancelledError";

/** @deprecated use {@link TaskFailureName}. */
export type PoolFailureName = TaskFailureName;

/** The platform's errors carry no frames: they would only show its internals. */
const NO_FRAMES = { stackFilter: (line: string) => !isFrame(line) };

/** An Error with the given name. */
export function namedError(name: TaskFailureName, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** The encoded error payload (a FAILED outcome's `result`) for one of the platform's own failures. */
export function taskFailure(name: TaskFailureName, message: string): string {
  return encodeError(namedError(name, message), NO_FRAMES);
}

/** @deprecated use {@link taskFailure}. */
export const poolFailure = taskFailure;

/**
 * The same failure for a Python task: the base64 pickle of a built-in Python exception its client can load with
 * `dill.loads` — `TimeoutError` for timeouts, `MemoryError` for the memory limit, `RuntimeError` for the rest
 * (its message starting with the platform's name, e.g. `WorkerExitError: …`).
 */
export function pythonTaskFailure(name: TaskFailureName, message: string): string {
  if (name === "TimeoutError") return pythonException("TimeoutError", message);
  if (name === "MemoryLimitError") return pythonException("MemoryError", `${name}: ${message}`);
  return pythonException("RuntimeError", `${name}: ${message}`);
}

/** The failure payload in the runtime of the function whose carried code is `code` (JavaScript or Python). */
export function taskFailureFor(code: string, name: TaskFailureName, message: string): string {
  return isPythonCode(code) ? pythonTaskFailure(name, message) : taskFailure(name, message);
}
