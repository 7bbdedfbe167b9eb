/** Starting `faas <role>` as a child process of `faas up`, and waiting for its ready line. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { FaasError } from "../faas-error.ts";

/** A child role process. */
export interface RoleProcess {
  readonly name: string;
  readonly pid: number;
  /** The first stdout line starting with `ready ` (without that word). */
  readonly ready: string;
  /** Resolves with the exit code (or signal name) when the child ends. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 15000). */
  stop(graceMs?: number): Promise<void>;
}

/** argv that runs this same program: the compiled binary itself, or bun with src/cli.ts. */
export function selfCommand(): string[] {
  if (Bun.main.startsWith("/$bunfs/")) return [process.execPath];
  return [process.execPath, fileURLToPath(new URL("../cli.ts", import.meta.url))];
}

/**
 * Spawn `faas ...args` in its own session (terminal signals do not reach it: the parent stops it), with
 * FAAS_PARENT_PID set so it stops by itself if the parent dies. Resolves once it prints its ready line.
 * `input` (e.g. a secret for `--secret-file /dev/stdin`) is written to its stdin, which is then closed; default:
 * none (stdin is /dev/null).
 */
export async function spawnRole(
  name: string, args: string[], env: Record<string, string | undefined>, readyMs = 30_000, input?: string,
): Promise<RoleProcess> {
  const [cmd, ...pre] = selfCommand();
  const child: ChildProcess = spawn(cmd!, [...pre, ...args], {
    detached: true,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "inherit"],
    env: { ...env, FAAS_PARENT_PID: String(process.pid) },
  });
  if (input !== undefined) {
    child.stdin!.on("error", () => {}); // a child that died at once: its exit says so
    child.stdin!.end(input + "\n");
  }
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, sig) => resolve(code ?? sig ?? -1)));
  const ready = await new Promise<string>((resolve, reject) => {
    let buf = "";
    let settled = false;
    const timer = setTimeout(() => fail(`${name} did not become ready in ${readyMs} ms`), readyMs);
    const fail = (msg: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new FaasError("INTERNAL", msg));
    };
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /^ready (.*)$/m.exec(buf);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => fail(`${name} exited (${code}) before it was ready`));
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout!.on("data", () => {});
  return {
    name,
    pid: child.pid!,
    ready,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}
