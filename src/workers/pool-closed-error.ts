/** The error a `ThreadPool` rejects with once it is closed. */

/** Rejection of `ThreadPool.run` for jobs accepted before `close()` that did not finish, and for any job after. */
export class PoolClosedError extends Error {
  override readonly name = "PoolClosedError";
  readonly code = "POOL_CLOSED";
  constructor(message = "thread pool closed before this task finished") {
    super(message);
  }
}
