/** The `faas` executable: parses the command line, runs one role, catches errors once at the top. */
import pkg from "../package.json" with { type: "json" };
import { parseCommand, type Command, type Role } from "./config.ts";
import { FaasError } from "./faas-error.ts";
import { helpText } from "./help-text.ts";
import { createLog } from "./log.ts";
import { runApi } from "./roles/run-api.ts";
import { runDispatcher } from "./roles/run-dispatcher.ts";
import { runUp } from "./roles/run-up.ts";
import type { Running } from "./roles/running.ts";

async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseCommand(argv);
  } catch (err) {
    if (err instanceof FaasError && err.code === "USAGE") {
      const role = (err as FaasError & { role?: Role }).role;
      process.stderr.write(`faas: ${err.message}\n\n${helpText(role)}\n`);
      return 2;
    }
    throw err;
  }
  if (cmd.role === "help") {
    process.stdout.write(helpText(cmd.topic) + "\n");
    return 0;
  }
  if (cmd.role === "version") {
    process.stdout.write(`faas ${pkg.version} (bun ${Bun.version})\n`);
    return 0;
  }
  const log = createLog(cmd.logLevel, cmd.role);
  let running: Running;
  if (cmd.role === "api") running = await runApi(cmd, log);
  else if (cmd.role === "dispatcher") running = await runDispatcher(cmd, log);
  else running = await runUp(cmd, log, (line) => process.stdout.write(line + "\n"));
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  log.info(`${signal}: stopping`);
  // A second signal while stopping forces the exit.
  const force = () => process.exit(130);
  process.once("SIGINT", force);
  process.once("SIGTERM", force);
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
