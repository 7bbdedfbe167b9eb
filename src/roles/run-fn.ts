/** `faas fn deploy FILE --name NAME | list | rm ID`: a running API's functions, through the client. */
import { readFileSync } from "node:fs";
import type { ClientConfig } from "../config.ts";
import { FaasError } from "../faas-error.ts";
import { asCommand, clientFor, type CommandOutput } from "./client-session.ts";

/** Run one fn action; returns the exit status (0, or 1 when the API refused or could not be reached). */
export function runFn(cfg: ClientConfig, io: CommandOutput): Promise<number> {
  const client = clientFor(cfg);
  return asCommand(io, async () => {
    if (cfg.action === "deploy") {
      let source: string;
      try {
        source = readFileSync(cfg.target!, "utf8");
      } catch (err) {
        throw new FaasError("CONFIG", `cannot read ${cfg.target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      io.out(await client.register(source.trim(), cfg.name));
      return 0;
    }
    if (cfg.action === "rm") {
      await client.deleteFunction(cfg.target!);
      io.out(`deleted ${cfg.target}`);
      return 0;
    }
    const rows = [["ID", "NAME", "CREATED"]];
    let cursor: string | undefined;
    do {
      const page = await client.listFunctions({ limit: 100, cursor });
      for (const f of page.functions) rows.push([f.function_id, f.name, f.created_at]);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) io.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
    return 0;
  });
}
