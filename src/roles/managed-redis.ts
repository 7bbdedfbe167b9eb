/** `faas up`'s own redis-server child: a unix socket in the data dir (loopback port if the path is too long), append-only persistence there. */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { FaasError } from "../faas-error.ts";
import type { Log } from "../log.ts";
import { fitsIpcPath } from "../zmtp/endpoint.ts";

/** A running managed Redis. */
export interface ManagedRedis {
  /** `unix:///…/redis.sock`, or `redis://127.0.0.1:PORT` when the socket path is too long for the OS. */
  url: string;
  /** Where it listens; pass it back to {@link startManagedRedis} so a restarted one comes back at the same url. */
  endpoint: Endpoint;
  /** The redis-server pid. */
  pid: number;
  /** Resolves with the exit code (or signal name) when redis-server ends. */
  exited: Promise<number | string>;
  /** SIGTERM (Redis writes its AOF and exits), then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Options of {@link startManagedRedis}. */
export interface ManagedRedisOptions {
  /** The data dir (created 0700 if missing): AOF, pid file, log and socket go there. */
  dataDir: string;
  log: Log;
  /** Listen here (a restart); default: `dataDir/redis.sock`, or a free loopback port when that path is too long. */
  endpoint?: Endpoint;
}

/**
 * Start redis-server persisting to `dataDir` (AOF, fsync every second); a stale one left there is stopped first.
 * It listens on `dataDir/redis.sock` only (mode 700: no other user, no network), which also costs less CPU per
 * command than loopback TCP; a data dir whose socket path exceeds the OS limit gets a free loopback port instead.
 * It runs with umask 077 (its files are private) in a session of its own (terminal signals do not reach it:
 * `faas up` stops it last, after the dispatcher wrote its outcomes).
 */
export async function startManagedRedis(opts: ManagedRedisOptions): Promise<ManagedRedis> {
  const bin = Bun.which("redis-server");
  if (!bin) {
    throw new FaasError("CONFIG",
      "redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or pass --redis URL / set REDIS_URL.");
  }
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pidfile = resolve(dir, "redis.pid");
  await stopStale(pidfile, opts.log);
  const sock = resolve(dir, "redis.sock");
  const useSocket = fitsIpcPath(sock);
  let lastErr = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const where: Endpoint = opts.endpoint ?? (useSocket ? { unix: sock } : { port: freePort() });
    const listen = "unix" in where
      ? ["--port", "0", "--unixsocket", where.unix, "--unixsocketperm", "700"]
      : ["--port", String(where.port), "--bind", "127.0.0.1", "--protected-mode", "yes"];
    // sh sets the umask, then becomes redis-server (same pid).
    const proc = Bun.spawn(["/bin/sh", "-c", 'umask 077 && exec "$0" "$@"', bin, ...listen, "--dir", dir, "--appendonly", "yes",
      "--appendfsync", "everysec", "--save", "", "--pidfile", pidfile, "--daemonize", "no", "--loglevel", "warning",
      "--logfile", resolve(dir, "redis.log")],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe", detached: true });
    if (await ready(where, proc)) {
      const url = "unix" in where ? `unix://${where.unix}` : `redis://127.0.0.1:${where.port}`;
      opts.log.info("managed redis-server started", { url, pid: proc.pid });
      // Keep draining stderr so redis-server never blocks on a full pipe.
      void new Response(proc.stderr).text().catch(() => "");
      // Even a forced exit of `faas up` (a second signal, the stop deadline) takes redis-server with it.
      const onExit = () => proc.kill("SIGTERM");
      process.once("exit", onExit);
      const exited = proc.exited.then((code) => {
        process.off("exit", onExit);
        return proc.signalCode ?? code;
      });
      return {
        url,
        endpoint: where,
        pid: proc.pid,
        exited,
        async stop() {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.kill("SIGTERM");
          const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
          await proc.exited;
          clearTimeout(t);
        },
      };
    }
    lastErr = (await new Response(proc.stderr).text()).trim() || readTail(resolve(dir, "redis.log"));
    proc.kill("SIGKILL");
    await proc.exited;
  }
  throw new FaasError("CONFIG", `redis-server did not start: ${lastErr || "unknown reason"}`);
}

/** Where the managed Redis listens. */
export type Endpoint = { unix: string } | { port: number };

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function ready(where: Endpoint, proc: Bun.Subprocess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) return false;
    const ok = await new Promise<boolean>((done) => {
      const socket = {
        open(s: Bun.Socket) { s.write("PING\r\n"); },
        data(s: Bun.Socket, d: Buffer) { done(d.toString().startsWith("+PONG")); s.end(); },
        error() { done(false); },
        connectError() { done(false); },
        close() { done(false); },
      };
      const opening = "unix" in where
        ? Bun.connect({ unix: where.unix, socket })
        : Bun.connect({ hostname: "127.0.0.1", port: where.port, socket });
      opening.catch(() => done(false));
    });
    if (ok) return true;
    await Bun.sleep(25);
  }
  return false;
}

/** A redis-server left running on this data dir by a `faas up` that was killed: stop it before reusing the files. */
async function stopStale(pidfile: string, log: Log): Promise<void> {
  if (!existsSync(pidfile)) return;
  const pid = Number(readFileSync(pidfile, "utf8").trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return;
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return;
  }
  if (!cmd.includes("redis-server")) return;
  log.warn("stopping a redis-server left running on this data dir", { pid });
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await Bun.sleep(50);
}

function readTail(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ");
  } catch {
    return "";
  }
}
