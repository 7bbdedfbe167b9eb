/** What confines an executor process: the command line that starts it (PID namespace, run-as user, cgroup) or its fallback. */
import { readFileSync } from "node:fs";
import type { Log } from "../log.ts";
import { MemoryCgroups, type MemoryCgroup } from "./memory-cgroup.ts";

/** The account executors run as. */
export interface RunAs {
  uid: number;
  gid: number;
}

/** The confinement an executor pool can have on this machine, decided once per pool. */
export interface ExecutorSandbox {
  /** True with the full sandbox (PID namespace, other user, memory cgroup). */
  readonly full: boolean;
  /** The cgroups, with the full sandbox. */
  readonly cgroups: MemoryCgroups | null;
  /** argv that starts `command` confined, charged to `cgroup` (full sandbox) or limited to `memoryMb` (fallback). */
  argv(command: string[], cgroup: MemoryCgroup | null, memoryMb: number): string[];
}

/**
 * The outer shell (root): joins the slot's cgroup (so every process after it is charged there), opens the
 * executable as fd 9 (the binary may live in a directory the run-as user cannot enter) and execs `unshare`.
 */
const OUTER = 'echo $$ > "$1" || exit 97; exec 9< "$2" || exit 98; shift 2; exec "$@"';
/**
 * PID 1 of the namespace (already the run-as user): runs the executor as PID 2, so the executor can be killed by a
 * signal (PID 1 ignores every signal it has no handler for) and `process.ppid` names this shell; when it ends, the
 * kernel kills whatever else is left in the namespace.
 */
const INIT = '"$@"; exit $?';

/**
 * Decide the sandbox: the full one when we are root and `unshare`, `setpriv`, `sh` and a writable cgroup v1
 * memory controller exist; otherwise a fallback (same user, scrubbed environment, own process group, `prlimit
 * --as` when present), with one warning saying what is not isolated.
 */
export function chooseSandbox(opts: { sandbox: boolean; runAs: string; name: string; log: Log }): ExecutorSandbox {
  const missing: string[] = [];
  const root = process.getuid?.() === 0;
  if (!opts.sandbox) missing.push("sandbox disabled");
  else if (!root) missing.push("not running as root");
  const tools = { unshare: Bun.which("unshare"), setpriv: Bun.which("setpriv"), sh: Bun.which("sh") };
  for (const [tool, path] of Object.entries(tools)) if (opts.sandbox && root && path === null) missing.push(`no ${tool} on PATH`);
  let runAs: RunAs | string = "";
  let cgroups: MemoryCgroups | string = "";
  if (missing.length === 0) {
    runAs = resolveUser(opts.runAs);
    if (typeof runAs === "string") missing.push(runAs);
  }
  if (missing.length === 0) {
    cgroups = MemoryCgroups.create(opts.name);
    if (typeof cgroups === "string") missing.push(cgroups);
  }
  if (missing.length === 0 && typeof runAs !== "string" && typeof cgroups !== "string") {
    const user = runAs;
    const cg = cgroups;
    return {
      full: true,
      cgroups: cg,
      argv: (command, cgroup) => [
        tools.sh!, "-c", OUTER, "sh", cgroup?.procsFile ?? "/dev/null", command[0]!,
        tools.unshare!, "--pid", "--fork", "--kill-child", "--mount-proc",
        tools.setpriv!, `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--inh-caps=-all", "--no-new-privs",
        tools.sh!, "-c", INIT, "sh", "/proc/self/fd/9", ...command.slice(1), "--reap",
      ],
    };
  }
  const prlimit = Bun.which("prlimit");
  opts.log.warn("executor processes are not fully isolated: they run as this user, see this machine's processes, and can reach what this user can", {
    why: missing.join("; "),
    memory: prlimit === null ? "not limited (no prlimit)" : "address space limited with prlimit --as (no MemoryLimitError)",
  });
  return {
    full: false,
    cgroups: null,
    argv: (command, _cgroup, memoryMb) =>
      prlimit === null ? command : [prlimit, `--as=${Math.round(memoryMb * 1024 * 1024)}`, "--", ...command],
  };
}

/** `name`, `uid` or `uid:gid` → ids, from /etc/passwd for a name; a string says why not. */
export function resolveUser(spec: string): RunAs | string {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2] ?? numeric[1]) };
  let passwd = "";
  try {
    passwd = readFileSync("/etc/passwd", "utf8");
  } catch {
    return `cannot read /etc/passwd to find user ${spec}`;
  }
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === spec && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return `no user ${spec} in /etc/passwd`;
}
