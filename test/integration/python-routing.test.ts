// Python tasks in the remote modes: workers advertise their runtimes in the handshake; a Python task only goes to a
// worker with Python, and waits (not failed) while there is none.
import { afterEach, describe, expect, test } from "bun:test";
import { pythonCode } from "../../src/codec/python-payload.ts";
import type { RedisStore } from "../../src/store/redis-store.ts";
import { silentLog } from "../../src/log.ts";
import { startPullWorker } from "../../src/workers/pull-worker.ts";
import { startPushWorker } from "../../src/workers/push-worker.ts";
import { probePython } from "../../src/workers/python-executors.ts";
import type { RemoteWorker } from "../../src/workers/remote-worker.ts";
import { dillLoads, dillPayloads } from "../support/python-client.ts";
import { finalTask, register, startRemoteStack, until, type RemoteStack } from "../support/remote-stack.ts";
import { notReadyReason } from "../../src/api/routes/metrics-routes.ts";

const runtime = await probePython();
if (typeof runtime === "string") throw new Error(`these tests need python3 with dill (./scripts/setup.sh): ${runtime}`);
const [fnPayload, argsPayload] = dillPayloads("def triple(x):\n    return 3 * x\n", ["triple", "((14,), {})"]) as [string, string];

let stack: RemoteStack | null = null;
const workers: RemoteWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await stack?.stop();
  stack = null;
});

async function registerPython(store: RedisStore): Promise<string> {
  return store.registerFunction({ name: "triple", source: fnPayload, code: pythonCode(fnPayload), runtime: "python" });
}

for (const kind of ["push", "pull"] as const) {
  describe(`${kind} mode`, () => {
    const start = kind === "push" ? startPushWorker : startPullWorker;
    test("Python tasks go only to the worker with Python; they wait while only a JavaScript-only worker is there", async () => {
      stack = await startRemoteStack(kind);
      const { store, endpoint } = stack;
      const jsOnly = await start({ endpoint, threads: 1, log: silentLog, id: "js-only" });
      workers.push(jsOnly);
      const py = await registerPython(store);
      const js = await register(store, "(x) => x + 1");
      const waiting = await Promise.all(Array.from({ length: 3 }, () => store.createTask({ functionId: py, args: argsPayload })));
      // JavaScript tasks pass the waiting Python ones, on the JavaScript-only worker.
      const jsDone = await finalTask(store, await store.createTask({ functionId: js, args: "[1]" }));
      expect(jsDone).toMatchObject({ status: "COMPLETED", result: "2" });
      expect(jsDone.executor).toStartWith("js-only/");
      for (const id of waiting) expect((await store.getTask(id))?.status).toBe("QUEUED");
      // /ready says why: the dispatcher's figures count them, and no worker advertises Python.
      await until(async () => (await store.clusterStats()).dispatchers[0]?.pythonWaiting === 3, 10_000, "pythonWaiting in the figures");
      expect(notReadyReason(await store.clusterStats())).toBe("3 task(s) of Python functions wait: no worker has Python (python3 with dill on its executors' PATH)");

      const withPython = await start({ endpoint, threads: 1, log: silentLog, id: "with-python", python: runtime });
      workers.push(withPython);
      for (const id of waiting) {
        const done = await finalTask(store, id, 30_000);
        expect(done.status).toBe("COMPLETED");
        expect(done.executor).toMatch(/^with-python\/python-1\/python-3\.\d+\.\d+\/dill-[\d.]+$/);
        expect(dillLoads([done.result!])[0]!.value).toBe(42);
      }
      await until(async () => notReadyReason(await store.clusterStats()) === null, 10_000, "ready again");
    }, 60_000);
  });
}
