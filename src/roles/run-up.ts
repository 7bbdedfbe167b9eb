/** `faas up`: everything on one machine — managed Redis (unless one is given), a dispatcher, workers and the API, each a process. */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { childEnvironment, type UpConfig } from "../config.ts";
import type { Log } from "../log.ts";
import { fitsIpcPath, formatIpcEndpoint } from "../zmtp/endpoint.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { startManagedRedis, type Endpoint } from "./managed-redis.ts";
import type { Running } from "./running.ts";
import { spawnRole, type RoleProcess } from "./spawn-role.ts";
import { Supervisor } from "./supervisor.ts";
import { upCurveKeys } from "./up-curve-keys.ts";

/**
 * Start the parts as child processes of this one (each role on its own event loop, so the API and the
 * dispatcher use both cores) and keep them running: a child that dies, the managed Redis included, is started
 * again (Redis at the same socket, its AOF restoring the queue). The data dir is created 0700 and locked: a
 * second `faas up` on it is refused. Stopping stops the API first (no new tasks), then the dispatcher (it writes
 * the outcomes it holds), the workers, and Redis, and releases the lock.
 */
export async function runUp(cfg: UpConfig, log: Log, print: (line: string) => void): Promise<Running & { url: string }> {
  const env = childEnvironment();
  const stops: (() => Promise<void>)[] = [];
  const children = new Supervisor({ log });
  const stopAll = async () => {
    children.shutdown();
    for (const stop of stops.reverse()) await stop().catch((err) => log.error("stop failed", { err: (err as Error).message }));
  };
  /** Start a role child and restart it whenever it dies while we are running; `input` goes to its stdin. */
  const keep = (name: string, args: () => string[], input?: string): Promise<RoleProcess> =>
    children.keep(name, () => spawnRole(name, args(), env, undefined, input));
  const stopChild = (name: string) => () => children.stop(name);
  try {
    const remote = cfg.mode !== "local";
    // The data dir holds the managed Redis and the dispatcher's socket for our workers: one faas up at a time.
    if (!cfg.redisGiven || (remote && localIpcPath(cfg.dataDir))) {
      const lock = lockDataDir(cfg.dataDir);
      stops.push(async () => lock.release());
    }
    let redisUrl = cfg.redisUrl;
    if (!cfg.redisGiven) {
      const redisLog = log.child("redis");
      // A restarted redis-server listens where the first one did: the children's connections reconnect to it.
      let pinned: Endpoint | undefined;
      const first = await children.keep("redis", () => startManagedRedis({ dataDir: cfg.dataDir, log: redisLog, endpoint: pinned }));
      pinned = first.endpoint;
      stops.push(stopChild("redis"));
      redisUrl = first.url;
    }
    const logging = ["--log-level", cfg.logLevel];
    const common = ["--redis", redisUrl, ...logging, "--result-ttl", String(cfg.resultTtlSeconds)];
    // The worker link runs CURVE with keys kept in the data dir (made once, 0600), unless --curve off: then the
    // workers get a fresh secret unless one was given. It reaches the dispatcher and the workers on their stdin (a
    // pipe): not in argv (process listings) nor in their environment.
    const keys = remote && cfg.curve ? upCurveKeys(cfg.dataDir) : undefined;
    const secret = remote && keys === undefined ? (cfg.secret ?? crypto.randomUUID()) : undefined;
    const secretArgs = secret ? ["--secret-file", "-"] : [];
    const dispatcherLink = keys ? ["--curve-key", keys.dispatcherKeyFile, "--authorized-workers", keys.authorizedFile] : secretArgs;
    const workerLink = keys ? ["--curve-key", keys.workerKeyFile, "--dispatcher-key", keys.dispatcher.publicKey] : secretArgs;
    const timeout = ["--task-timeout", String(cfg.taskTimeoutMs / 1000)];
    const isolation = ["--isolation", cfg.isolation, "--task-memory", String(cfg.taskMemoryMb), "--run-as", cfg.runAs, "--task-log-lines", String(cfg.taskLogLines), "--max-result", String(cfg.maxResultBytes),
      ...cfg.pythonPath.flatMap((dir) => ["--python-path", dir])];

    const workerNames = remote ? Array.from({ length: cfg.workers }, (_, i) => `worker-${i + 1}`) : [];
    // Stop order is the reverse of this list: API, dispatcher, workers, Redis (a child not started yet is skipped).
    for (const w of workerNames) stops.push(stopChild(w));
    stops.push(stopChild("dispatcher"), stopChild("api"));
    // The API starts beside the dispatcher (it needs only Redis): `faas up` is ready when both are.
    let apiPort = String(cfg.port);
    const apiStarting = keep("api", () => ["api", "--host", cfg.host, "-p", apiPort, "--max-body", String(cfg.maxBodyBytes),
      ...frontDoorFlags(cfg), ...authFlags(cfg), ...common]);
    apiStarting.catch(() => {}); // awaited below; a failure here while the dispatcher starts is reported there
    // Ports start at 0 (free) and are pinned once known, so a restarted child comes back where it was.
    let dispatcherPort = "0";
    // Our own workers reach the dispatcher over a unix socket in the data dir (a third of the CPU of loopback
    // TCP per message); the TCP port stays open for workers started by hand or on other machines.
    const ipc = remote ? localIpcPath(cfg.dataDir) : undefined;
    const dispatcher = await keep("dispatcher", () => ["dispatcher", "-m", cfg.mode, "-w", String(cfg.threads), "--host", "127.0.0.1",
      "-p", dispatcherPort, ...(ipc ? ["--ipc", ipc] : []), "--max-attempts", String(cfg.maxAttempts), ...timeout, ...isolation,
      ...dispatcherLink, ...common], secret);
    if (remote) {
      const endpoint = dispatcher.ready.split(" ")[1]!;
      dispatcherPort = endpoint.slice(endpoint.lastIndexOf(":") + 1);
      const local = ipc ? formatIpcEndpoint(ipc) : endpoint;
      print(`dispatcher: ${endpoint} (${cfg.mode} mode${ipc ? `; this machine's workers use ${local}` : ""})`);
      if (keys) print(`worker link: CURVE, dispatcher key ${keys.dispatcher.publicKey} (accepted workers: ${keys.authorizedFile})`);
      // Workers get no Redis URL: they never talk to Redis.
      await Promise.all(workerNames.map((w) => keep(w, () => ["worker", cfg.mode, String(cfg.threads), local, ...timeout, ...isolation,
        ...workerLink, ...logging], secret)));
    }
    const api = await apiStarting;
    const url = api.ready.split(" ")[1]!;
    apiPort = new URL(url).port;
    print(`bunfaas is up: ${url}  (docs: ${url}/docs)`);
    print(`try: curl -s -X POST ${url}/register_function -H 'content-type: application/json' -d '{"name":"double","payload":"(x) => x * 2"}'`);
    return { url, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `dataDir/dispatcher.sock` (the directory is created), or undefined when the path is too long for a unix socket. */
function localIpcPath(dataDir: string): string | undefined {
  const path = resolve(dataDir, "dispatcher.sock");
  if (!fitsIpcPath(path)) return undefined;
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o700 });
  return path;
}

/** The API child's Host and CORS flags, as given to `faas up`. */
function frontDoorFlags(cfg: UpConfig): string[] {
  const flags: string[] = [];
  if (cfg.allowedHosts.length > 0) flags.push("--allowed-hosts", cfg.allowedHosts.join(","));
  if (cfg.corsOrigins.length > 0) flags.push("--cors-origin", cfg.corsOrigins.join(","));
  return flags;
}

/** The API child's key and limit flags (`--auth` explicit: the child's own default would look at the same --host). */
function authFlags(cfg: UpConfig): string[] {
  return ["--auth", cfg.auth, ...(cfg.insecure ? ["--insecure"] : []), "--rate-limit", String(cfg.rateLimit),
    "--max-queued", String(cfg.maxQueued), "--max-functions", String(cfg.maxFunctions)];
}
