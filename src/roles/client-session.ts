/** What the client commands (`faas fn`, `faas call`, `faas task`) share: their FaasClient, result printing, one-line errors. */
import { FaasClient, FaasClientError } from "../client/index.ts";
import { encode } from "../codec/index.ts";
import type { ClientConfig } from "../config.ts";

/** Where a client command writes: stdout lines, and the one stderr line of a failure. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/** The client for the command's `--url` and `--key`; its calls give up after `timeoutMs` (default 30 s). */
export function clientFor(cfg: ClientConfig, timeoutMs = 30_000): FaasClient {
  return new FaasClient({ baseUrl: cfg.url, key: cfg.key, timeoutMs });
}

/** A value as the CLI prints it: JSON when the codec writes it as plain JSON, else inspected (bigint, Map, Date, …). */
export function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined; // bigint, or a cycle the codec refuses too
  }
  return json !== undefined && encode(value) === json ? json : Bun.inspect(value, { depth: 8 });
}

/** An error as one line: `Name: message`. */
export function showError(err: unknown): string {
  if (err instanceof FaasClientError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`.split("\n")[0]!;
  return String(err);
}

/** Run `body`; an API or network failure is one stderr line and exit status 1. */
export async function asCommand(io: CommandOutput, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof FaasClientError)) throw err;
    io.err(`faas: ${err.message}${err.status ? ` (${err.code}, HTTP ${err.status})` : ""}`);
    return 1;
  }
}
