/** Command-line and environment configuration: the only module that reads process.env. */
import { resolve as resolvePath } from "node:path";
import { parseArgs } from "node:util";
import { FaasError } from "./faas-error.ts";
import type { LogLevel } from "./log.ts";
import { MAX_PULL_QUEUED_PER_THREAD, MAX_QUEUED_PER_THREAD } from "./protocol/messages.ts";
import { formatIpcEndpoint, MAX_IPC_PATH, parseEndpoint } from "./zmtp/endpoint.ts";

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
  /** Shared secret remote workers must present (`--secret`, else FAAS_SECRET). Default: none. */
  secret: string | undefined;
  /** Set by `faas up` on its children (FAAS_PARENT_PID): the child stops when that process is gone. */
  parentPid: number | undefined;
}

/** How the dispatcher runs tasks. */
export type DispatchModeName = "local" | "pull" | "push";

/** Where user code runs (see docs/deployment.md "Security model"). */
export type IsolationName = "process" | "thread";

/** Settings of the roles that run user code (`up`, `dispatcher -m local`, `worker`). */
export interface IsolationConfig {
  /** `--isolation`: `process` (an executor process per thread, sandboxed when root) or `thread` (trusted code). Default: process. */
  isolation: IsolationName;
  /** `--task-memory` MB: memory limit of each executor process, runtime included (process isolation). Default: 512. */
  taskMemoryMb: number;
  /** `--run-as USER`: the account executor processes run as when started by root. Default: nobody. */
  runAs: string;
  /** The executors' whole environment: PATH and LANG from ours, HOME=/tmp, nothing else. */
  executorEnv: Record<string, string>;
  /** `--task-log-lines N`: most log lines kept per task (64 KiB at most too). Default: 1000. */
  taskLogLines: number;
  /** `--max-result BYTES`: largest result a task may return (UTF-8 bytes of its payload). Default: 10 MiB. */
  maxResultBytes: number;
  /** `--python-path DIR` (repeatable): directories put first on the Python runners' `sys.path`. Default: none. */
  pythonPath: string[];
}

/** API keys and per-tenant limits of the API (`faas api`, `faas up`). */
export interface AuthConfig {
  /** `--auth required|off`. Default: required when `--host` is not a loopback address, else off. */
  auth: "required" | "off";
  /** Requests per second per key (`--rate-limit`). Default: 1000. */
  rateLimit: number;
  /** Queued or running tasks per tenant (`--max-queued`). Default: 100000. */
  maxQueued: number;
  /** Functions per tenant (`--max-functions`). Default: 10000. */
  maxFunctions: number;
  /** `--insecure`: allows `--auth off` on a non-loopback address. Default: false. */
  insecure: boolean;
}

/** `faas keys create --name NAME [--tenant T] [--admin] | list | revoke ID`, against `--redis URL` or `--data-dir DIR`. */
export interface KeysConfig extends CommonConfig {
  role: "keys";
  action: "create" | "list" | "revoke";
  /** create: the key's name (`--name`). */
  name?: string;
  /** create: its tenant (`--tenant`). Default: default. */
  tenant: string;
  /** create: an admin key (`--admin`). Default: false. */
  admin: boolean;
  /** revoke: the key id. */
  id?: string;
  /** The data dir of the `faas up` whose managed Redis to use when no Redis URL is given. Default: ./.faas */
  dataDir: string;
}

/** `faas api`. */
export interface ApiConfig extends CommonConfig, AuthConfig {
  role: "api";
  /** Default: 127.0.0.1. */
  host: string;
  /** Default: 8000. */
  port: number;
  /** Largest request body in bytes (`--max-body`). Default: 1048576. */
  maxBodyBytes: number;
  /** Further `Host` values the API answers (`--allowed-hosts`, repeatable or comma list; `*` any). Default: none. */
  allowedHosts: string[];
  /** Browser origins given CORS headers (`--cors-origin`, repeatable or comma list; `*` any). Default: none. */
  corsOrigins: string[];
}

/** `faas dispatcher`. */
export interface DispatcherConfig extends CommonConfig, IsolationConfig {
  role: "dispatcher";
  /** `-m`. Default: local. */
  mode: DispatchModeName;
  /** Worker threads for local mode (`-w`). Default: number of CPUs. */
  threads: number;
  /** Interface the pull/push ROUTER binds (`--host`). Default: 127.0.0.1. */
  host: string;
  /** Port of the pull/push ROUTER (`-p`); 0 picks a free one. Default: 5555. */
  port: number;
  /** Unix socket path the pull/push ROUTER also binds, for workers on this machine (`--ipc`). Default: none. */
  ipcPath?: string;
  /** Default per-task timeout in ms (`--task-timeout` seconds). Default: 300 s. */
  taskTimeoutMs: number;
  /** Starts per task before it fails as lost (`--max-attempts`). Default: 3. */
  maxAttempts: number;
  /** `--secret-file PATH`: read the secret from this file at start (not group/world readable). Default: none. */
  secretFile?: string;
  /** `--curve-key FILE`: the dispatcher's key pair (`faas keygen`); turns CURVE on (pull/push). Default: none (NULL). */
  curveKeyFile?: string;
  /** `--authorized-workers FILE`: public keys of the workers it accepts, one per line (required with `--curve-key`). */
  authorizedWorkersFile?: string;
}

/** `faas keygen [--out FILE]`. */
export interface KeygenConfig {
  role: "keygen";
  /** `--out FILE`: write the pair there (0600) and the public key to FILE.pub. Default: print it. */
  out?: string;
}

/** `faas worker pull|push N tcp://HOST:PORT` (or `ipc:///path/to/socket`). */
export interface WorkerConfig extends CommonConfig, IsolationConfig {
  role: "worker";
  mode: "pull" | "push";
  /** Bun Worker threads in this worker process. */
  threads: number;
  /** The dispatcher's endpoint, tcp://host:port or ipc://path. */
  endpoint: string;
  /** Default per-task timeout in ms (the dispatcher's per-task value wins). Default: 300 s. */
  taskTimeoutMs: number;
  /** Most tasks held per thread beyond the running one (`--queue`): pull 0 to 7, push 0 to 32. Default: the most (pull 7, push 32). */
  queuePerThread: number;
  /** `--secret-file PATH`: read the secret from this file at start (not group/world readable). Default: none. */
  secretFile?: string;
  /** `--curve-key FILE`: this worker's key pair (`faas keygen`); turns CURVE on, with `dispatcherKey`. Default: none (NULL). */
  curveKeyFile?: string;
  /** `--dispatcher-key Z85`: the dispatcher's public key (40 characters of Z85). Default: none. */
  dispatcherKey?: string;
}

/** `faas up`. */
export interface UpConfig extends CommonConfig, IsolationConfig, AuthConfig {
  role: "up";
  mode: DispatchModeName;
  host: string;
  port: number;
  maxBodyBytes: number;
  allowedHosts: string[];
  corsOrigins: string[];
  /** Threads: of the local dispatcher, or of each worker process in pull/push (`-w`). Default: number of CPUs. */
  threads: number;
  /** Worker processes in pull/push mode (`--workers`). Default: 2. */
  workers: number;
  taskTimeoutMs: number;
  maxAttempts: number;
  /** Where the managed Redis keeps its append-only file (`--data-dir`). Default: ./.faas */
  dataDir: string;
  /** `--curve on|off`: CURVE on the worker link (pull/push), keys kept in the data dir; off: NULL and a shared secret. Default: on (off when `--secret` is given). */
  curve: boolean;
}

/**
 * The commands that are clients of a running API: `faas fn deploy FILE --name NAME | list | rm ID`,
 * `faas call NAME_OR_ID [ARGS_JSON] [--wait S]`, `faas task ID`.
 */
export interface ClientConfig {
  role: "fn" | "call" | "task";
  /** fn only. */
  action?: "deploy" | "list" | "rm";
  /** fn deploy: the file; fn rm: the function id; call: the function's name or id; task: the task id. */
  target?: string;
  /** fn deploy: the function's name (`--name`). */
  name?: string;
  /** call: the arguments, JSON text of an array. Default: "[]". */
  args: string;
  /** call: longest wait for the result, in seconds (`--wait`). Default: 300. */
  waitSeconds: number;
  /** `--url`, else FAAS_URL, else http://127.0.0.1:8000. */
  url: string;
  /** `--key`, else FAAS_KEY. Default: none. */
  key: string | undefined;
}

/** True for the client commands (`fn`, `call`, `task`). */
export function isClientCommand(cmd: Command): cmd is ClientConfig {
  return cmd.role === "fn" || cmd.role === "call" || cmd.role === "task";
}

/** What the command line asked for. */
export type Command =
  | { role: "help"; topic?: Role } | { role: "version" } | ApiConfig | DispatcherConfig | WorkerConfig | UpConfig | KeysConfig | KeygenConfig
  | ClientConfig;

/** The roles `faas` can play. */
export const ROLES = ["up", "api", "dispatcher", "worker", "keys", "keygen", "fn", "call", "task"] as const;
export type Role = (typeof ROLES)[number];

type Env = Record<string, string | undefined>;
const s = { type: "string" } as const;
const COMMON = { redis: s, "log-level": s, "result-ttl": s, secret: s, help: { type: "boolean", short: "h" } } as const;
const list = { type: "string", multiple: true } as const;
const SERVE = { host: s, port: { ...s, short: "p" }, "max-body": s, "allowed-hosts": list, "cors-origin": list } as const;
const RUN = { threads: { ...s, short: "w" }, "task-timeout": s, "max-attempts": s, mode: { ...s, short: "m" } } as const;
const ISOLATE = { isolation: s, "task-memory": s, "run-as": s, "task-log-lines": s, "max-result": s, "python-path": list } as const;
const AUTH = { auth: s, insecure: { type: "boolean" }, "rate-limit": s, "max-queued": s, "max-functions": s } as const;
const OPTIONS = {
  api: { ...COMMON, ...SERVE, ...AUTH },
  dispatcher: { ...COMMON, ...RUN, ...ISOLATE, host: s, port: { ...s, short: "p" }, ipc: s, "secret-file": s, "curve-key": s, "authorized-workers": s },
  worker: { ...COMMON, ...ISOLATE, "task-timeout": s, queue: s, "secret-file": s, "curve-key": s, "dispatcher-key": s },
  up: { ...COMMON, ...SERVE, ...RUN, ...ISOLATE, ...AUTH, workers: s, "data-dir": s, curve: s },
  keys: { ...COMMON, name: s, tenant: s, admin: { type: "boolean" }, "data-dir": s },
  keygen: { out: s, help: { type: "boolean", short: "h" } },
  fn: { url: s, key: s, name: s, help: { type: "boolean", short: "h" } },
  call: { url: s, key: s, wait: s, help: { type: "boolean", short: "h" } },
  task: { url: s, key: s, help: { type: "boolean", short: "h" } },
} as const;

/** The roles that take positional arguments. */
const POSITIONAL_ROLES: ReadonlySet<Role> = new Set(["worker", "keys", "fn", "call", "task"]);

/** Parse `argv` (without the executable) into a command. Throws FaasError("USAGE") on bad input. */
export function parseCommand(argv: string[], env: Env = process.env): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined && !isRole(topic)) throw usage(`unknown role "${topic}"`);
    return { role: "help", topic };
  }
  if (first === "--version" || first === "-v" || first === "version") return { role: "version" };
  if (!isRole(first)) throw usage(first.startsWith("-") ? `unknown option "${first}"` : `unknown role "${first}"`);
  const role = first;
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: joinKeyValues(rest), options: OPTIONS[role] as never, strict: true, allowPositionals: POSITIONAL_ROLES.has(role) }) as never);
  } catch (err) {
    throw usage((err as Error).message.split("\n")[0] ?? "bad arguments", role);
  }
  if (values.help) return { role: "help", topic: role };
  if (role === "fn" || role === "call" || role === "task") return clientCommand(role, values, positionals, env);
  const str = (k: string) => values[k] as string | undefined;
  const envRedis = env.REDIS_URL || undefined;
  const parent = env.FAAS_PARENT_PID ? Number(env.FAAS_PARENT_PID) : undefined;
  const common: CommonConfig = {
    redisUrl: str("redis") ?? envRedis ?? "redis://127.0.0.1:6379",
    redisGiven: str("redis") !== undefined || envRedis !== undefined,
    logLevel: logLevel(str("log-level") ?? (env.FAAS_LOG_LEVEL || "info"), role),
    resultTtlSeconds: int(str("result-ttl"), 86_400, "--result-ttl", role, 1),
    secret: str("secret") ?? (env.FAAS_SECRET || undefined),
    parentPid: parent && Number.isSafeInteger(parent) && parent > 0 ? parent : undefined,
  };
  const timeout = () => seconds(str("task-timeout"), 300, "--task-timeout", role);
  const threads = () => int(str("threads"), navigator.hardwareConcurrency, "--threads", role, 1, 1024);
  const attempts = () => int(str("max-attempts"), 3, "--max-attempts", role, 1, 100);
  const serve = () => ({
    host: str("host") ?? "127.0.0.1",
    port: int(str("port"), 8000, "--port", role, 0, 65_535),
    maxBodyBytes: int(str("max-body"), 1 << 20, "--max-body", role, 1),
    allowedHosts: listOf(values["allowed-hosts"], "--allowed-hosts", HOST_ENTRY, "host or host:port (or *)", role),
    corsOrigins: listOf(values["cors-origin"], "--cors-origin", ORIGIN_ENTRY, "origin such as https://app.example.com (or *)", role)
      .map((o) => o.replace(/\/$/, "")),
  });
  const isolate = (): IsolationConfig => {
    const isolation = str("isolation") ?? "process";
    if (isolation !== "process" && isolation !== "thread") throw usage(`--isolation must be process or thread (got "${isolation}")`, role);
    const runAs = str("run-as") ?? "nobody";
    if (!/^[\w.-]{1,64}(:\d+)?$/.test(runAs)) throw usage(`--run-as must be a user name, uid or uid:gid (got "${runAs}")`, role);
    return {
      isolation, runAs, taskMemoryMb: int(str("task-memory"), 512, "--task-memory", role, 32, 1 << 20),
      executorEnv: { PATH: env.PATH || "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: env.LANG || "C.UTF-8", ...allocatorEnvironment(env) },
      taskLogLines: int(str("task-log-lines"), 1000, "--task-log-lines", role, 0, 100_000),
      maxResultBytes: int(str("max-result"), 10 << 20, "--max-result", role, 1, 1 << 30),
      pythonPath: pythonPaths(values["python-path"], role),
    };
  };
  const secretFile = () => {
    const path = str("secret-file");
    if (path === undefined) return {};
    if (path === "") throw usage("--secret-file needs a path", role);
    if (str("secret") !== undefined) throw usage("give --secret or --secret-file, not both", role);
    return { secretFile: path };
  };
  const mode = (): DispatchModeName => {
    const m = str("mode") ?? "local";
    if (m !== "local" && m !== "pull" && m !== "push") throw usage(`-m must be local, pull or push (got "${m}")`, role);
    return m;
  };
  switch (role) {
    case "api":
      return { role, ...common, ...serve(), ...authOf(values, str("host") ?? "127.0.0.1", role) };
    case "dispatcher":
      return {
        role, ...common, mode: mode(), threads: threads(), host: str("host") ?? "127.0.0.1",
        port: int(str("port"), 5555, "--port", role, 0, 65_535), ipcPath: ipcPath(str("ipc"), role),
        taskTimeoutMs: timeout(), maxAttempts: attempts(), ...isolate(), ...secretFile(), ...dispatcherCurve(values, role),
      };
    case "worker": {
      const [m, n, endpoint, ...extra] = positionals;
      if (m !== "pull" && m !== "push") throw usage(`worker mode must be pull or push (got ${m === undefined ? "nothing" : `"${m}"`})`, role);
      if (n === undefined || endpoint === undefined) throw usage("expected: faas worker pull|push N tcp://HOST:PORT", role);
      if (extra.length > 0) throw usage(`unexpected argument "${extra[0]}"`, role);
      try {
        parseEndpoint(endpoint, false);
      } catch (err) {
        throw usage(`endpoint must look like tcp://HOST:PORT or ipc:///PATH (got "${endpoint}": ${(err as Error).message})`, role);
      }
      const mostQueued = m === "push" ? MAX_QUEUED_PER_THREAD : MAX_PULL_QUEUED_PER_THREAD;
      return {
        role, ...common, mode: m, threads: int(n, 1, "N (threads)", role, 1, 1024), endpoint, taskTimeoutMs: timeout(),
        queuePerThread: int(str("queue"), mostQueued, "--queue", role, 0, mostQueued), ...isolate(), ...secretFile(), ...workerCurve(values, role),
      };
    }
    case "up":
      return {
        role, ...common, ...serve(), mode: mode(), threads: threads(), workers: int(str("workers"), 2, "--workers", role, 0, 64),
        taskTimeoutMs: timeout(), maxAttempts: attempts(), dataDir: str("data-dir") ?? ".faas", ...isolate(),
        ...authOf(values, str("host") ?? "127.0.0.1", role), curve: upCurve(str("curve"), str("secret") !== undefined, role),
      };
    case "keys":
      return keysCommand(common, values, positionals);
    case "keygen": {
      const out = str("out");
      if (out === "") throw usage("--out needs a file path", role);
      return { role, out };
    }
  }
}

/** `--curve-key FILE` and `--authorized-workers FILE` of a dispatcher: both or neither; they replace the shared secret. */
function dispatcherCurve(values: Record<string, unknown>, role: Role): Pick<DispatcherConfig, "curveKeyFile" | "authorizedWorkersFile"> {
  const key = values["curve-key"] as string | undefined;
  const authorized = values["authorized-workers"] as string | undefined;
  if (key === undefined && authorized === undefined) return {};
  if (key === undefined || key === "") throw usage("--authorized-workers goes with --curve-key FILE (the dispatcher's key pair)", role);
  if (authorized === undefined || authorized === "") throw usage("--curve-key needs --authorized-workers FILE (the public keys of the workers it accepts)", role);
  if (values.secret !== undefined || values["secret-file"] !== undefined) throw usage("CURVE replaces the shared secret: give --curve-key or --secret/--secret-file, not both", role);
  if ((values.mode ?? "local") === "local") throw usage("--curve-key is for -m pull or push (the worker link)", role);
  return { curveKeyFile: key, authorizedWorkersFile: authorized };
}

/** `--curve-key FILE` and `--dispatcher-key Z85` of a worker: both or neither; they replace the shared secret. */
function workerCurve(values: Record<string, unknown>, role: Role): Pick<WorkerConfig, "curveKeyFile" | "dispatcherKey"> {
  const key = values["curve-key"] as string | undefined;
  const dispatcherKey = values["dispatcher-key"] as string | undefined;
  if (key === undefined && dispatcherKey === undefined) return {};
  if (key === undefined || key === "") throw usage("--dispatcher-key goes with --curve-key FILE (this worker's key pair)", role);
  if (dispatcherKey === undefined) throw usage("--curve-key needs --dispatcher-key Z85 (the dispatcher's public key)", role);
  if (!/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/.test(dispatcherKey)) throw usage(`--dispatcher-key must be a 40-character Z85 public key (got ${JSON.stringify(dispatcherKey)})`, role);
  if (values.secret !== undefined || values["secret-file"] !== undefined) throw usage("CURVE replaces the shared secret: give --curve-key or --secret/--secret-file, not both", role);
  return { curveKeyFile: key, dispatcherKey };
}

/** `faas up --curve on|off`: on unless `off`, or unless `--secret` is given (a NULL-mechanism setup with that secret). */
function upCurve(v: string | undefined, secretFlag: boolean, role: Role): boolean {
  if (v !== undefined && v !== "on" && v !== "off") throw usage(`--curve must be on or off (got "${v}")`, role);
  if (v === "on" && secretFlag) throw usage("CURVE replaces the shared secret: --secret goes with --curve off", role);
  return v === undefined ? !secretFlag : v === "on";
}

/** A unix socket path for `--ipc`, checked by the zmtp endpoint parser (a non-empty file path of at most MAX_IPC_PATH bytes). */
function ipcPath(path: string | undefined, role: Role): string | undefined {
  if (path === undefined) return undefined;
  try {
    parseEndpoint(formatIpcEndpoint(path), true);
  } catch (err) {
    throw usage(`ipc socket path must be a file path of 1-${MAX_IPC_PATH} bytes (got ${JSON.stringify(path)}: ${(err as Error).message})`, role);
  }
  return path;
}

const HOST_ENTRY = /^(\*|\[[0-9a-f:.]+\](:\d{1,5})?|[a-z0-9_.-]+(:\d{1,5})?)$/;
const ORIGIN_ENTRY = /^(\*|https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:\d{1,5})?\/?)$/;

/** A repeatable, comma-separated flag: its entries, lower-cased, each checked against `pattern`. */
function listOf(v: unknown, flag: string, pattern: RegExp, what: string, role: Role): string[] {
  const given = Array.isArray(v) ? (v as string[]) : typeof v === "string" ? [v] : [];
  const entries = given.flatMap((x) => x.split(",")).map((x) => x.trim().toLowerCase()).filter((x) => x !== "");
  for (const e of entries) if (!pattern.test(e)) throw usage(`${flag} takes a comma-separated list, each a ${what} (got "${e}")`, role);
  return entries;
}

/** `--python-path` values: absolute directories (resolved from the working directory), each given once or more. */
function pythonPaths(v: unknown, role: Role): string[] {
  const given = Array.isArray(v) ? (v as string[]) : typeof v === "string" ? [v] : [];
  for (const dir of given) if (dir.trim() === "") throw usage("--python-path needs a directory", role);
  return given.map((dir) => resolvePath(dir));
}

/** True for a loopback listen address: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function authOf(values: Record<string, unknown>, host: string, role: Role): AuthConfig {
  const given = values.auth as string | undefined;
  if (given !== undefined && given !== "required" && given !== "off") throw usage(`--auth must be required or off (got "${given}")`, role);
  const insecure = values.insecure === true;
  if (given === "off" && !insecure && !isLoopbackHost(host)) {
    // One line, exit 2: keys off on an address others can reach is a choice to spell out.
    throw new FaasError("CONFIG", `--auth off on ${host} (not a loopback address) lets anyone run code here; add --insecure to mean it`);
  }
  const n = (k: string, dflt: number) => int(values[k] as string | undefined, dflt, `--${k}`, role, 1, 1_000_000_000);
  return {
    auth: (given as "required" | "off" | undefined) ?? (isLoopbackHost(host) ? "off" : "required"),
    rateLimit: n("rate-limit", 1000), maxQueued: n("max-queued", 100_000), maxFunctions: n("max-functions", 10_000), insecure,
  };
}

function keysCommand(common: CommonConfig, values: Record<string, unknown>, positionals: string[]): KeysConfig {
  const [action, ...args] = positionals;
  const name = values.name as string | undefined;
  const dataDir = values["data-dir"] as string | undefined;
  if (dataDir !== undefined && values.redis !== undefined) throw usage("give --redis URL or --data-dir DIR, not both", "keys");
  const cfg: KeysConfig = {
    ...common, role: "keys", action: "list", name, tenant: (values.tenant as string | undefined) ?? "default",
    admin: values.admin === true, dataDir: dataDir ?? ".faas",
  };
  // --data-dir wins over REDIS_URL: it names the `faas up` to talk to.
  if (dataDir !== undefined) cfg.redisGiven = false;
  if (action === "create") {
    if (name === undefined) throw usage("keys create needs --name NAME", "keys");
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(cfg.tenant)) throw usage(`--tenant must be 1-64 letters, digits, "_", "." or "-" (got "${cfg.tenant}")`, "keys");
    if (args.length > 0) throw usage(`unexpected argument "${args[0]}"`, "keys");
    return { ...cfg, action };
  }
  if (name !== undefined || values.tenant !== undefined || values.admin !== undefined) {
    if (action === "list" || action === "revoke") throw usage("--name, --tenant and --admin go with keys create", "keys");
  }
  if (action === "list") {
    if (args.length > 0) throw usage(`unexpected argument "${args[0]}"`, "keys");
    return { ...cfg, action };
  }
  if (action === "revoke") {
    if (args.length !== 1) throw usage("expected: faas keys revoke ID", "keys");
    return { ...cfg, action, id: args[0] };
  }
  throw usage(`keys needs create, list or revoke (got ${action === undefined ? "nothing" : `"${action}"`})`, "keys");
}

function clientCommand(role: ClientConfig["role"], values: Record<string, unknown>, positionals: string[], env: Env): ClientConfig {
  const url = ((values.url as string | undefined) ?? (env.FAAS_URL || "http://127.0.0.1:8000")).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/i.test(url)) throw usage(`--url must be an http:// or https:// URL (got "${url}")`, role);
  const cfg: ClientConfig = { role, url, key: (values.key as string | undefined) ?? (env.FAAS_KEY || undefined), args: "[]", waitSeconds: 300 };
  const [first, ...more] = positionals;
  const extra = (args: string[]) => {
    if (args.length > 0) throw usage(`unexpected argument "${args[0]}"`, role);
  };
  if (role === "fn") {
    const name = values.name as string | undefined;
    if (first === "deploy") {
      if (more.length !== 1 || name === undefined) throw usage("expected: faas fn deploy FILE --name NAME", role);
      return { ...cfg, action: first, target: more[0], name };
    }
    if (name !== undefined) throw usage("--name goes with fn deploy", role);
    if (first === "list") return (extra(more), { ...cfg, action: first });
    if (first === "rm") {
      if (more.length !== 1) throw usage("expected: faas fn rm ID", role);
      return { ...cfg, action: first, target: more[0] };
    }
    throw usage(`fn needs deploy, list or rm (got ${first === undefined ? "nothing" : `"${first}"`})`, role);
  }
  if (role === "task") {
    if (first === undefined) throw usage("expected: faas task ID", role);
    return (extra(more), { ...cfg, target: first });
  }
  if (first === undefined) throw usage("expected: faas call NAME_OR_ID [ARGS_JSON] [--wait S]", role);
  const [args = "[]", ...rest] = more;
  extra(rest);
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) throw usage(`ARGS_JSON must be a JSON array of the arguments, e.g. '[21]' (got ${JSON.stringify(args.slice(0, 40))})`, role);
  const wait = values.wait as string | undefined;
  const waitMs = wait === undefined ? 300_000 : seconds(wait, 300, "--wait", role);
  return { ...cfg, target: first, args, waitSeconds: waitMs / 1000 };
}

function isRole(x: string): x is Role {
  return (ROLES as readonly string[]).includes(x);
}

/** A usage error; `role` selects the help text printed with it. */
export function usage(message: string, role?: Role): FaasError & { role?: Role } {
  const e: FaasError & { role?: Role } = new FaasError("USAGE", message);
  e.role = role;
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

/** Options whose value is a Z85 key, which may begin with "-" (Z85's alphabet has it). */
const KEY_OPTIONS = new Set(["--dispatcher-key"]);

/**
 * `--dispatcher-key KEY` as `--dispatcher-key=KEY`: parseArgs takes a value that begins with "-" for an option and
 * refuses it as ambiguous, and one Z85 key in 85 begins with "-".
 */
function joinKeyValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (KEY_OPTIONS.has(a) && i + 1 < args.length) out.push(`${a}=${args[++i]}`);
    else out.push(a);
  }
  return out;
}

/** The environment for a child role started by `faas up`: ours, minus what the flags given to the child replace. */
export function childEnvironment(): Record<string, string | undefined> {
  const { REDIS_URL: _r, FAAS_SECRET: _s, FAAS_PARENT_PID: _p, ...rest } = process.env;
  return { ...rest, ...allocatorEnvironment(rest) };
}

/**
 * The allocator setting of the platform's own long-running processes (API, dispatcher, worker, executors), the
 * operator's own value when `env` has one: Bun's allocator (mimalloc) keeps the memory it freed instead of handing
 * it back to the kernel after a short delay. Handing back costs an madvise and a TLB shootdown on every core per
 * purge; at thousands of tasks per second that was a third of the CPU of a worker (a 1.1–1.5× throughput
 * difference, docs/performance.md). The price: a process stays at its high-water mark of heap memory.
 */
function allocatorEnvironment(env: Env): { MIMALLOC_PURGE_DELAY: string } {
  return { MIMALLOC_PURGE_DELAY: env.MIMALLOC_PURGE_DELAY ?? "-1" };
}

/**
 * The environment to re-execute this process with so that the allocator setting applies (the allocator reads it
 * once, at start), or null when it already does. Default environment: `process.env`.
 */
export function allocatorReexecEnvironment(env: Env = process.env): Record<string, string> | null {
  if (env.MIMALLOC_PURGE_DELAY !== undefined) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return { ...out, ...allocatorEnvironment(env) };
}
