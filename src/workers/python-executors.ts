/** Python runner processes for a `ThreadPool`: `python3` with dill, confined like executor processes, one job at a time, length-prefixed JSON frames on a private socket (fd 3). */
import { silentLog, type Log } from "../log.ts";
import { pythonPayloadOf } from "../codec/python-payload.ts";
import type { ExecutorCallbacks, ExecutorFactory, ExecutorHandle } from "./executor-handle.ts";
import { limitJobMemory, logLines, processEnd, randomJobSeq } from "./executor-process.ts";
import { chooseSandbox, type ExecutorSandbox } from "./executor-sandbox.ts";
import type { PoolJob } from "./outcome.ts";
import { DEFAULT_EXECUTOR_ENV, type ProcessExecutorOptions } from "./process-executor-options.ts";
import RUNNER_SOURCE from "./python-runner.py" with { type: "text" };
import type { RunMessage } from "./thread-messages.ts";

/** What a pool needs to start Python runners: found by {@link probePython}. */
export interface PythonRuntime {
  /** Absolute path of the `python3` that has dill. */
  executable: string;
  /** Its versions, e.g. `Python 3.11.2, dill 0.3.6` (shown in each Python task's executor field). */
  versions: string;
  /** Directories put first on the runner's `sys.path` (`--python-path`), for functions pickled by reference. Default: none. */
  path?: string[];
  /** Runner processes per pool. Default: the pool's threads. */
  processes?: number;
}

/**
 * The versions as they end a Python task's executor label, e.g. `python-3.11.2/dill-0.3.6` for
 * `Python 3.11.2, dill 0.3.6` (executor labels travel as protocol ids: printable ASCII, no spaces).
 */
export function versionsLabel(versions: string): string {
  const m = /^Python (\S+), dill (\S+)$/.exec(versions);
  const label = m ? `python-${m[1]}/dill-${m[2]}` : versions;
  return label.replace(/[^\x21-\x7e]/g, "_").slice(0, 64);
}

/** Largest frame accepted from a runner (a result is at most `maxResultBytes`, 10 MiB by default, plus its log). */
const MAX_FRAME = 64 * 1024 * 1024;

/**
 * Find `python3` with dill where executors would run it: the first `python3` on the executor environment's PATH
 * that imports dill (a version manager's shim without it is passed over), with its versions; or a string saying
 * why there is none. Never rejects; costs a short `python3` run per candidate, all run at once.
 */
export async function probePython(env: Record<string, string> = DEFAULT_EXECUTOR_ENV, command = "python3"): Promise<PythonRuntime | string> {
  const candidates = command.includes("/") ? [command] : (env.PATH ?? DEFAULT_EXECUTOR_ENV.PATH!).split(":").filter((dir) => dir.startsWith("/"))
    .map((dir) => Bun.which(command, { PATH: dir })).filter((path): path is string => path !== null);
  const probes = [...new Set(candidates)].map(async (executable): Promise<PythonRuntime | string> => {
    try {
      const run = Bun.spawn([executable, "-I", "-c", "import platform, dill; print('Python %s, dill %s' % (platform.python_version(), dill.__version__))"], {
        env, stdin: "ignore", stdout: "pipe", stderr: "ignore", timeout: 10_000,
      });
      const [out, code] = await Promise.all([new Response(run.stdout).text(), run.exited]);
      return code === 0 ? { executable, versions: out.trim() } : `${executable} cannot import dill`;
    } catch (err) {
      return `${executable} could not run: ${(err as Error).message}`;
    }
  });
  const why: string[] = [];
  for (const probe of probes) { // the first on PATH that works, without waiting for the ones after it
    const found = await probe;
    if (typeof found !== "string") return found;
    why.push(found);
  }
  return why.length > 0 ? `${why.join("; ")} (install python3-dill)` : `no ${command} on PATH (${env.PATH ?? ""})`;
}

/**
 * Starts Python runners (the embedded `python-runner.py`, passed with `python3 -c`) in the executor sandbox
 * (see {@link ProcessExecutorOptions}; its `command` is ignored). The job channel is fd 3 of the runner, a socket of
 * its own: the function's `print` goes to `sys.stdout`, which the runner captures as the task's log.
 */
export class PythonExecutors implements ExecutorFactory {
  readonly kind = "process";
  readonly #argv: string[];
  readonly #env: Record<string, string>;
  readonly #memoryMb: number;
  readonly #log: Log;
  readonly #sandbox: ExecutorSandbox;

  constructor(runtime: PythonRuntime, opts: Omit<ProcessExecutorOptions, "command"> = {}) {
    this.#argv = [runtime.executable, "-I", "-B", "-c", RUNNER_SOURCE, ...(runtime.path ?? [])];
    this.#env = { ...(opts.env ?? DEFAULT_EXECUTOR_ENV) };
    this.#memoryMb = opts.memoryMb ?? 512;
    this.#log = opts.log ?? silentLog;
    this.#sandbox = chooseSandbox({ sandbox: opts.sandbox ?? true, runAs: opts.runAs ?? "nobody", name: opts.name ?? "python", log: this.#log });
  }

  nextSeq(previous: number): number {
    return randomJobSeq(previous);
  }

  start(index: number, label: string, callbacks: ExecutorCallbacks): ExecutorHandle {
    const cgroup = this.#sandbox.cgroups?.slot(index) ?? null;
    if (cgroup !== null && cgroup.limitMb !== this.#memoryMb) cgroup.setLimit(this.#memoryMb);
    const oomBefore = cgroup?.oomKills() ?? 0;
    let killed = false;
    const proc = Bun.spawn(this.#sandbox.argv(this.#argv, cgroup, this.#memoryMb), {
      env: this.#env,
      cwd: "/",
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      detached: true,
    });
    const fd = proc.stdio[3] as number;
    const writer = Bun.file(fd).writer();
    const log = this.#log.child(label);
    void logLines(proc.stdout as ReadableStream<Uint8Array>, (line) => log.debug("python runner stdout", { line }));
    void logLines(proc.stderr as ReadableStream<Uint8Array>, (line) => log.debug("python runner stderr", { line }));
    const kill = () => {
      killed = true;
      try {
        process.kill(-proc.pid, "SIGKILL"); // its process group: what it spawned, without a sandbox too
      } catch {
        // already gone
      }
      proc.kill("SIGKILL");
    };
    void readFrames(fd, (message) => {
      if (!killed) callbacks.message(message);
    }, kill);
    const gone = proc.exited.then(() => {});
    void proc.exited.then(() => {
      try {
        void writer.end();
      } catch {
        // closed already
      }
      callbacks.ended(processEnd(proc, cgroup, oomBefore));
    });
    return {
      post: (message: RunMessage, job: PoolJob) => {
        if (killed) return;
        limitJobMemory(cgroup, job, this.#memoryMb, this.#log, label, "python runner");
        const frame: RunMessage = { ...message };
        if (message.code !== undefined) frame.code = pythonPayloadOf(message.code);
        const body = Buffer.from(JSON.stringify(frame));
        const head = Buffer.alloc(4);
        head.writeUInt32BE(body.length);
        try {
          writer.write(head);
          writer.write(body);
          void Promise.resolve(writer.flush()).catch(kill);
        } catch {
          kill(); // the channel is broken: the runner is useless, and its end fails the job
        }
      },
      terminate: kill,
      gone,
    };
  }

  async close(): Promise<void> {
    await this.#sandbox.cgroups?.remove();
  }
}

/** Read length-prefixed JSON frames from `fd` until it ends; a malformed or oversized frame kills the runner. */
async function readFrames(fd: number, onMessage: (message: unknown) => void, kill: () => void): Promise<void> {
  let buf = Buffer.alloc(0);
  try {
    for await (const chunk of Bun.file(fd).stream()) {
      buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const length = buf.readUInt32BE(0);
        if (length > MAX_FRAME) return kill();
        if (buf.length < 4 + length) break;
        const body = buf.subarray(4, 4 + length).toString("utf8");
        buf = buf.subarray(4 + length);
        let message: unknown;
        try {
          message = JSON.parse(body);
        } catch {
          return kill();
        }
        onMessage(message);
      }
    }
  } catch {
    // the runner is gone
  }
}
