/** The result a cancelled task keeps: the encoded `CancelledError` ("cancelled by request"), made once, without stack frames. */
import { encodeError } from "../codec/index.ts";
import { pythonException } from "../codec/python-payload.ts";

/**
 * The `result` of a task that `POST /tasks/{task_id}/cancel` ended (listed in docs/payloads.md with the platform's
 * other errors, which src/workers/task-failure.ts makes; the API cannot import workers, so it is made here).
 */
export const CANCELLED_RESULT: string = (() => {
  const error = new Error("cancelled by request");
  error.name = "CancelledError";
  return encodeError(error, { stackFilter: (line) => !line.trimStart().startsWith("at ") });
})();

/** The same for a task of a Python function: the pickle of `RuntimeError("CancelledError: cancelled by request")`. */
export const PYTHON_CANCELLED_RESULT: string = pythonException("RuntimeError", "CancelledError: cancelled by request");
