/** `faas dispatcher`: a dispatcher process in the chosen mode. */
import type { DispatcherConfig } from "../config.ts";
import type { DispatchMode } from "../dispatcher/dispatch-mode.ts";
import { Dispatcher } from "../dispatcher/dispatcher.ts";
import { LocalMode } from "../dispatcher/modes/local-mode.ts";
import { PullMode } from "../dispatcher/modes/pull-mode.ts";
import { PushMode } from "../dispatcher/modes/push-mode.ts";
import type { Log } from "../log.ts";
import type { PythonRuntime } from "../workers/python-executors.ts";
import { createRedisStore } from "../store/redis-store.ts";
import { executorOptions, pythonRuntime } from "./executor-options.ts";
import { readAuthorizedKeys, readKeyPairFile } from "./curve-key-files.ts";
import { readSecretFile } from "./read-secret-file.ts";
import type { Running } from "./running.ts";

/** Start a dispatcher; resolves once it consumes the queue. `ready` is "local" or the pull/push endpoint. */
export async function runDispatcher(cfg: Omit<DispatcherConfig, "role">, log: Log): Promise<Running & { dispatcher: Dispatcher; ready: string }> {
  // The mode first: it reads key files and binds ports, so a bad setting fails before any Redis connection is tried.
  const { mode, ready } = await createMode(cfg, log, cfg.mode === "local" ? await pythonRuntime(cfg, log) : undefined);
  let store;
  try {
    store = await createRedisStore({ url: cfg.redisUrl, ttlSeconds: cfg.resultTtlSeconds, log: log.child("store") });
  } catch (err) {
    await mode.close();
    throw err;
  }
  const dispatcher = new Dispatcher({ queue: store.queue, mode, log: log.child("dispatcher"), maxAttempts: cfg.maxAttempts, taskLogLines: cfg.taskLogLines });
  await dispatcher.start();
  log.info("dispatcher running", { mode: cfg.mode, at: ready, consumer: dispatcher.consumer });
  return {
    dispatcher,
    ready,
    async stop() {
      await dispatcher.stop();
      await store.close();
    },
  };
}

async function createMode(cfg: Omit<DispatcherConfig, "role">, log: Log, python: PythonRuntime | undefined): Promise<{ mode: DispatchMode; ready: string }> {
  if (cfg.mode === "local") {
    const processes = executorOptions(cfg, log);
    return { mode: new LocalMode({ threads: cfg.threads, taskTimeoutMs: cfg.taskTimeoutMs, log: log.child("local"), processes, maxResultBytes: cfg.maxResultBytes, python }), ready: `local ${cfg.threads}` };
  }
  const Mode = cfg.mode === "pull" ? PullMode : PushMode;
  // CURVE replaces the shared secret (config refuses both): the key pair and the list of worker keys, read once.
  const curve = cfg.curveKeyFile !== undefined
    ? { ...readKeyPairFile(cfg.curveKeyFile, "--curve-key"), authorizedKeys: readAuthorizedKeys(cfg.authorizedWorkersFile!) }
    : undefined;
  const secret = curve !== undefined ? undefined : cfg.secretFile !== undefined ? readSecretFile(cfg.secretFile) : cfg.secret;
  const mode = new Mode({
    host: cfg.host, port: cfg.port, ipcPath: cfg.ipcPath, secret, curve, taskTimeoutMs: cfg.taskTimeoutMs, log: log.child(cfg.mode),
  });
  const { endpoint, ipc } = await mode.start();
  if (curve !== undefined) {
    log.info("worker link: CURVE", { publicKey: curve.publicKey, authorizedWorkers: curve.authorizedKeys.size });
    if (curve.authorizedKeys.size === 0) log.warn(`--authorized-workers ${cfg.authorizedWorkersFile} lists no key: no worker can connect`);
  } else if (secret === undefined && cfg.host !== "127.0.0.1" && cfg.host !== "::1" && cfg.host !== "localhost") {
    log.warn("the dispatcher port hands code to any worker that connects and neither --curve-key nor --secret is set: see docs/deployment.md");
  }
  return { mode, ready: ipc === undefined ? endpoint : `${endpoint} ${ipc}` };
}
