// Python functions through the compiled binary: the users' Python client (dill, base64, requests) against `faas up`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { copyBinary, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { PYTHON } from "../support/python-client.ts";

const CLIENT = resolve(import.meta.dir, "../support/python-rest-client.py");

function client(url: string, ...args: string[]): Record<string, any> {
  const run = Bun.spawnSync([PYTHON, CLIENT, url, ...args], { stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" } });
  if (run.exitCode !== 0) throw new Error(`python client failed: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString());
}

let copy: FaasCopy;
let up: FaasProcess;
let url: string;
const markers = mkdtempSync(join(tmpdir(), "faas-marker-"));
chmodSync(markers, 0o777); // the sandboxed runner (nobody) writes the marker here

beforeAll(async () => {
  copy = copyBinary();
  up = spawnFaas(copy.bin, ["up", "-w", "2", "--port", "0", "--data-dir", join(copy.dir, "data")], copy.dir);
  url = (await up.waitFor(/is up: (http:\/\/\S+)/, 30_000))[1]!;
});
afterAll(async () => {
  await up?.stop("SIGTERM");
  copy?.remove();
  rmSync(markers, { recursive: true, force: true });
});

describe("faas up (local mode) with the users' Python client", () => {
  test("values, kwargs, exceptions that load as their class, print as logs, a timeout as TimeoutError", async () => {
    const out = client(url, "basics");
    expect(out.add).toEqual([{ value: 3 }, { value: 6 }, { value: "ab" }]);
    expect(out.fail).toEqual(["FAILED", { exception: "ValueError", message: "bad input", isinstance_ValueError: true }]);
    expect(out.shout).toEqual({ value: "shouted" });
    expect(out.js_and_python).toBe(201);
    expect(out.timeout[0]).toBe("FAILED");
    expect(out.timeout[1]).toEqual({ exception: "TimeoutError", message: "task exceeded its 500 ms timeout" });
    expect(out.timeout[2]).toBe(true);
    expect(out.after_timeout).toEqual({ value: 5 });
    const record = await (await fetch(`${url}/tasks/${out.shout_task}`)).json() as { executor?: string };
    expect(record.executor).toMatch(/python-\d\/python-3\.\d+\.\d+\/dill-[\d.]+$/);
    const logs = await (await fetch(`${url}/tasks/${out.shout_task}/logs`)).text();
    expect(logs).toContain("printed by python");
  }, 60_000);

  test("the API and the dispatcher never unpickle: the marker appears only when an executor runs the task", async () => {
    const marker = join(markers, "unpickled");
    const { function_id } = client(url, "register-marker", marker);
    expect(existsSync(marker)).toBe(false); // registered: walked, not loaded
    const done = client(url, "execute", function_id);
    expect(done).toEqual({ status: "COMPLETED", result: { value: "ran" } });
    const lines = readFileSync(marker, "utf8").trim().split("\n");
    expect(lines.length).toBe(1);
    const [pid, uid] = lines[0]!.split(" ").map(Number);
    // Written inside the sandbox: by the run-as user (not the root that runs the API and dispatcher), in a PID namespace.
    expect(uid).not.toBe(0);
    expect(pid).toBeLessThan(10);
  }, 60_000);
});

for (const mode of ["pull", "push"] as const) {
  test(`faas up -m ${mode}: the worker processes find python3 with dill and run Python functions, unpickled only in the sandbox`, async () => {
    const remote = spawnFaas(copy.bin, ["up", "-m", mode, "--workers", "1", "-w", "1", "--port", "0", "--data-dir", join(copy.dir, mode)], copy.dir);
    try {
      const remoteUrl = (await remote.waitFor(/is up: (http:\/\/\S+)/, 30_000))[1]!;
      expect(client(remoteUrl, "noop")).toEqual({ status: "COMPLETED" });
      // Here too only the sandboxed runner under the worker unpickles: not the API, the dispatcher or the worker.
      const marker = join(markers, `unpickled-${mode}`);
      const { function_id } = client(remoteUrl, "register-marker", marker);
      expect(client(remoteUrl, "execute", function_id)).toEqual({ status: "COMPLETED", result: { value: "ran" } });
      const [pid, uid] = readFileSync(marker, "utf8").trim().split(" ").map(Number);
      expect(uid).not.toBe(0);
      expect(pid).toBeLessThan(10);
    } finally {
      await remote.stop("SIGTERM");
    }
  }, 60_000);
}
