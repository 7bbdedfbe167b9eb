// connectRedis during an outage: no unhandled error events, one "down" and one "back up" line per connection.
import { afterEach, expect, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLog } from "../../src/log.ts";
import { connectRedis } from "../../src/store/connect-redis.ts";
import { eventually } from "../support/faas-binary.ts";

const dir = mkdtempSync(join(tmpdir(), "faas-conn-"));
const socket = join(dir, "redis.sock");
let server: Bun.Subprocess | null = null;

/** redis-server on the same socket path every time, so a client can reconnect to the new one. */
async function startServer(): Promise<void> {
  server = Bun.spawn(["redis-server", "--port", "0", "--unixsocket", socket, "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdout: "ignore", stderr: "inherit" });
  await eventually(async () => {
    const c = await Bun.connect({ unix: socket, socket: { data() {} } });
    c.end();
    return true;
  }, 10_000, "redis-server to listen");
}

afterEach(async () => {
  server?.kill("SIGKILL");
  await server?.exited;
  server = null;
});

test("an outage is logged once when it begins and once when it ends, with no unhandled error events", async () => {
  const lines: string[] = [];
  const log = createLog("debug", "test", (l) => lines.push(l));
  const consoleError = spyOn(console, "error");
  await startServer();
  const a = connectRedis(`unix://${socket}`, {}, { log, name: "a" });
  const b = connectRedis(socket, { maxRetriesPerRequest: null }, { log, name: "b" });
  let attempts = 0;
  a.on("reconnecting", () => attempts++);
  try {
    expect(await a.ping()).toBe("PONG");
    expect(await b.ping()).toBe("PONG");
    server!.kill("SIGKILL");
    await server!.exited;
    // Many failed reconnects (the socket file is gone or refuses): still one line per connection.
    await eventually(async () => attempts >= 6, 15_000, "six reconnect attempts");
    const down = lines.filter((l) => l.includes("redis down"));
    expect(down.length).toBe(2);
    expect(down.some((l) => /"connection":"a#\d+"/.test(l))).toBe(true);
    expect(down.some((l) => /"connection":"b#\d+"/.test(l))).toBe(true);
    expect(down.every((l) => l.includes("WARN test:"))).toBe(true);
    await startServer();
    await eventually(async () => (await a.ping()) === "PONG" && (await b.ping()) === "PONG", 15_000, "reconnect");
    await eventually(async () => lines.filter((l) => l.includes("redis back up")).length === 2, 5000, "two back-up lines");
    expect(lines.filter((l) => l.includes("redis down")).length).toBe(2);
    const printed = consoleError.mock.calls.map((c) => c.join(" "));
    expect(printed.filter((p) => p.includes("Unhandled error event"))).toEqual([]);
  } finally {
    consoleError.mockRestore();
    a.disconnect();
    b.disconnect();
  }
});

test("a connection without a log still has an error listener (nothing unhandled)", async () => {
  const consoleError = spyOn(console, "error");
  const c = connectRedis(`unix://${join(dir, "nobody.sock")}`);
  let attempts = 0;
  c.on("reconnecting", () => attempts++);
  try {
    await eventually(async () => attempts >= 3, 15_000, "three reconnect attempts");
    expect(c.listenerCount("error")).toBe(1);
    expect(consoleError.mock.calls.map((x) => x.join(" ")).filter((p) => p.includes("Unhandled error event"))).toEqual([]);
  } finally {
    consoleError.mockRestore();
    c.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
});
