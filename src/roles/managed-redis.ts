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
  stop(): Promise<void>;
}

/**
 * Start redis-server persisting to `dataDir` (AOF, fsync every second); a stale one left there is stopped first.
 * It listens on `dataDir/redis.sock` only (mode 700: no other user, no network), which also costs less CPU per
 * command than loopback TCP; a data dir whose socket path exceeds the OS limit gets a free loopback port instead.
 */
export async function startManagedRedis(opts: { dataDir: string; log: Log }): Promise<ManagedRedis> {
  const bin = Bun.which("redis-server");
  if (!bin) {
    throw new FaasError("CONFIG",
      "redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or pass --redis URL / set REDIS_URL.");
  }
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const pidfile = resolve(dir, "redis.pid");
  await stopStale(pidfile, opts.log);
  const sock = resolve(dir, "redis.sock");
  const useSocket = fitsIpcPath(sock);
  let lastErr = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const where: Endpoint = useSocket ? { unix: sock } : { port: freePort() };
    const listen = "unix" in where
      ? ["--port", "0", "--unixsocket", where.unix, "--unixsocketperm", "700"]
      : ["--port", String(where.port), "--bind", "127.0.0.1", "--protected-mode", "yes"];
    const proc = Bun.spawn([bin, ...listen, "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--pidfile", pidfile,
      "--daemonize", "no", "--loglevel", "warning", "--logfile", resolve(dir, "redis.log")],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    if (await ready(where, proc)) {
      const url = "unix" in where ? `unix://${where.unix}` : `redis://127.0.0.1:${where.port}`;
      opts.log.info("managed redis-server started", { url });
      return {
        url,
        async stop() {
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
type Endpoint = { unix: string } | { port: number };

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
