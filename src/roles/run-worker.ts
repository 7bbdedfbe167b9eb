/** `faas worker pull|push N tcp://HOST:PORT`: a remote worker process with N executor threads. */
import type { WorkerConfig } from "../config.ts";
import { FaasError } from "../faas-error.ts";
import type { Log } from "../log.ts";
import type { Running } from "./running.ts";

/** Start a worker; resolves once it is connected and registered. */
export async function runWorker(cfg: WorkerConfig, log: Log): Promise<Running & { id: string }> {
  void log;
  throw new FaasError("CONFIG", `worker mode "${cfg.mode}" is not available in this build`);
}
