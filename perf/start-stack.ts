/** Perf support: starts a bunfaas stack from `dist/faas` on free ports (or workers against a given dispatcher), and stops it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Dispatch mode of a stack. */
export type StackMode = "local" | "pull" | "push";

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Dispatch mode. Default: "local". */
  mode?: StackMode;
  /** Executor threads per process (local: the dispatcher's threads; pull/push: each worker's). Default: 2. */
  threads?: number;
  /** Worker processes in pull/push mode (ignored for local). Default: 1. */
  processes?: number;
  /**
   * A running dispatcher (`tcp://host:port`, pull/push only): start only the worker processes against it and
   * use the API at `apiUrl`. Default: none (start everything with `faas up`).
   */
  dispatcherUrl?: string;
  /** The API of an external stack (with `dispatcherUrl`). Default: "http://127.0.0.1:8000". */
  apiUrl?: string;
  /** The `faas` executable. Default: `dist/faas` of this repository. */
  bin?: string;
  /**
   * Pull/push with `faas up`: CURVE on the worker link (`--curve on`) or NULL with a shared secret (`--curve off`).
   * Default: not passed (faas up's own default, on; builds from before CURVE know no `--curve`).
   */
  curve?: boolean;
  /** More arguments for `faas up` (or `faas worker`). Default: none. */
  extra?: string[];
  /** How long starting may take, in ms. Default: 30000. */
  startMs?: number;
}

/** A running stack. */
export interface Stack {
  /** The API root, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The dispatcher endpoint in pull/push mode, else null. */
  dispatcherUrl: string | null;
  /** The data dir of the stack's `faas up` (for `faas keys … --data-dir`), else null. */
  dataDir: string | null;
  /** The last 64 KiB its processes wrote on stderr (for error reports). */
  stderrTail(): string;
  /** Stop every process this stack started (SIGTERM, SIGKILL after 20 s) and remove its temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** A child process whose stdout is scanned for lines and whose stderr tail is kept. */
interface Child {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  waitFor(re: RegExp, ms: number, what: string): Promise<RegExpExecArray>;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

const TAIL = 64 * 1024;

/** The stop functions of every stack started and not yet stopped, for {@link stopAllStacks}. */
const live = new Set<() => Promise<void>>();

/** Stop every stack this module started, half-started ones included (for signal handlers). */
export async function stopAllStacks(): Promise<void> {
  await Promise.all([...live].map((stop) => stop()));
}

function spawnChild(cmd: string[], cwd: string, env: Record<string, string | undefined>): Child {
  const proc = Bun.spawn(cmd, { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let out = "";
  let err = "";
  let notify: (() => void) | null = null;
  const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      add(dec.decode(chunk, { stream: true }));
      notify?.();
    }
    notify?.();
  };
  void pump(proc.stdout, (s) => (out = (out + s).slice(-TAIL)));
  void pump(proc.stderr, (s) => (err = (err + s).slice(-TAIL)));
  const child: Child = {
    proc,
    stdout: () => out,
    stderr: () => err,
    async waitFor(re, ms, what) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited before it was ready:\n${err.slice(-2000)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${what} was not ready within ${ms} ms:\n${err.slice(-2000)}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(left, 250));
          notify = () => { clearTimeout(t); r(); };
        });
        notify = null;
      }
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await proc.exited;
      clearTimeout(t);
    },
  };
  return child;
}

/**
 * Start a stack and resolve once it serves. Without `dispatcherUrl`: `faas up --port 0` with a private managed
 * Redis in a temp dir (pull/push: `-m MODE --workers PROCESSES`), waiting for its `bunfaas is up:` line. With
 * `dispatcherUrl`: `faas worker MODE THREADS URL` × processes, each waited for until it prints `ready`.
 * An array argument is taken as extra `faas up` arguments (the older signature).
 */
export async function startStack(options: StackOptions | string[] = {}): Promise<Stack> {
  const opts: StackOptions = Array.isArray(options) ? { extra: options } : options;
  const mode = opts.mode ?? "local";
  const threads = opts.threads ?? 2;
  const processes = opts.processes ?? 1;
  const startMs = opts.startMs ?? 30_000;
  const bin = opts.bin ?? resolve(import.meta.dir, "../dist/faas");
  if (!(await Bun.file(bin).exists())) throw new Error(`${bin} is missing: run \`bun run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), "faas-perf-"));
  const env = { ...process.env, REDIS_URL: "" };
  const children: Child[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
    live.delete(stop);
  };
  live.add(stop);
  const stderrTail = () => children.map((c) => c.stderr()).join("").slice(-TAIL);
  try {
    if (opts.dispatcherUrl) {
      if (mode === "local") throw new Error("a dispatcher URL needs mode pull or push");
      for (let i = 0; i < processes; i++) {
        children.push(spawnChild([bin, "worker", mode, String(threads), opts.dispatcherUrl, "--log-level", "warn", ...(opts.extra ?? [])], dir, env));
      }
      await Promise.all(children.map((c, i) => c.waitFor(/^ready\b/m, startMs, `worker ${i + 1}`)));
      return { url: (opts.apiUrl ?? "http://127.0.0.1:8000").replace(/\/+$/, ""), dispatcherUrl: opts.dispatcherUrl, dataDir: null, stderrTail, stop };
    }
    const curveArgs = mode === "local" || opts.curve === undefined ? [] : ["--curve", opts.curve ? "on" : "off"];
    const modeArgs = mode === "local" ? [] : ["-m", mode, "--workers", String(processes), ...curveArgs];
    const up = spawnChild([bin, "up", "--port", "0", "-w", String(threads), ...modeArgs, "--data-dir", join(dir, "data"),
      "--log-level", "warn", ...(opts.extra ?? [])], dir, env);
    children.push(up);
    const url = (await up.waitFor(/is up: (\S+)/, startMs, "faas up"))[1]!;
    const dispatcherUrl = mode === "local" ? null : (/dispatcher: (tcp:\/\/\S+)/.exec(up.stdout()) ?? [])[1] ?? null;
    return { url, dispatcherUrl, dataDir: join(dir, "data"), stderrTail, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
