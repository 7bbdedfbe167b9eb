// `faas up -m pull|push`: a one-machine cluster of dispatcher, worker processes and API from the compiled binary.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { FaasClient } from "../../src/client/index.ts";
import { copyBinary, spawnFaas, type FaasCopy } from "../support/faas-binary.ts";

let copy: FaasCopy;
beforeAll(() => {
  copy = copyBinary();
});
afterAll(() => copy.remove());

for (const mode of ["pull", "push"] as const) {
  test(`faas up -m ${mode} --workers 2 runs tasks on its worker processes`, async () => {
    const dataDir = join(copy.dir, mode);
    // Thread isolation: the test tells worker processes apart by process.pid (an executor process is always pid 2).
    const up = spawnFaas(copy.bin, ["up", "-m", mode, "--workers", "2", "-w", "1", "--port", "0", "--data-dir", dataDir, "--secret", "s3cret", "--isolation", "thread"], copy.dir);
    let extra: ReturnType<typeof spawnFaas> | null = null;
    try {
      const endpoint = (await up.waitFor(/dispatcher: (tcp:\/\/\S+)/))[1]!;
      expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      // Its own workers use the unix socket in the data dir; the TCP port still serves workers started by hand.
      const ipc = (await up.waitFor(/workers use (ipc:\/\/\S+)\)/))[1]!;
      expect(ipc).toBe(`ipc://${join(dataDir, "dispatcher.sock")}`);
      expect(statSync(join(dataDir, "dispatcher.sock")).isSocket()).toBe(true);
      const url = (await up.waitFor(/is up: (http:\/\/\S+)/))[1]!;
      const client = new FaasClient({ baseUrl: url });
      const fid = await client.register("(x) => x * 3");
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => client.execute(fid, [i])));
      for (const [i, id] of ids.entries()) expect(await client.result(id, { wait: 20 })).toMatchObject({ status: "COMPLETED", result: String(i * 3) });

      extra = spawnFaas(copy.bin, ["worker", mode, "1", endpoint, "--isolation", "thread"], copy.dir, { FAAS_SECRET: "s3cret" });
      await extra.waitFor(/ready worker/);
      const pid = await client.register("async () => { await Bun.sleep(20); return process.pid }");
      const seen = new Set<string>();
      const deadline = Date.now() + 20_000;
      while (!seen.has(String(extra.proc.pid)) && Date.now() < deadline) {
        const batch = await Promise.all(Array.from({ length: 6 }, () => client.execute(pid, [])));
        for (const id of batch) seen.add(String((await client.result(id, { wait: 20 })).result));
      }
      expect(seen.has(String(extra.proc.pid))).toBe(true); // the TCP worker took tasks too
      expect(seen.size).toBe(3);

      expect(await up.stop("SIGTERM")).toBe(0);
      expect(existsSync(join(dataDir, "dispatcher.sock"))).toBe(false);
    } finally {
      await extra?.stop("SIGKILL");
      await up.stop("SIGKILL");
    }
  });
}
