// faas keys create/list/revoke against a running `faas up --data-dir` (the compiled binary), tenancy end to end, --auth defaults.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";

let copy: FaasCopy;
let up: FaasProcess;
let url: string;
let dataDir: string;
const env = { PATH: process.env.PATH ?? "" };

function faas(args: string[]) {
  const r = Bun.spawnSync([copy.bin, ...args], { cwd: copy.dir, env });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}
/** `faas keys create …`: the key is the last line of stdout. */
function createKey(...args: string[]): { key: string; id: string } {
  const r = faas(["keys", "create", "--data-dir", dataDir, ...args]);
  expect(r.code).toBe(0);
  const lines = r.out.trim().split("\n");
  return { key: lines.at(-1)!, id: /created key (\S+)/.exec(r.out)![1]! };
}
async function call(method: string, path: string, key?: string, body?: unknown) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

beforeAll(async () => {
  copy = copyBinary();
  dataDir = join(copy.dir, "data");
  up = spawnFaas(copy.bin, ["up", "-p", "0", "-w", "1", "--auth", "required", "--data-dir", dataDir, "--isolation", "thread"], copy.dir);
  url = (await up.waitFor(/is up: (\S+)/, 30_000))[1]!;
});
afterAll(async () => {
  await up?.stop();
  copy.remove();
});

describe("faas keys against a running faas up --data-dir", () => {
  test("create prints the key alone on the last line; list shows everything but the key; tenants are apart; revoke stops the key", async () => {
    const a = createKey("--name", "alice", "--tenant", "acme");
    const b = createKey("--name", "bob", "--tenant", "bravo");
    const root = createKey("--name", "ops", "--admin");
    expect(a.key).toMatch(/^faas_[A-Za-z0-9_-]{43}$/);

    expect((await call("GET", "/health")).status).toBe(200);
    expect((await call("POST", "/register_function", undefined, { name: "f", payload: "(x) => x * 2" })).status).toBe(401);
    const fn = (await call("POST", "/register_function", a.key, { name: "double", payload: "(x: number) => x * 2" })).body.function_id;
    const task = (await call("POST", "/execute_function", a.key, { function_id: fn, payload: "[21]" })).body.task_id;
    expect((await call("GET", `/result/${task}?wait=10`, a.key)).body).toMatchObject({ status: "COMPLETED", result: "42" });
    // Another tenant: 404 on every route; the admin sees it.
    expect((await call("POST", "/execute_function", b.key, { function_id: fn, payload: "[1]" })).status).toBe(404);
    for (const path of [`/status/${task}`, `/result/${task}`, `/result/${task}?wait=1`]) expect((await call("GET", path, b.key)).status).toBe(404);
    expect((await call("GET", `/result/${task}`, root.key)).body.result).toBe("42");
    expect((await call("GET", "/keys", a.key)).status).toBe(403);
    expect((await call("GET", "/keys", root.key)).body.keys).toHaveLength(3);

    const list = faas(["keys", "list", "--data-dir", dataDir]);
    expect(list.code).toBe(0);
    const rows = list.out.trim().split("\n");
    expect(rows[0]).toMatch(/^ID\s+NAME\s+TENANT\s+ADMIN\s+CREATED\s+LAST USED$/);
    const alice = rows.find((r) => r.includes("alice"))!;
    expect(alice).toContain(a.id);
    expect(alice).toMatch(/acme\s+no\s+\d{4}-\d\d-\d\dT\S+Z\s+\d{4}-\d\d-\d\dT\S+Z$/); // used: a time, not "never"
    expect(rows.find((r) => r.includes("ops"))).toMatch(/\syes\s/);
    for (const k of [a, b, root]) expect(list.out).not.toContain(k.key);

    const revoked = faas(["keys", "revoke", a.id, "--data-dir", dataDir]);
    expect(revoked.code).toBe(0);
    const t0 = performance.now();
    await eventually(async () => (await call("GET", `/status/${task}`, a.key)).status === 401, 5000, "the revoked key refused");
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(faas(["keys", "list", "--data-dir", dataDir]).out).not.toContain(a.id);
    expect(faas(["keys", "revoke", a.id, "--data-dir", dataDir]).code).toBe(2);
  });

  test("usage errors: one line, exit 2", () => {
    for (const args of [["keys"], ["keys", "create"], ["keys", "revoke"], ["keys", "create", "--name", "x", "--tenant", "a:b"]]) {
      const r = faas(args);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.err).toMatch(/^faas: /);
    }
    const none = faas(["keys", "list", "--data-dir", join(copy.dir, "nothing-here")]);
    expect(none.code).toBe(2);
    expect(none.err.trim().split("\n")).toHaveLength(1);
  });
});

describe("--auth defaults by bind address", () => {
  const redis = () => `unix://${join(dataDir, "redis.sock")}`;

  test("a non-loopback bind with --auth off and no --insecure: exit 2 with one line", () => {
    for (const role of ["api", "up"]) {
      const r = faas([role, "--host", "0.0.0.0", "--auth", "off", "-p", "0", "--redis", redis()]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toEqual([expect.stringMatching(/^faas: --auth off on 0\.0\.0\.0 .*--insecure/)]);
    }
  });

  test("non-loopback: required by default; --insecure allows off; loopback: off by default", async () => {
    const cases: [string[], number][] = [
      [["--host", "0.0.0.0"], 401],
      [["--host", "0.0.0.0", "--auth", "off", "--insecure"], 201],
      [["--host", "127.0.0.1"], 201],
    ];
    for (const [flags, expected] of cases) {
      const api = spawnFaas(copy.bin, ["api", ...flags, "-p", "0", "--redis", redis()], copy.dir);
      try {
        const port = new URL((await api.waitFor(/ready api (\S+)/))[1]!.replace("0.0.0.0", "127.0.0.1")).port;
        const res = await fetch(`http://127.0.0.1:${port}/register_function`, {
          method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "f", payload: "() => 1" }),
        });
        expect([flags.join(" "), res.status]).toEqual([flags.join(" "), expected]);
        expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      } finally {
        await api.stop();
      }
    }
  });
});

test("a data dir too long for a unix socket: faas keys finds the loopback port faas up chose", async () => {
  const longDir = join(copy.dir, "d".repeat(60), "e".repeat(60));
  const other = spawnFaas(copy.bin, ["up", "-p", "0", "-w", "1", "--auth", "required", "--data-dir", longDir, "--isolation", "thread"], copy.dir);
  try {
    const base = (await other.waitFor(/is up: (\S+)/, 30_000))[1]!;
    const r = faas(["keys", "create", "--name", "far", "--data-dir", longDir]);
    expect(r.code).toBe(0);
    const key = r.out.trim().split("\n").at(-1)!;
    const res = await fetch(`${base}/register_function`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ name: "f", payload: "() => 1" }),
    });
    expect(res.status).toBe(201);
  } finally {
    await other.stop();
  }
});
