/** Test support: a copy of the compiled `dist/faas` in a temp dir (no src/ or node_modules beside it), and its processes. */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The binary copied away from the source tree. */
export interface FaasCopy {
  dir: string;
  bin: string;
  remove(): void;
}

/** Copy dist/faas to a fresh temp dir. Throws with a clear message when it was not built. */
export function copyBinary(): FaasCopy {
  const src = resolve(import.meta.dir, "../../dist/faas");
  if (!Bun.file(src).size) throw new Error("dist/faas is missing: run `bun run build` (scripts/test.sh does)");
  const dir = mkdtempSync(join(tmpdir(), "faas-e2e-"));
  const bin = join(dir, "faas");
  copyFileSync(src, bin);
  Bun.spawnSync(["chmod", "+x", bin]);
  return { dir, bin, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A long-running `faas` process whose stdout is scanned for a line. */
export interface FaasProcess {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** All stdout so far. */
  output(): string;
  /** All stderr so far. */
  errors(): string;
  /** Resolve with the first match of `re` in stdout, or throw after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Spawn `bin args` in `cwd` with an environment free of REDIS_URL unless given. */
export function spawnFaas(bin: string, args: string[], cwd: string, env: Record<string, string> = {}): FaasProcess {
  const proc = Bun.spawn([bin, ...args], {
    cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  void (async () => {
    for await (const chunk of proc.stdout) {
      out += new TextDecoder().decode(chunk);
      for (const w of waiters) w();
    }
  })();
  void (async () => {
    for await (const chunk of proc.stderr) err += new TextDecoder().decode(chunk);
  })();
  return {
    proc,
    output: () => out,
    errors: () => err,
    waitFor(re, ms = 20_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) { cleanup(); resolvePromise(m); }
        };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`no ${re} in ${ms} ms; stdout: ${out}\nstderr: ${err}`)); }, ms);
        const onExit = proc.exited.then(() => { check(); cleanup(); reject(new Error(`exited (${proc.exitCode}) before ${re}; stdout: ${out}\nstderr: ${err}`)); });
        const cleanup = () => { clearTimeout(timer); waiters.delete(check); void onExit; };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return proc.exited;
    },
  };
}

/** Poll `fn` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, ms = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await Bun.sleep(20);
  }
}
