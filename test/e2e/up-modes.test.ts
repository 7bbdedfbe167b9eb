// `faas up -m pull|push`: a one-machine cluster of dispatcher, worker processes and API from the compiled binary.
import { afterAll, beforeAll, expect, test } from "bun:test";
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
    const up = spawnFaas(copy.bin, ["up", "-m", mode, "--workers", "2", "-w", "1", "--port", "0", "--data-dir", join(copy.dir, mode)], copy.dir);
    try {
      const endpoint = (await up.waitFor(/dispatcher: (tcp:\/\/\S+)/))[1]!;
      expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      const url = (await up.waitFor(/is up: (http:\/\/\S+)/))[1]!;
      const client = new FaasClient({ baseUrl: url });
      const fid = await client.register("(x) => x * 3");
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => client.execute(fid, [i])));
      for (const [i, id] of ids.entries()) expect(await client.result(id, { wait: 20 })).toMatchObject({ status: "COMPLETED", result: String(i * 3) });
      expect(await up.stop("SIGTERM")).toBe(0);
    } finally {
      await up.stop("SIGKILL");
    }
  });
}
