// `faas up` supervising its managed Redis: restart after kill -9, the data-dir lock, SIGHUP, private files, quiet outages.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyBinary, eventually, type FaasCopy } from "../support/faas-binary.ts";
import { startRedis } from "../support/redis-server.ts";

/** Pids of the live children of `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(d));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
/** Everything in the AOF files under `dir`. */
function aofText(dir: string): string {
  let text = "";
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.includes(".aof")) text += readFileSync(join(e.parentPath, e.name), "latin1");
  }
  return text;
}
const alive = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/** A `faas up` with both of its output streams kept. */
interface Up {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  out(): string;
  err(): string;
  url: string;
}

let copy: FaasCopy;
const running = new Set<Up>();
beforeAll(() => {
  copy = copyBinary();
});
async function stopAll() {
  for (const up of running) {
    up.proc.kill("SIGTERM");
    await up.proc.exited;
  }
  running.clear();
}
afterEach(stopAll, 60_000);
afterAll(() => copy.remove());

function spawnUp(args: string[]): Omit<Up, "url"> {
  const proc = Bun.spawn([copy.bin, "up", "--port", "0", "-w", "2", ...args], {
    cwd: copy.dir, stdin: "ignore", stdout: "pipe", stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
  });
  let out = "";
  let err = "";
  void (async () => { for await (const c of proc.stdout) out += new TextDecoder().decode(c); })();
  void (async () => { for await (const c of proc.stderr) err += new TextDecoder().decode(c); })();
  return { proc, out: () => out, err: () => err };
}

async function startUp(args: string[]): Promise<Up> {
  const p = spawnUp(args);
  const m = await eventually(async () => {
    if (p.proc.exitCode !== null) throw new Error(`faas up exited (${p.proc.exitCode}): ${p.err()}`);
    return /is up: (http:\/\/\S+)/.exec(p.out());
  }, 30_000, "faas up to be up");
  const up = { ...p, url: m[1]! };
  running.add(up);
  return up;
}

const post = async (url: string, body: unknown) => {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await r.json()) as any;
};
const health = async (url: string) => (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).status;
let dirs = 0;
const freshDir = () => join(copy.dir, `data-${++dirs}`);
const redisPid = (dataDir: string) => Number(readFileSync(join(dataDir, "redis.pid"), "utf8").trim());

describe("the managed Redis", () => {
  test("kill -9 of redis-server: restarted, /health 200 within 10 s, tasks queued before the kill complete", async () => {
    const dataDir = freshDir();
    const up = await startUp(["--data-dir", dataDir]);
    const fn = await post(`${up.url}/register_function`, { name: "nap", payload: "async (ms) => { await Bun.sleep(ms); return ms; }" });
    const tasks: string[] = [];
    for (let i = 0; i < 6; i++) tasks.push((await post(`${up.url}/execute_function`, { function_id: fn.function_id, payload: "[800]" })).task_id);
    // Queued before the kill means written to the AOF: with --appendfsync everysec, Redis may postpone that write
    // (up to 2 s while an fsync is slow) after it already answered, and kill -9 loses what it postponed.
    await eventually(async () => { const aof = aofText(dataDir); return tasks.every((id) => aof.includes(id)); }, 10_000, "the tasks in the AOF");
    const first = redisPid(dataDir);
    process.kill(first, "SIGKILL");
    const killedAt = Date.now();
    await eventually(async () => !alive(first), 5000, "redis-server to die");
    await eventually(async () => (await health(up.url)) === 200 && redisPid(dataDir) !== first, 10_000, "/health 200 with a new redis-server");
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(childrenOf(up.proc.pid)).toContain(redisPid(dataDir));
    for (const id of tasks) {
      let last: unknown = null;
      const r = await eventually(async () => {
        const res = (await (await fetch(`${up.url}/result/${id}?wait=5`)).json()) as any;
        last = res;
        return res.status === "COMPLETED" ? res : null;
      }, 30_000, `task ${id} to complete`).catch(async (e) => {
        const record = await (await fetch(`${up.url}/tasks/${id}`)).text().catch(String);
        console.log(up.err(), "\nlast /result:", JSON.stringify(last), "\n/tasks:", record);
        throw e;
      });
      expect(r.result).toBe("800");
    }
    expect(up.err()).not.toContain("Unhandled error event");
  }, 60_000);

  test("the data dir is 0700 and Redis's files in it are private", async () => {
    const dataDir = freshDir();
    const up = await startUp(["--data-dir", dataDir]);
    await post(`${up.url}/register_function`, { name: "id", payload: "(x) => x" });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        files.push(p);
        if (e.isDirectory()) walk(p);
      }
    };
    walk(dataDir);
    expect(files.some((f) => f.endsWith(".aof"))).toBe(true);
    for (const f of files) expect({ f, other: statSync(f).mode & 0o077 }).toEqual({ f, other: 0 });
  }, 60_000);

  test("an existing data dir is made private too", async () => {
    const dataDir = freshDir();
    mkdirSync(dataDir, { mode: 0o755 });
    await startUp(["--data-dir", dataDir]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  }, 60_000);
});

describe("one faas up per data dir", () => {
  test("a second faas up on a held data dir: one line naming the first's pid, exit 2; the first stays healthy", async () => {
    const dataDir = freshDir();
    const first = await startUp(["--data-dir", dataDir]);
    const redis = redisPid(dataDir);
    const second = spawnUp(["--data-dir", dataDir]);
    expect(await second.proc.exited).toBe(2);
    await eventually(async () => second.err().length > 0, 5000, "the refusal");
    const lines = second.err().trim().split("\n");
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(`pid ${first.proc.pid}`);
    expect(lines[0]).toContain(dataDir);
    expect(alive(redis)).toBe(true);
    expect(redisPid(dataDir)).toBe(redis);
    expect(await health(first.url)).toBe(200);
  }, 60_000);

  test("a stale lock (its pid is gone) is taken over", async () => {
    const dataDir = freshDir();
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(join(dataDir, "up.pid"), `${gone.pid}\n`);
    const up = await startUp(["--data-dir", dataDir]);
    expect(await health(up.url)).toBe(200);
    expect(readFileSync(join(dataDir, "up.pid"), "utf8").trim()).toBe(String(up.proc.pid));
  }, 60_000);
});

describe("signals", () => {
  test("SIGHUP stops every child, Redis included, and exits 0", async () => {
    const dataDir = freshDir();
    const up = await startUp(["--data-dir", dataDir]);
    const redis = redisPid(dataDir);
    const kids = childrenOf(up.proc.pid);
    expect(kids).toContain(redis);
    expect(kids.length).toBeGreaterThanOrEqual(3);
    const grandkids = kids.flatMap(childrenOf);
    up.proc.kill("SIGHUP");
    expect(await up.proc.exited).toBe(0);
    running.delete(up);
    for (const pid of [...kids, ...grandkids]) expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false });
  }, 60_000);
});

describe("forced exit", () => {
  test("a second SIGTERM while stopping exits at once and still takes redis-server with it", async () => {
    const dataDir = freshDir();
    const up = await startUp(["--data-dir", dataDir]);
    const redis = redisPid(dataDir);
    up.proc.kill("SIGTERM");
    up.proc.kill("SIGTERM");
    const code = await up.proc.exited;
    running.delete(up);
    expect([0, 130]).toContain(code);
    await eventually(async () => !alive(redis), 10_000, "redis-server to exit");
  }, 60_000);
});

describe("a Redis outage", () => {
  /** A redis-server on `socket` (the same path each time, so clients reconnect to the next one). */
  const serveRedis = async (dir: string, socket: string) => {
    const proc = Bun.spawn(["redis-server", "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--dir", dir,
      "--save", "", "--appendonly", "yes", "--daemonize", "no", "--loglevel", "warning"], { stdout: "ignore", stderr: "inherit" });
    await eventually(async () => {
      const c = await Bun.connect({ unix: socket, socket: { data() {} } });
      c.end();
      return true;
    }, 10_000, "redis-server to listen");
    return proc;
  };

  test("no unhandled error events, one 'down' line per connection, one 'back up' after", async () => {
    const dir = freshDir();
    mkdirSync(dir, { mode: 0o700 });
    const socket = join(dir, "r.sock");
    let redis = await serveRedis(dir, socket);
    try {
      const up = await startUp(["--redis", `unix://${socket}`]);
      // A long-poll opens the API's subscriber connection as well.
      const fn = await post(`${up.url}/register_function`, { name: "id", payload: "(x) => x" });
      const t = await post(`${up.url}/execute_function`, { function_id: fn.function_id, payload: "[1]" });
      expect(((await (await fetch(`${up.url}/result/${t.task_id}?wait=10`)).json()) as any).result).toBe("1");
      redis.kill("SIGKILL");
      await redis.exited;
      // Let the reconnect attempts pile up (ioredis retries every 50 ms to 2 s): the dispatcher reports each of its
      // failed periodic round trips (heartbeat, reads), and two of them span several reconnect attempts.
      await eventually(async () => (up.err().match(/dispatcher\/dispatcher: .*failed/g)?.length ?? 0) >= 2, 30_000, "two failed dispatcher round trips");
      await eventually(async () => (await health(up.url)) === 503, 10_000, "/health 503");
      const connections = (what: string) => up.err().split("\n").filter((l) => l.includes(what))
        .map((l) => `${/ (\S+): redis /.exec(l)?.[1]} ${/"connection":"([^"]+)"/.exec(l)?.[1]}`);
      const down = connections("redis down");
      expect(down.length).toBeGreaterThanOrEqual(3);
      expect(new Set(down).size).toBe(down.length);
      expect(down.some((k) => k.startsWith("api/store subscriber"))).toBe(true);
      expect(down.some((k) => k.startsWith("api/store store"))).toBe(true);
      expect(down.some((k) => k.startsWith("dispatcher/store store"))).toBe(true);

      redis = await serveRedis(dir, socket);
      await eventually(async () => (await health(up.url)) === 200, 15_000, "/health 200 again");
      await eventually(async () => connections("redis back up").length === down.length, 15_000, "a back-up line per connection");
      expect(new Set(connections("redis back up"))).toEqual(new Set(down));
      expect(connections("redis down")).toEqual(down);
      expect(up.err()).not.toContain("Unhandled error event");
    } finally {
      await stopAll();
      redis.kill("SIGKILL");
    }
  }, 60_000);
});
