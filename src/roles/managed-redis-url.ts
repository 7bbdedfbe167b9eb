/** The URL of the managed Redis a running `faas up` keeps in its data dir: its unix socket, or the loopback port it chose. */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { FaasError } from "../faas-error.ts";
import { fitsIpcPath } from "../zmtp/endpoint.ts";

/**
 * Where `faas up --data-dir DIR`'s redis-server listens, chosen as startManagedRedis chooses: `DIR/redis.sock` when
 * that path fits a unix socket, else the loopback port it picked, read from the live redis-server's command line
 * (its pid is in `DIR/redis.pid`; redis-server shows `127.0.0.1:PORT` in its title). Throws CONFIG when no managed Redis runs there.
 */
export function managedRedisUrl(dataDir: string): string {
  const dir = resolve(dataDir);
  const sock = resolve(dir, "redis.sock");
  if (fitsIpcPath(sock)) {
    if (!existsSync(sock)) throw notRunning(dir);
    return `unix://${sock}`;
  }
  let port: string | undefined;
  try {
    const pid = readFileSync(resolve(dir, "redis.pid"), "utf8").trim();
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    // redis-server rewrites its title to `redis-server 127.0.0.1:PORT`; before that it is our `--port PORT`.
    if (cmdline.includes("redis-server")) port = (/127\.0\.0\.1:(\d+)/.exec(cmdline) ?? /--port\0(\d+)/.exec(cmdline))?.[1];
  } catch {
    // No pid file, or its process is gone.
  }
  if (!port || !/^\d+$/.test(port) || port === "0") throw notRunning(dir);
  return `redis://127.0.0.1:${port}`;
}

function notRunning(dir: string): FaasError {
  return new FaasError("CONFIG", `no managed Redis is running in ${dir} (start faas up --data-dir ${dir}, or pass --redis URL)`);
}
