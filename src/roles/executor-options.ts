/** The executor processes a role's thread pool gets from its isolation settings: none (threads) or `faas executor` children. */
import type { IsolationConfig } from "../config.ts";
import type { Log } from "../log.ts";
import type { ProcessExecutorOptions } from "../workers/process-executor-options.ts";
import { selfCommand } from "./spawn-role.ts";

/** Process-isolation options for a pool (this same program's hidden `executor` subcommand), or undefined for threads. */
export function executorOptions(cfg: IsolationConfig, log: Log): ProcessExecutorOptions | undefined {
  if (cfg.isolation === "thread") return undefined;
  return { command: [...selfCommand(), "executor"], env: cfg.executorEnv, runAs: cfg.runAs, memoryMb: cfg.taskMemoryMb, log: log.child("executor") };
}
