/** Perf support: starts `dist/faas up` with a private managed Redis on free ports, and stops it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** A running all-in-one stack. */
export interface Stack {
  url: string;
  stop(): Promise<void>;
}

/** Start `faas up` (extra args appended) and resolve with its URL once it prints it. */
export async function startStack(extra: string[] = []): Promise<Stack> {
  const bin = resolve(import.meta.dir, "../dist/faas");
  if (!(await Bun.file(bin).exists())) throw new Error("dist/faas is missing: run `bun run build` first");
  const dir = mkdtempSync(join(tmpdir(), "faas-perf-"));
  const proc = Bun.spawn([bin, "up", "--port", "0", "--data-dir", join(dir, "data"), "--log-level", "warn", ...extra], {
    cwd: dir, stdout: "pipe", stderr: "inherit", env: { ...process.env, REDIS_URL: "" },
  });
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 20_000;
  while (!/is up: (\S+)/.test(text)) {
    if (Date.now() > deadline) throw new Error("faas up did not start in 20 s");
    const { value, done } = await reader.read();
    if (done) throw new Error(`faas up exited early: ${text}`);
    text += new TextDecoder().decode(value);
  }
  const url = /is up: (\S+)/.exec(text)![1]!;
  void (async () => { while (!(await reader.read()).done); })();
  return {
    url,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
