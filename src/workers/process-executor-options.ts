/** The options of process isolation (executor processes of a `ThreadPool`), each with its default. */
import type { Log } from "../log.ts";

/** How a `ThreadPool` starts its executor processes (one Bun Worker thread each, one job at a time). */
export interface ProcessExecutorOptions {
  /** argv that runs `faas executor` (the compiled binary, or bun with src/cli.ts, plus `executor`). Required. */
  command: string[];
  /** The executor's whole environment (nothing else is inherited). Default: PATH=/usr/local/bin:/usr/bin:/bin, HOME=/tmp, LANG=C.UTF-8. */
  env?: Record<string, string>;
  /** The account executors run as when this process is root: a user name, `uid` or `uid:gid`. Default: "nobody". */
  runAs?: string;
  /** Memory limit of each executor process in MB, runtime included; a job's `memoryMb` overrides it. Default: 512. */
  memoryMb?: number;
  /**
   * Use the sandbox when this process is root and the tools are there: a PID namespace per executor
   * (`unshare --pid --fork --kill-child --mount-proc`), `setpriv` to `runAs`, a memory cgroup per slot. False:
   * only what works without root (scrubbed environment, own process group, `prlimit --as`). Default: true.
   */
  sandbox?: boolean;
  /** Where executor output (the user's `console.log`, at debug level) and sandbox warnings go. Default: the pool's log. */
  log?: Log;
  /** Executor label prefix, for logs and the cgroup name. Default: the pool's `name`. */
  name?: string;
}

/** The environment executors get when none is given. */
export const DEFAULT_EXECUTOR_ENV: Readonly<Record<string, string>> = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: "C.UTF-8" };
