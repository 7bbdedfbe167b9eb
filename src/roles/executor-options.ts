/** The executor processes a role's thread pool gets from its isolation settings: none (threads) or `faas executor` children. */
import type { IsolationConfig } from "../config.ts";
import type { Log } from "../log.ts";
import type { ProcessExecutorOptions } from "../workers/process-executor-options.ts";
import { probePython, type PythonRuntime } from "../workers/python-executors.ts";
import { selfCommand } from "./spawn-role.ts";

/** Process-isolation options for a pool (this same program's hidden `executor` subcommand), or undefined for threads. */
export function executorOptions(cfg: IsolationConfig, log: Log): ProcessExecutorOptions | undefined {
  if (cfg.isolation === "thread") return undefined;
  return { command: [...selfCommand(), "executor"], env: cfg.executorEnv, runAs: cfg.runAs, memoryMb: cfg.taskMemoryMb, log: log.child("executor") };
}

/**
 * The Python runtime a role's pool gets: `python3` with dill found on the executors' PATH (logged once), or
 * undefined when there is none — Python stays optional; this role then runs no Python task (they wait).
 */
export async function pythonRuntime(cfg: IsolationConfig, log: Log): Promise<PythonRuntime | undefined> {
  const found = await probePython(cfg.executorEnv);
  if (typeof found === "string") {
    log.info("no Python runtime: Python functions will not run here", { why: found });
    return undefined;
  }
  log.info("Python runtime", { executable: found.executable, versions: found.versions });
  return cfg.pythonPath.length > 0 ? { ...found, path: cfg.pythonPath } : found;
}
