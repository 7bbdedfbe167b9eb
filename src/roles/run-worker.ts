/** `faas worker pull|push N tcp://HOST:PORT`: a remote worker process with N executor threads. */
import type { WorkerConfig } from "../config.ts";
import type { Log } from "../log.ts";
import { startPullWorker } from "../workers/pull-worker.ts";
import { startPushWorker } from "../workers/push-worker.ts";
import type { RemoteWorker } from "../workers/remote-worker.ts";
import { executorOptions, pythonRuntime } from "./executor-options.ts";
import { readKeyPairFile } from "./curve-key-files.ts";
import { readSecretFile } from "./read-secret-file.ts";
import type { Running } from "./running.ts";

/** Start a worker; resolves once it is connected to its dispatcher. */
export async function runWorker(cfg: WorkerConfig, log: Log): Promise<Running & RemoteWorker> {
  const start = cfg.mode === "pull" ? startPullWorker : startPushWorker;
  // CURVE (config refuses it with a secret): this worker's key pair and the dispatcher's public key.
  const curve = cfg.curveKeyFile !== undefined ? { ...readKeyPairFile(cfg.curveKeyFile, "--curve-key"), serverKey: cfg.dispatcherKey! } : undefined;
  const secret = curve !== undefined ? undefined : cfg.secretFile !== undefined ? readSecretFile(cfg.secretFile) : cfg.secret;
  const worker = await start({
    endpoint: cfg.endpoint, threads: cfg.threads, secret, curve, taskTimeoutMs: cfg.taskTimeoutMs, queuePerThread: cfg.queuePerThread, log, taskLogLines: cfg.taskLogLines, maxResultBytes: cfg.maxResultBytes,
    processes: executorOptions(cfg, log), python: await pythonRuntime(cfg, log),
  });
  log.info("worker running", { id: worker.id, mode: cfg.mode, threads: cfg.threads, dispatcher: cfg.endpoint, isolation: cfg.isolation, mechanism: curve ? "CURVE" : "NULL" });
  return worker;
}
