import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "../support/faas-binary.ts";
import { pythonCode } from "../../src/codec/python-payload.ts";
import type { PoolJob } from "../../src/workers/outcome.ts";
import { probePython } from "../../src/workers/python-executors.ts";
import type { LogLine } from "../../src/workers/task-log.ts";
import { ThreadPool } from "../../src/workers/thread-pool.ts";
import { dillLoads, dillPayloads } from "../support/python-client.ts";

const runtime = await probePython();
if (typeof runtime === "string") throw new Error(`these tests need python3 with dill (./scripts/setup.sh): ${runtime}`);

// Functions defined in the client's __main__ are pickled by value; their globals are not (dill's default), so
// what they use they import themselves, as the users' functions do.
const PRELUDE = `
def add(x, y=10):
    return x + y
def fail():
    raise ValueError("bad value")
def shout(n):
    import sys
    print("hello from python", n)
    print("to stderr", file=sys.stderr)
    return n
def sleepy():
    import time
    time.sleep(30)
def hog():
    blocks = []
    while True:
        blocks.append(bytearray(16 * 1024 * 1024))
def die():
    import os
    os._exit(7)
def leave():
    import sys
    sys.exit(3)
def gen():
    return (i for i in range(3))
def poke():
    import builtins
    builtins.len = lambda x: 42
    return len([])
def probe_len():
    return len([1, 2])
def reads():
    import os
    os.write(1, b"\\x00\\x00\\x00\\x05{bad}")
    os.write(2, b"raw stderr\\n")
    return input()
def spawn():
    import os, subprocess
    child = subprocess.Popen(["sleep", "61.37"])
    return os.path.exists("/proc/%d" % child.pid)
def audit():
    import sys
    seen = []
    sys.addaudithook(lambda event, args: seen.append(event))
    open("/dev/null").close()
    return len(seen)
def count():
    import string
    string.bunfaas_count = getattr(string, "bunfaas_count", 0) + 1
    return string.bunfaas_count
def main_is_fresh():
    import __main__
    before = sorted(k for k in vars(__main__) if not k.startswith("__"))
    __main__.leftover = 1
    return before
`;

const fns = ["add", "fail", "shout", "sleepy", "hog", "die", "leave", "gen", "main_is_fresh", "poke", "probe_len", "reads", "spawn", "count", "audit"] as const;
const payloads = dillPayloads(PRELUDE, [...fns, "((1,), {'y': 2})", "((), {})", "((5,), {})", "(('a',), {'y': 'b'})"]);
const code = Object.fromEntries(fns.map((name, i) => [name, pythonCode(payloads[i]!)])) as Record<(typeof fns)[number], string>;
const [argsKw, noArgs, five, strings] = payloads.slice(fns.length) as [string, string, string, string];

// JavaScript runs in `faas executor` processes here, never started: this pool only gets Python jobs, whose
// runners take the sandbox settings (here a 96 MB memory limit) from `processes`.
const pool = new ThreadPool({ threads: 1, taskTimeoutMs: 5000, python: { ...runtime, processes: 2 }, processes: { command: ["false"], memoryMb: 96 } });
afterAll(() => pool.close());

/** Whether a `sleep SECONDS` process is alive on this machine (root sees into the runners' PID namespaces). */
function sleeping(seconds: string): boolean {
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1") === `sleep\0${seconds}\0`) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

let n = 0;
function job(fn: keyof typeof code, args: string, extra: Partial<PoolJob> = {}): PoolJob {
  return { taskId: `t-${++n}`, functionId: `fn-${fn}`, code: code[fn], args, ...extra };
}

describe("Python functions on a ThreadPool's Python runners", () => {
  test("values and kwargs round trip; the executor names Python's and dill's versions", async () => {
    const [a, b] = await Promise.all([pool.run(job("add", argsKw)), pool.run(job("add", strings))]);
    expect(a.status).toBe("COMPLETED");
    expect(a.executor).toMatch(/^local\/python-\d\/python-3\.\d+\.\d+\/dill-[\d.]+$/);
    expect(dillLoads([a.result, b.result]).map((l) => l.value)).toEqual([3, "ab"]);
  });

  test("a raised exception loads as its class", async () => {
    const out = await pool.run(job("fail", noArgs));
    expect(out.status).toBe("FAILED");
    const [e] = dillLoads([out.result]);
    expect(e).toMatchObject({ type: "ValueError", exception: true, repr: "ValueError('bad value')" });
    expect(e!.isinstance!.ValueError).toBe(true);
  });

  test("print() becomes the task's log lines", async () => {
    const lines: LogLine[] = [];
    const out = await pool.run(job("shout", five), { logs: (batch) => lines.push(...batch.lines) });
    expect(dillLoads([out.result])[0]!.value).toBe(5);
    expect(lines.map((l) => [l.stream, l.text])).toEqual([["stdout", "hello from python 5"], ["stderr", "to stderr"]]);
  });

  test("a plain job leaves its runner warm: the next job runs on the same process", async () => {
    const values: unknown[] = [];
    for (let i = 0; i < 3; i++) values.push(dillLoads([(await pool.run(job("count", noArgs))).result])[0]!.value);
    expect(values).toEqual([1, 2, 3]);
  });

  test("every job gets a fresh, empty __main__", async () => {
    const first = await pool.run(job("main_is_fresh", noArgs));
    const second = await pool.run(job("main_is_fresh", noArgs));
    expect(dillLoads([first.result, second.result]).map((l) => l.value)).toEqual([[], []]);
  });

  const failures: Array<[string, keyof typeof code, Partial<PoolJob>, string, RegExp]> = [
    ["a timeout", "sleepy", { timeoutMs: 500 }, "TimeoutError", /500 ms timeout/],
    ["the memory limit", "hog", {}, "MemoryError", /memory/i],
    ["os._exit", "die", {}, "RuntimeError", /WorkerExitError: .*exited with code 7/],
    ["SystemExit", "leave", {}, "SystemExit", /SystemExit\(3\)/],
    ["an unpicklable result", "gen", {}, "PicklingError", /could not be pickled/],
  ];
  for (const [what, fn, extra, type, repr] of failures) {
    test(`${what}: FAILED with a loadable ${type}, and the pool still serves`, async () => {
      const out = await pool.run(job(fn, noArgs, extra));
      expect(out.status).toBe("FAILED");
      const [e] = dillLoads([out.result]);
      expect(e!.exception).toBe(true);
      expect(e!.type).toBe(type);
      expect(e!.repr).toMatch(repr);
      const after = await pool.run(job("add", argsKw));
      expect(dillLoads([after.result])[0]!.value).toBe(3);
    }, 30_000);
  }

  test("cancelling a running job kills its runner (and what it spawned): FAILED, loadable, and the pool still serves", async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const out = pool.run(job("sleepy", noArgs, { taskId: "to-cancel" }), { started });
    await running;
    expect(pool.cancel("to-cancel")).toBe(true);
    const done = await out;
    expect(done.status).toBe("FAILED");
    const [e] = dillLoads([done.result]);
    expect(e).toMatchObject({ type: "RuntimeError", exception: true });
    expect(e!.repr).toContain("CancelledError");
    const after = await pool.run(job("add", argsKw));
    expect(dillLoads([after.result])[0]!.value).toBe(3);
  }, 30_000);

  test("a job that changes the built-ins is answered, then its runner is replaced: the next job sees pristine built-ins", async () => {
    const poked = await pool.run(job("poke", noArgs));
    expect(dillLoads([poked.result])[0]!.value).toBe(42);
    const probes = await Promise.all([pool.run(job("probe_len", noArgs)), pool.run(job("probe_len", noArgs))]);
    expect(dillLoads(probes.map((p) => p.result)).map((l) => l.value)).toEqual([2, 2]);
  });

  test("processes a job spawned are killed when it ends (they could read the next job), and its runner is replaced", async () => {
    const out = await pool.run(job("spawn", noArgs));
    expect(dillLoads([out.result])[0]!.value).toBe(true); // running when the job ended
    await eventually(async () => !sleeping("61.37"), 10_000, "the spawned sleep to be gone");
    expect(dillLoads([(await pool.run(job("add", argsKw))).result])[0]!.value).toBe(3);
  }, 30_000);

  test("a job cannot add an audit hook (one would see every later job)", async () => {
    expect(dillLoads([(await pool.run(job("audit", noArgs))).result])[0]!.value).toBe(0);
  });

  test("input() gets end of file and raw writes to fds 1 and 2 cannot reach the channel", async () => {
    const out = await pool.run(job("reads", noArgs));
    expect(out.status).toBe("FAILED");
    expect(dillLoads([out.result])[0]!.type).toBe("EOFError");
    expect(dillLoads([(await pool.run(job("add", argsKw))).result])[0]!.value).toBe(3);
  });

  test("a payload this dill cannot load: FAILED, naming Python's and dill's versions", async () => {
    // A well-formed pickle of a global that does not exist.
    const bogus = pythonCode(Buffer.from("\x80\x02cno_such_module\nthing\n.", "latin1").toString("base64") + "\n");
    const out = await pool.run({ taskId: "bogus", functionId: "fn-bogus", code: bogus, args: noArgs });
    const [e] = dillLoads([out.result]);
    expect(e!.type).toBe("RuntimeError");
    expect(e!.repr).toContain(runtime.versions);
  });

  test("JavaScript jobs still run on the threads beside them", async () => {
    const mixed = new ThreadPool({ threads: 1, python: { ...runtime, processes: 1 } });
    const [py, out] = await Promise.all([mixed.run(job("add", argsKw)), mixed.run({ taskId: "js", functionId: "js-1", code: "(x) => x * 2", args: "[21]" })]);
    await mixed.close();
    expect(out).toMatchObject({ status: "COMPLETED", result: "42", executor: "local/thread-1" });
    expect(py.executor).toStartWith("local/python-1/python-3.");
  });
});

describe("functions pickled by reference", () => {
  test("their module is imported from the runtime's path (--python-path), first on sys.path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "faas-pypath-"));
    try {
      writeFileSync(join(dir, "bunfaas_refmod.py"), "def double(x):\n    return 2 * x\n");
      chmodSync(dir, 0o755); // the sandboxed runner (nobody) reads it
      chmodSync(join(dir, "bunfaas_refmod.py"), 0o644);
      // The client has the module too: dill pickles its function by reference (module and name only).
      const run = Bun.spawnSync(["/usr/bin/python3", "-c", "import codecs, dill, sys; sys.path.insert(0, sys.argv[1]); import bunfaas_refmod; " +
        "p = dill.dumps(bunfaas_refmod.double); assert b'bunfaas_refmod' in p and b'return' not in p; print(codecs.encode(p, 'base64').decode(), end='')", dir]);
      expect(run.stderr.toString()).toBe("");
      const byRef = pythonCode(run.stdout.toString());
      const [five] = dillPayloads("", ["((21,), {})"]);
      const withPath = new ThreadPool({ threads: 1, python: { ...runtime, processes: 1, path: [dir] } });
      const without = new ThreadPool({ threads: 1, python: { ...runtime, processes: 1 } });
      try {
        const ok = await withPath.run({ taskId: "r1", functionId: "ref", code: byRef, args: five! });
        expect(dillLoads([ok.result])[0]!.value).toBe(42);
        const missing = await without.run({ taskId: "r2", functionId: "ref", code: byRef, args: five! });
        expect(missing.status).toBe("FAILED");
        expect(dillLoads([missing.result])[0]!.repr).toContain("No module named 'bunfaas_refmod'");
      } finally {
        await Promise.all([withPath.close(), without.close()]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("a pool without Python", () => {
  test("Python jobs wait (not failed) until the pool closes; then they are handed back", async () => {
    const plain = new ThreadPool({ threads: 1 });
    let settled = "";
    const running = plain.run(job("add", argsKw)).then(() => (settled = "resolved"), () => (settled = "rejected"));
    const js = await plain.run({ taskId: "js", functionId: "js-1", code: "() => 1", args: "[]" });
    expect(js.status).toBe("COMPLETED");
    expect(settled).toBe("");
    expect(plain.pythonWaiting).toBe(1);
    expect(plain.runtimes).toEqual(["js"]);
    expect(pool.runtimes).toEqual(["js", "python"]);
    await plain.close();
    await running;
    expect(settled).toBe("rejected");
  });
});
