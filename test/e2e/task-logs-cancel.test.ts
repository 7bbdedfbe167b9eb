// Task logs and running-cancel through the compiled binary: `faas up` (local and push mode, process isolation, the
// default) — lines stored and printed with the task id at debug level, the lines of an executor that killed itself,
// and a cancel that kills the task's process with what it spawned within 1 s while the next tasks still complete.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { timedFetch } from "../support/timed-fetch.ts";

let copy: FaasCopy;
beforeAll(() => {
  copy = copyBinary();
});
afterAll(() => copy.remove());

/** Command lines of the live (not zombie) processes on this machine. */
function processes(): string[] {
  const out = Bun.spawnSync(["ps", "-eo", "stat=,args="]).stdout.toString();
  return out.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("Z")).map((l) => l.replace(/^\S+\s+/, ""));
}

for (const mode of ["local", "push"] as const) {
  describe(`faas up -m ${mode} (process isolation)`, () => {
    let up: FaasProcess;
    let url: string;
    beforeAll(async () => {
      const args = ["up", "-m", mode, "-w", "2", "-p", "0", "--data-dir", join(copy.dir, mode), "--log-level", "debug", "--task-timeout", "20"];
      up = spawnFaas(copy.bin, mode === "push" ? [...args, "--workers", "1"] : args, copy.dir);
      url = (await up.waitFor(/is up: (\S+)/, 30_000))[1]!;
    }, 40_000);
    afterAll(async () => {
      await up?.stop();
    });

    const post = (path: string, body?: unknown) => timedFetch(url, "POST", path, body);
    const get = (path: string) => timedFetch(url, "GET", path);
    const register = async (payload: string) => (await post("/register_function", { name: `f-${mode}`, payload })).body.function_id as string;
    const execute = async (fn: string, args: unknown[] = []) => (await post("/execute_function", { function_id: fn, payload: JSON.stringify(args) })).body.task_id as string;
    const result = async (task: string) => (await get(`/result/${task}?wait=20`)).body;

    test("what a task writes: GET /tasks/{id}/logs, and printed with the task id at debug level", async () => {
      const fn = await register("(x) => { console.log('hello from', x); process.stderr.write('warned\\n'); return x }");
      const task = await execute(fn, [mode]);
      expect(await result(task)).toMatchObject({ status: "COMPLETED" });
      const logs = (await get(`/tasks/${task}/logs`)).body;
      expect(logs.lines.map((l: { stream: string; text: string }) => [l.stream, l.text])).toEqual([["stdout", `hello from ${mode}`], ["stderr", "warned"]]);
      await eventually(async () => up.errors().includes(`[${task}] hello from ${mode}`), 5000, "the line printed with the task id");
      // An executor process that kills itself: the lines it wrote before are kept.
      const dies = await register("async () => { console.log('before the kill'); await new Promise((r) => setTimeout(r, 300)); process.kill(process.pid, 'SIGKILL') }");
      const dead = await execute(dies);
      expect((await result(dead)).status).toBe("FAILED");
      expect((await get(`/tasks/${dead}/logs`)).body.lines[0]).toMatchObject({ stream: "stdout", text: "before the kill" });
    }, 30_000);

    test("cancel of a running task kills its executor process with its children within 1 s; the next tasks complete", async () => {
      const seconds = mode === "local" ? "123.456" : "124.567";
      const fn = await register(`async () => {
        const { spawn } = await import("node:child_process");
        spawn("sleep", ["${seconds}"], { stdio: "ignore" });
        console.log("spawned");
        await new Promise(() => {});
      }`);
      const task = await execute(fn);
      await eventually(async () => processes().includes(`sleep ${seconds}`), 10_000, "the task's child running");
      await eventually(async () => (await get(`/status/${task}`)).body.status === "RUNNING", 10_000, "the task RUNNING");
      const t0 = performance.now();
      const cancelled = await post(`/tasks/${task}/cancel`);
      expect(cancelled.status).toBe(200);
      await eventually(async () => !processes().includes(`sleep ${seconds}`), 2000, "the child killed");
      expect(performance.now() - t0).toBeLessThan(1000);
      expect((await get(`/status/${task}`)).body.status).toBe("CANCELLED");
      const ok = await register("(x) => x * 2");
      const next = await Promise.all([1, 2, 3, 4].map((x) => execute(ok, [x])));
      expect((await Promise.all(next.map(result))).map((r) => r.result)).toEqual(["2", "4", "6", "8"]);
      expect((await get(`/status/${task}`)).body.status).toBe("CANCELLED");
      await eventually(async () => (await get(`/tasks/${task}/logs`)).body.lines[0]?.text === "spawned", 5000, "the lines up to the cancel");
    }, 40_000);
  });
}
