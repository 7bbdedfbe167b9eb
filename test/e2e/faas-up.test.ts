// The compiled binary, copied away from the source tree, driven over HTTP like a user would.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";

/** Pids of the live children of `pid`, with their command lines. */
function childrenOf(pid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push({ pid: Number(d), cmd: readFileSync(`/proc/${d}/cmdline`, "utf8").replaceAll("\0", " ") });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

let copy: FaasCopy;
beforeAll(() => {
  copy = copyBinary();
});
afterAll(() => copy.remove());

function run(args: string[]) {
  const r = Bun.spawnSync([copy.bin, ...args], { cwd: copy.dir, env: { PATH: process.env.PATH ?? "" } });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("faas command line", () => {
  test("--version and --help", () => {
    expect(run(["--version"])).toMatchObject({ code: 0, out: expect.stringMatching(/^faas \d+\.\d+\.\d+/) });
    const help = run(["--help"]);
    expect(help.code).toBe(0);
    for (const role of ["up", "api", "dispatcher"]) expect(help.out).toContain(role);
    expect(run(["up", "--help"])).toMatchObject({ code: 0, out: expect.stringContaining("--data-dir") });
  });

  test("unknown role or bad flag: one-line error, usage, exit 2", () => {
    const bad = run(["nope"]);
    expect(bad.code).toBe(2);
    expect(bad.err.split("\n")[0]).toBe('faas: unknown role "nope"');
    expect(bad.err).toContain("Usage: faas");
    const flag = run(["api", "--bogus"]);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/^faas: .*bogus/);
    expect(run(["dispatcher", "-w", "zero"]).code).toBe(2);
    expect(run(["up", "--task-timeout", "-1"]).code).toBe(2);
  });

  test("a missing redis-server is explained", () => {
    const r = Bun.spawnSync([copy.bin, "up", "--port", "0"], { cwd: copy.dir, env: { PATH: "/nonexistent" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("apt-get install -y redis-server");
  });
});

describe("faas up", () => {
  let up: FaasProcess;
  let url: string;
  const dataDir = () => join(copy.dir, "data");
  const start = async () => {
    up = spawnFaas(copy.bin, ["up", "--port", "0", "-w", "2", "--data-dir", dataDir(), "--task-timeout", "2"], copy.dir);
    url = (await up.waitFor(/is up: (http:\/\/\S+)/))[1]!;
  };
  const post = async (path: string, body: unknown) => {
    const r = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as any };
  };
  const result = async (id: string) => (await (await fetch(`${url}/result/${id}?wait=20`)).json()) as any;

  beforeAll(async () => {
    // A .env in the working directory must not change the binary's behaviour (no autoload).
    writeFileSync(join(copy.dir, ".env"), "REDIS_URL=redis://127.0.0.1:1\nFAAS_LOG_LEVEL=bogus\n");
    await start();
  });
  afterAll(async () => {
    await up?.stop();
  });

  test("prints a curl example and serves health and docs", async () => {
    expect((await up.waitFor(/try: (curl .*)/))[1]).toContain("/register_function");
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok" });
    expect((await fetch(`${url}/docs`)).status).toBe(200);
    // The docs' assets are embedded in the binary.
    const bundle = await fetch(`${url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).includes("SwaggerUIBundle")).toBe(true);
  });

  test("the managed Redis listens on a private unix socket in the data dir, not on a TCP port", () => {
    const st = statSync(join(dataDir(), "redis.sock"));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o700);
    const pid = Number(readFileSync(join(dataDir(), "redis.pid"), "utf8").trim());
    // Its only listening sockets are unix ones: no inode of a TCP listener in /proc/net/tcp belongs to it.
    const tcpInodes = new Set(readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)
      .map((l) => l.trim().split(/\s+/)).filter((f) => f[3] === "0A").map((f) => f[9]));
    const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ""; } });
    const listening = fds.filter((l) => /^socket:\[(\d+)\]$/.test(l) && tcpInodes.has(l.slice(8, -1)));
    expect(listening).toEqual([]);
  });

  test("register, execute, result: JS, TS, async, throwing, timeout", async () => {
    const double = await post("/register_function", { name: "double", payload: "(x: number): number => x * 2" });
    expect(double.status).toBeLessThan(300);
    const t = await post("/execute_function", { function_id: double.body.function_id, payload: "[21]" });
    expect(await result(t.body.task_id)).toEqual({ task_id: t.body.task_id, status: "COMPLETED", result: "42" });

    const boom = await post("/register_function", { name: "boom", payload: "async () => { throw new RangeError('nope') }" });
    const b = await post("/execute_function", { function_id: boom.body.function_id, payload: "[]" });
    const br = await result(b.body.task_id);
    expect(br.status).toBe("FAILED");
    const err = JSON.parse(br.result);
    expect(err).toMatchObject({ $type: "error", value: { name: "RangeError", message: "nope" } });
    expect(err.value.stack).toContain("RangeError: nope");
    expect(err.value.stack).not.toContain("$bunfs");

    const spin = await post("/register_function", { name: "spin", payload: "() => { while (true) {} }" });
    const s = await post("/execute_function", { function_id: spin.body.function_id, payload: "[]" });
    const sr = await result(s.body.task_id);
    expect(sr.status).toBe("FAILED");
    expect(JSON.parse(sr.result).value.name).toBe("TimeoutError");
    // The pool is not wedged.
    const again = await post("/execute_function", { function_id: double.body.function_id, payload: "[2]" });
    expect((await result(again.body.task_id)).result).toBe("4");
  });

  test("restart keeps registered functions and finished results", async () => {
    const f = await post("/register_function", { name: "inc", payload: "(x) => x + 1" });
    const t = await post("/execute_function", { function_id: f.body.function_id, payload: "[1]" });
    expect((await result(t.body.task_id)).result).toBe("2");
    expect(await up.stop("SIGTERM")).toBe(0);
    await start();
    expect((await result(t.body.task_id)).result).toBe("2");
    const t2 = await post("/execute_function", { function_id: f.body.function_id, payload: "[41]" });
    expect((await result(t2.body.task_id)).result).toBe("42");
  });

  test("SIGKILL of faas up: its children stop by themselves and the next up takes over the data dir", async () => {
    const f = await post("/register_function", { name: "id", payload: "(x) => x" });
    const t = await post("/execute_function", { function_id: f.body.function_id, payload: "[7]" });
    expect((await result(t.body.task_id)).result).toBe("7");
    const kids = childrenOf(up.proc.pid).filter((k) => !k.cmd.includes("redis-server"));
    expect(kids.length).toBeGreaterThanOrEqual(2);
    await up.stop("SIGKILL");
    await eventually(async () => kids.every((k) => !alive(k.pid)), 20_000, "children of the killed faas up to exit");
    await start();
    expect((await result(t.body.task_id)).result).toBe("7");
  });

  test("SIGINT stops everything and exits 0", async () => {
    const kids = childrenOf(up.proc.pid);
    expect(kids.some((k) => k.cmd.includes("redis-server"))).toBe(true);
    expect(await up.stop("SIGINT")).toBe(0);
    for (const k of kids) expect(alive(k.pid)).toBe(false);
  });
});
