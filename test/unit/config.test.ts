import { expect, test } from "bun:test";
import { allocatorReexecEnvironment, parseCommand } from "../../src/config.ts";

const env = {};

test("workers take tcp:// or ipc:// dispatcher endpoints", () => {
  expect(parseCommand(["worker", "push", "2", "tcp://10.0.0.5:5555"], env)).toMatchObject({ role: "worker", mode: "push", threads: 2, endpoint: "tcp://10.0.0.5:5555" });
  expect(parseCommand(["worker", "pull", "1", "ipc:///run/faas/d.sock"], env)).toMatchObject({ endpoint: "ipc:///run/faas/d.sock" });
  for (const bad of ["http://h:1", "tcp://h", "ipc://", `ipc:///${"x".repeat(120)}`, "h:5555"]) {
    expect(() => parseCommand(["worker", "pull", "1", bad], env)).toThrow(expect.objectContaining({ code: "USAGE" }));
  }
});

test("dispatcher --ipc adds a unix socket beside the TCP port; absent by default", () => {
  expect(parseCommand(["dispatcher", "-m", "push", "-p", "0", "--ipc", "/tmp/d.sock"], env)).toMatchObject({ mode: "push", port: 0, ipcPath: "/tmp/d.sock" });
  expect(parseCommand(["dispatcher", "-m", "pull"], env)).toMatchObject({ port: 5555, ipcPath: undefined });
  expect(() => parseCommand(["dispatcher", "--ipc", "y".repeat(200)], env)).toThrow(/1-103 bytes/);
});

test("the allocator setting: a role without it is re-executed with it (and the rest of its environment); one that has it, or the operator's own value, is not", () => {
  expect(allocatorReexecEnvironment({ PATH: "/bin", FAAS_SECRET: "s", UNSET: undefined })).toEqual({ PATH: "/bin", FAAS_SECRET: "s", MIMALLOC_PURGE_DELAY: "-1" });
  expect(allocatorReexecEnvironment({ MIMALLOC_PURGE_DELAY: "-1" })).toBeNull();
  expect(allocatorReexecEnvironment({ MIMALLOC_PURGE_DELAY: "250" })).toBeNull();
});

test("executors get the allocator setting (the operator's value when set)", () => {
  const local = (e: Record<string, string>) => parseCommand(["dispatcher", "-m", "local"], e) as { executorEnv?: Record<string, string> };
  expect(local({}).executorEnv?.MIMALLOC_PURGE_DELAY).toBe("-1");
  expect(local({ MIMALLOC_PURGE_DELAY: "100" }).executorEnv?.MIMALLOC_PURGE_DELAY).toBe("100");
});

test("--queue: push 0 to 32 (default 32), pull 0 to 7 (default 7); out of range is a usage error", () => {
  const w = (...a: string[]) => parseCommand(["worker", ...a], env);
  expect(w("push", "2", "tcp://127.0.0.1:1")).toMatchObject({ queuePerThread: 32 });
  expect(w("pull", "2", "tcp://127.0.0.1:1")).toMatchObject({ queuePerThread: 7 });
  expect(w("push", "2", "tcp://127.0.0.1:1", "--queue", "0")).toMatchObject({ queuePerThread: 0 });
  expect(() => w("push", "2", "tcp://127.0.0.1:1", "--queue", "33")).toThrow(expect.objectContaining({ code: "USAGE" }));
  expect(() => w("pull", "2", "tcp://127.0.0.1:1", "--queue", "8")).toThrow(expect.objectContaining({ code: "USAGE" }));
});
