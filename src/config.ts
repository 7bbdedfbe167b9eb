/** Command-line and environment configuration: the only module that reads process.env. */
import { parseArgs } from "node:util";
import { FaasError } from "./faas-error.ts";
import type { LogLevel } from "./log.ts";

/** Settings every role shares. */
export interface CommonConfig {
  /** Redis URL: `--redis`, else REDIS_URL, else redis://127.0.0.1:6379. */
  redisUrl: string;
  /** Whether the URL came from a flag or the environment (`up` starts its own Redis otherwise). */
  redisGiven: boolean;
  /** `--log-level`, else FAAS_LOG_LEVEL, else info. */
  logLevel: LogLevel;
  /** Seconds a finished task's record is kept (`--result-ttl`). Default: 86400. */
  resultTtlSeconds: number;
}

/** `faas api`. */
export interface ApiConfig extends CommonConfig {
  role: "api";
  /** Default: 127.0.0.1. */
  host: string;
  /** Default: 8000. */
  port: number;
  /** Largest request body in bytes (`--max-body`). Default: 1048576. */
  maxBodyBytes: number;
}

/** `faas dispatcher`. */
export interface DispatcherConfig extends CommonConfig {
  role: "dispatcher";
  /** `-m`. Default: local. */
  mode: "local" | "pull" | "push";
  /** Worker threads for local mode (`-w`). Default: number of CPUs. */
  workers: number;
  /** Default per-task timeout in ms (`--task-timeout` seconds). Default: 300 s. */
  taskTimeoutMs: number;
  /** Starts per task before it fails as lost (`--max-attempts`). Default: 3. */
  maxAttempts: number;
}

/** `faas up`. */
export interface UpConfig extends Omit<ApiConfig, "role">, Omit<DispatcherConfig, "role" | "mode"> {
  role: "up";
  /** Where the managed Redis keeps its append-only file (`--data-dir`). Default: ./.faas */
  dataDir: string;
}

/** What the command line asked for. */
export type Command =
  | { role: "help"; topic?: Role }
  | { role: "version" }
  | ApiConfig
  | DispatcherConfig
  | UpConfig;

/** The roles `faas` can play. */
export const ROLES = ["api", "dispatcher", "up"] as const;
export type Role = (typeof ROLES)[number];

const COMMON = {
  redis: { type: "string" },
  "log-level": { type: "string" },
  "result-ttl": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
const SERVE = { host: { type: "string" }, port: { type: "string", short: "p" }, "max-body": { type: "string" } } as const;
const RUN = {
  workers: { type: "string", short: "w" },
  "task-timeout": { type: "string" },
  "max-attempts": { type: "string" },
} as const;

/** Parse `argv` (without the executable) into a command. Throws FaasError("USAGE") on bad input. */
export function parseCommand(argv: string[], env: Record<string, string | undefined> = process.env): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined && !isRole(topic)) throw usage(`unknown role "${topic}"`);
    return { role: "help", topic };
  }
  if (first === "--version" || first === "-v" || first === "version") return { role: "version" };
  if (!isRole(first)) throw usage(first.startsWith("-") ? `unknown option "${first}"` : `unknown role "${first}"`);
  const role = first;
  const options = role === "api" ? { ...COMMON, ...SERVE }
    : role === "dispatcher" ? { ...COMMON, ...RUN, mode: { type: "string", short: "m" } }
    : { ...COMMON, ...SERVE, ...RUN, "data-dir": { type: "string" } };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options: options as never, strict: true, allowPositionals: false }) as never);
  } catch (err) {
    throw usage((err as Error).message.split("\n")[0] ?? "bad arguments", role);
  }
  if (values.help) return { role: "help", topic: role };
  const str = (k: string) => values[k] as string | undefined;
  const flagRedis = str("redis");
  const common: CommonConfig = {
    redisUrl: flagRedis ?? env.REDIS_URL ?? "redis://127.0.0.1:6379",
    redisGiven: flagRedis !== undefined || (env.REDIS_URL ?? "") !== "",
    logLevel: logLevel(str("log-level") ?? env.FAAS_LOG_LEVEL ?? "info", role),
    resultTtlSeconds: int(str("result-ttl"), 86_400, "--result-ttl", role, 1),
  };
  const serve = () => ({
    host: str("host") ?? "127.0.0.1",
    port: int(str("port"), 8000, "--port", role, 0, 65_535),
    maxBodyBytes: int(str("max-body"), 1 << 20, "--max-body", role, 1),
  });
  const run = () => ({
    workers: int(str("workers"), navigator.hardwareConcurrency, "--workers", role, 1, 1024),
    taskTimeoutMs: seconds(str("task-timeout"), 300, "--task-timeout", role),
    maxAttempts: int(str("max-attempts"), 3, "--max-attempts", role, 1, 100),
  });
  if (role === "api") return { role, ...common, ...serve() };
  if (role === "dispatcher") {
    const mode = str("mode") ?? "local";
    if (mode !== "local" && mode !== "pull" && mode !== "push") throw usage(`-m must be local, pull or push (got "${mode}")`, role);
    if (mode !== "local") throw usage(`mode "${mode}" is not available in this version; use -m local`, role);
    return { role, mode, ...common, ...run() };
  }
  return { role, ...common, ...serve(), ...run(), dataDir: str("data-dir") ?? ".faas" };
}

function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

function usage(message: string, role?: Role): FaasError {
  const e = new FaasError("USAGE", message);
  (e as FaasError & { role?: Role }).role = role;
  return e;
}

function int(v: string | undefined, dflt: number, flag: string, role: Role, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(`${flag} must be an integer from ${min} to ${max} (got "${v}")`, role);
  }
  return n;
}

function seconds(v: string | undefined, dflt: number, flag: string, role: Role): number {
  if (v === undefined) return dflt * 1000;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 86_400) throw usage(`${flag} must be a number of seconds above 0 and at most 86400 (got "${v}")`, role);
  return Math.round(n * 1000);
}

function logLevel(v: string, role: Role): LogLevel {
  if (v === "debug" || v === "info" || v === "warn" || v === "error" || v === "silent") return v;
  throw usage(`--log-level must be debug, info, warn, error or silent (got "${v}")`, role);
}
