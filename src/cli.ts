/** The `faas` executable: parses the command line, runs one role, catches errors once at the top. */
import pkg from "../package.json" with { type: "json" };
import { allocatorReexecEnvironment, isClientCommand, parseCommand, type Command, type Role } from "./config.ts";
import { FaasError } from "./faas-error.ts";
import { helpText } from "./help-text.ts";
import { createLog } from "./log.ts";
import type { Running } from "./roles/running.ts";
import { runExecutor } from "./roles/run-executor.ts";
import { selfCommand } from "./roles/spawn-role.ts";

const out = (line: string) => process.stdout.write(line + "\n");

async function main(argv: string[]): Promise<number> {
  // Hidden: an executor process of process isolation, started by a thread pool with an ipc channel (never by hand).
  if (argv[0] === "executor" && (argv.length === 1 || (argv.length === 2 && argv[1] === "--reap"))) {
    if (runExecutor(argv[1] === "--reap")) return new Promise<number>(() => {}); // it exits by itself
    process.stderr.write("faas: executor is started by the platform (process isolation), not by hand\n");
    return 2;
  }
  // A long-running role started without the allocator setting restarts itself in place (same pid, same stdio)
  // with it, before reading anything (stdin may hold a secret). `faas up` gives its children the setting.
  if (argv[0] === "api" || argv[0] === "dispatcher" || argv[0] === "worker") {
    const env = allocatorReexecEnvironment();
    if (env !== null) {
      const [file, ...pre] = selfCommand();
      try {
        process.execve?.(file!, [file!, ...pre, ...argv], env);
      } catch {
        // not possible here: run with the allocator's defaults
      }
    }
  }
  let cmd: Command;
  try {
    cmd = parseCommand(argv);
  } catch (err) {
    if (err instanceof FaasError && err.code === "USAGE") {
      process.stderr.write(`faas: ${err.message}\n\n${helpText((err as FaasError & { role?: Role }).role)}\n`);
      return 2;
    }
    throw err;
  }
  if (cmd.role === "help") {
    out(helpText(cmd.topic));
    return 0;
  }
  if (cmd.role === "version") {
    out(`faas ${pkg.version} (bun ${Bun.version})`);
    return 0;
  }
  if (cmd.role === "keygen") {
    // One-shot: prints the key pair (or writes it with --out and prints the public key alone on the last line).
    const { runKeygen } = await import("./roles/run-keygen.ts");
    runKeygen(cmd, out);
    return 0;
  }
  if (isClientCommand(cmd)) {
    // Clients of a running API: answer, exit 0, or 1 with one stderr line when the call or the task failed.
    const io = { out, err: (line: string) => process.stderr.write(line + "\n") };
    if (cmd.role === "fn") return (await import("./roles/run-fn.ts")).runFn(cmd, io);
    const { runCall, runTask } = await import("./roles/run-call.ts");
    return cmd.role === "call" ? runCall(cmd, io) : runTask(cmd, io);
  }
  if (cmd.role === "keys") {
    // One-shot: answers and exits (`create` prints the key alone on the last stdout line).
    const { runKeys } = await import("./roles/run-keys.ts");
    await runKeys(cmd, createLog(cmd.logLevel === "info" ? "warn" : cmd.logLevel, cmd.role), out);
    return 0;
  }
  const log = createLog(cmd.logLevel, cmd.role);
  // One listener per signal for the whole life of the process, installed before the role starts (a gap, e.g.
  // between "ready" and the listeners, would let a signal take its default action): the first signal stops
  // cleanly (once the role has started), a second SIGINT or SIGTERM while stopping forces the exit.
  let stopping = false;
  const { promise: stopReason, resolve: stopRequested } = Promise.withResolvers<string>();
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    stopRequested(why);
  };
  const onSignal = (name: "SIGINT" | "SIGTERM" | "SIGHUP") => () => {
    if (!stopping) stop(name);
    else if (name !== "SIGHUP") process.exit(130);
  };
  process.on("SIGINT", onSignal("SIGINT"));
  process.on("SIGTERM", onSignal("SIGTERM"));
  // The terminal was closed: stop cleanly as well (the default would leave the managed Redis orphaned).
  process.on("SIGHUP", onSignal("SIGHUP"));
  const parent = cmd.parentPid;
  if (parent !== undefined) {
    // Started by `faas up`: stop when it is gone (even if it was killed with SIGKILL).
    setInterval(() => !stopping && process.ppid !== parent && stop("parent process gone"), 500).unref();
  }
  let running: Running;
  // Each role prints one "ready …" line on stdout once it serves (`faas up` waits for it in its children).
  // Roles load on demand: an executor process (above) starts without Redis, HTTP or ZMTP code.
  if (cmd.role === "api") {
    const { runApi } = await import("./roles/run-api.ts");
    const api = await runApi(cmd, log);
    out(`ready api ${api.url}`);
    running = api;
  } else if (cmd.role === "dispatcher") {
    const { runDispatcher } = await import("./roles/run-dispatcher.ts");
    const d = await runDispatcher(cmd, log);
    out(`ready dispatcher ${d.ready}`);
    running = d;
  } else if (cmd.role === "worker") {
    const { runWorker } = await import("./roles/run-worker.ts");
    const w = await runWorker(cmd, log);
    out(`ready worker ${w.id}`);
    // Refused by the dispatcher (wrong secret or protocol version): say why and exit 2.
    void w.exited.then((err) => {
      if (!err) return;
      process.stderr.write(`faas: ${err.message}\n`);
      process.exit(2);
    });
    running = w;
  } else {
    const { runUp } = await import("./roles/run-up.ts");
    running = await runUp(cmd, log, out);
  }
  const reason = await stopReason;
  log.info(`${reason}: stopping`);
  // Never hang on the way out (e.g. Redis gone): 30 s after the stop began, exit anyway.
  setTimeout(() => {
    log.error("stopping took over 30 s; exiting");
    process.exit(1);
  }, 30_000).unref();
  await running.stop();
  log.info("stopped");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof FaasError) {
      process.stderr.write(`faas: ${err.message}\n`);
      process.exit(err.code === "USAGE" || err.code === "CONFIG" ? 2 : 1);
    }
    process.stderr.write(`faas: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
