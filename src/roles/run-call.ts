/** `faas call NAME_OR_ID [ARGS_JSON] [--wait S]` and `faas task ID`: run a function or show a task, through the client. */
import { FaasClientError, type FaasClient } from "../client/index.ts";
import { decode, toError } from "../codec/index.ts";
import type { ClientConfig } from "../config.ts";
import { asCommand, clientFor, showError, showValue, type CommandOutput } from "./client-session.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Run the function and print its decoded result; exit 1 with its error when it FAILED (or did not end within --wait). */
export function runCall(cfg: ClientConfig, io: CommandOutput): Promise<number> {
  const client = clientFor(cfg, Math.round(cfg.waitSeconds * 1000) + 30_000);
  return asCommand(io, async () => {
    const functionId = UUID.test(cfg.target!) ? cfg.target! : await functionNamed(client, cfg.target!);
    const taskId = await client.execute(functionId, JSON.parse(cfg.args) as unknown[]);
    let r;
    try {
      r = await client.wait(taskId, { timeoutMs: Math.round(cfg.waitSeconds * 1000) });
    } catch (err) {
      if (err instanceof FaasClientError && err.code === "TIMEOUT") {
        io.err(`faas: task ${taskId} did not finish within ${cfg.waitSeconds} s (faas task ${taskId} shows it later)`);
        return 1;
      }
      throw err;
    }
    const value = r.result === null ? undefined : decode(r.result);
    if (r.status === "COMPLETED") {
      io.out(showValue(value));
      return 0;
    }
    io.err(`faas: task ${taskId} ${r.status}: ${showError(toError(value))}`);
    return 1;
  });
}

/** Print the task's record as JSON. */
export function runTask(cfg: ClientConfig, io: CommandOutput): Promise<number> {
  const client = clientFor(cfg);
  return asCommand(io, async () => {
    io.out(JSON.stringify(await client.task(cfg.target!), null, 2));
    return 0;
  });
}

/** The id of the newest function called `name` (names need not be unique: a new source is a new function). */
async function functionNamed(client: FaasClient, name: string): Promise<string> {
  let best: { id: string; created: string } | null = null;
  let cursor: string | undefined;
  do {
    const page = await client.listFunctions({ limit: 100, cursor });
    for (const f of page.functions) if (f.name === name && (best === null || f.created_at > best.created)) best = { id: f.function_id, created: f.created_at };
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  if (best === null) throw new FaasClientError(404, "FUNCTION_NOT_FOUND", `no function named "${name}" (faas fn list shows them)`);
  return best.id;
}
