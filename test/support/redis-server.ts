/** Test support: starts a private redis-server on a unix socket in a temp dir and stops it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running private Redis: `url` for clients, `stop()` to end it and remove its files. */
export interface TestRedis {
  url: string;
  socket: string;
  dir: string;
  stop(): Promise<void>;
}

/** Start redis-server bound to a unix socket only (port 0), no persistence unless `aof` is set. */
export async function startRedis(opts: { aof?: boolean } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), "faas-redis-"));
  const socket = join(dir, "redis.sock");
  const args = ["--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--dir", dir,
    "--save", "", "--appendonly", opts.aof ? "yes" : "no", "--daemonize", "no", "--loglevel", "warning"];
  const proc = Bun.spawn(["redis-server", ...args], { stdout: "ignore", stderr: "inherit" });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const conn = await Bun.connect({ unix: socket, socket: { data() {} } });
      conn.end();
      break;
    } catch {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      if (Date.now() > deadline) { proc.kill(); throw new Error("redis-server did not start in 10 s"); }
      await Bun.sleep(20);
    }
  }
  return {
    url: `unix://${socket}`,
    socket,
    dir,
    async stop() {
      proc.kill("SIGKILL");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
