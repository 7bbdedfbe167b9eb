/** The API's view of the store: any failure that is not a FaasError means the store is unavailable (503). */
import { FaasError } from "../faas-error.ts";
import type { ApiStore } from "../store/types.ts";

/** Wrap `store` so connection and Redis errors surface as FaasError `STORE_UNAVAILABLE` (the cause is kept for the log). */
export function guardStore(store: ApiStore): ApiStore {
  return {
    registerFunction: (fn, access) => guarded(() => store.registerFunction(fn, access)),
    createTask: (task, access) => guarded(() => store.createTask(task, access)),
    getTaskStatus: (id, access) => guarded(() => store.getTaskStatus(id, access)),
    getTaskState: (id, access) => guarded(() => store.getTaskState(id, access)),
    waitForTaskState: (id, ms, access) => guarded(() => store.waitForTaskState(id, ms, access)),
    createBatch: (tasks, opts, access) => guarded(() => store.createBatch(tasks, opts, access)),
    getBatch: (id, access) => guarded(() => store.getBatch(id, access)),
    getTaskStates: (ids, access) => guarded(() => store.getTaskStates(ids, access)),
    watchTasks: (ids, access, onFinal) => guarded(() => store.watchTasks(ids, access, onFinal)),
    getTaskInfo: (id, access) => guarded(() => store.getTaskInfo(id, access)),
    getTaskLogs: (id, access) => guarded(() => store.getTaskLogs(id, access)),
    listTasks: (q, access) => guarded(() => store.listTasks(q, access)),
    cancelTask: (id, result, access) => guarded(() => store.cancelTask(id, result, access)),
    listFunctions: (q, access) => guarded(() => store.listFunctions(q, access)),
    getFunctionRecord: (id, access) => guarded(() => store.getFunctionRecord(id, access)),
    deleteFunction: (id, access) => guarded(() => store.deleteFunction(id, access)),
    findApiKey: (sha) => guarded(() => store.findApiKey(sha)),
    listApiKeys: () => guarded(() => store.listApiKeys()),
    revokeApiKey: (id) => guarded(() => store.revokeApiKey(id)),
    ping: () => guarded(() => store.ping()),
    clusterStats: () => guarded(() => store.clusterStats()),
  };
}

/** `op()`, its failures that are not FaasErrors turned into STORE_UNAVAILABLE (one `.catch`, no extra async frame: a hot path). */
function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return op().catch(unavailable);
  } catch (err) {
    return Promise.reject(err).catch(unavailable);
  }
}

function unavailable(err: unknown): never {
  if (err instanceof FaasError) throw err;
  // The detail (addresses, socket paths) goes to the server log via the error handler, not to clients.
  throw new FaasError("STORE_UNAVAILABLE", "the task store (Redis) is unavailable; try again later", 503, { cause: err });
}
