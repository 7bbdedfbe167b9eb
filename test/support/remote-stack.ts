/** Test support for pull/push modes: Redis + store + Dispatcher core + a remote mode in-process, and task helpers. */
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { PullMode } from "../../src/dispatcher/modes/pull-mode.ts";
import { PushMode } from "../../src/dispatcher/modes/push-mode.ts";
import type { RemoteModeOptions } from "../../src/dispatcher/modes/remote-mode-options.ts";
import { silentLog, type Log } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import type { TaskRecord } from "../../src/store/types.ts";
import { startRedis, type TestRedis } from "./redis-server.ts";

/** A dispatcher in pull or push mode over a private Redis. */
export interface RemoteStack {
  redis: TestRedis;
  store: RedisStore;
  mode: PullMode | PushMode;
  dispatcher: Dispatcher;
  endpoint: string;
  /** Stop the dispatcher (keeping Redis) — for restart tests. */
  stopDispatcher(): Promise<void>;
  /** Start a fresh dispatcher + mode on the same port. */
  restartDispatcher(): Promise<void>;
  stop(): Promise<void>;
}

/** Start Redis, a store and a dispatcher with a remote mode on a free port. */
export async function startRemoteStack(
  kind: "pull" | "push",
  extra: Partial<RemoteModeOptions> & { maxAttempts?: number; dispatcherLog?: Log } = {},
): Promise<RemoteStack> {
  const redis = await startRedis();
  const store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  const make = async (port: number) => {
    // prefetch 1: the capacity arithmetic the tests check (the default is larger, for throughput).
    const opts: RemoteModeOptions = { port, log: silentLog, heartbeatMs: 250, deadlineGraceMs: 1000, prefetch: 1, ...extra };
    const mode = kind === "pull" ? new PullMode(opts) : new PushMode(opts);
    const { endpoint, port: bound } = await mode.start();
    const dispatcher = new Dispatcher({ queue: store.queue, mode, log: extra.dispatcherLog ?? silentLog, maxAttempts: extra.maxAttempts ?? 3, blockMs: 500 });
    await dispatcher.start();
    return { mode, dispatcher, endpoint, port: bound };
  };
  let cur = await make(0);
  const stack: RemoteStack = {
    redis, store, mode: cur.mode, dispatcher: cur.dispatcher, endpoint: cur.endpoint,
    async stopDispatcher() {
      await cur.dispatcher.stop(0);
    },
    async restartDispatcher() {
      cur = await make(cur.port);
      Object.assign(stack, { mode: cur.mode, dispatcher: cur.dispatcher, endpoint: cur.endpoint });
    },
    async stop() {
      await cur.dispatcher.stop(0);
      await store.close();
      await redis.stop();
    },
  };
  return stack;
}

/** Register a function (JavaScript source) directly in the store. */
export function register(store: RedisStore, code: string): Promise<string> {
  return store.registerFunction({ name: "f", source: code, code });
}

/** Create a task and wait until it is final (or throw after `ms`). */
export async function runTask(store: RedisStore, fid: string, args: unknown[], ms = 10_000, timeoutMs?: number): Promise<TaskRecord> {
  const id = await store.createTask({ functionId: fid, args: JSON.stringify(args), timeoutMs });
  return finalTask(store, id, ms);
}

/** Wait until task `id` is final (or throw after `ms`). */
export async function finalTask(store: RedisStore, id: string, ms = 10_000): Promise<TaskRecord> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    const t = await store.waitForTask(id, Math.max(1, Math.min(left, 2000)));
    if (t && (t.status === "COMPLETED" || t.status === "FAILED")) return t;
    if (Date.now() >= deadline) throw new Error(`task ${id} not final after ${ms} ms: ${t?.status}`);
  }
}

/** Poll `cond` until true, or throw after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** A worker running in a child `bun` process (so the test can SIGKILL or SIGSTOP it). */
export interface ChildWorker {
  proc: ReturnType<typeof Bun.spawn>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawn `bun -e` running a pull or push worker with `threads` threads and id `id` against `endpoint`. */
export function spawnWorker(kind: "pull" | "push", endpoint: string, id: string, threads = 1, heartbeatMs = 250): ChildWorker {
  const mod = new URL(`../../src/workers/${kind}-worker.ts`, import.meta.url).pathname;
  const log = new URL("../../src/log.ts", import.meta.url).pathname;
  const fn = kind === "pull" ? "startPullWorker" : "startPushWorker";
  const code = [
    `import { ${fn} } from ${JSON.stringify(mod)};`,
    `import { silentLog } from ${JSON.stringify(log)};`,
    `const w = await ${fn}({ endpoint: ${JSON.stringify(endpoint)}, threads: ${threads}, id: ${JSON.stringify(id)}, heartbeatMs: ${heartbeatMs}, log: silentLog });`,
    `process.on("SIGTERM", () => void w.stop(2000).then(() => process.exit(0)));`,
  ].join("\n");
  const proc = Bun.spawn(["bun", "-e", code], { stdout: "ignore", stderr: "inherit" });
  return {
    proc,
    async kill(signal = "SIGKILL") {
      if (proc.exitCode === null) proc.kill(signal);
      if (signal === "SIGKILL" || signal === "SIGTERM") await proc.exited;
    },
  };
}
