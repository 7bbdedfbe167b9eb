/** The API's view of the store: any failure that is not a FaasError means the store is unavailable (503). */
import { FaasError } from "../faas-error.ts";
import type { ApiStore } from "../store/types.ts";

/** Wrap `store` so connection and Redis errors surface as FaasError `STORE_UNAVAILABLE` (the cause is kept for the log). */
export function guardStore(store: ApiStore): ApiStore {
  return {
    registerFunction: (fn) => guarded(() => store.registerFunction(fn)),
    createTask: (task) => guarded(() => store.createTask(task)),
    getTaskStatus: (id) => guarded(() => store.getTaskStatus(id)),
    getTaskState: (id) => guarded(() => store.getTaskState(id)),
    waitForTaskState: (id, ms) => guarded(() => store.waitForTaskState(id, ms)),
    ping: () => guarded(() => store.ping()),
  };
}

async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof FaasError) throw err;
    // The detail (addresses, socket paths) goes to the server log via the error handler, not to clients.
    throw new FaasError("STORE_UNAVAILABLE", "the task store (Redis) is unavailable; try again later", 503, { cause: err });
  }
}
