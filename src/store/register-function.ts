/** The register step of a function: one script call that finds the same name and source of the tenant, or checks the function limit and stores it. */
import type Redis from "ioredis";
import { createHash } from "node:crypto";
import { FaasError } from "../faas-error.ts";
import type { Keys } from "./keys.ts";

/**
 * KEYS: fn, the tenant's function set, its function list (sorted set by created), its digests (hash). ARGV: fnId,
 * name, source, code, created, tenant, maxFunctions, digest (SHA-256 of name and source), fn key prefix, tenants set,
 * runtime (js or python).
 * Returns 1 (stored), 0 (the tenant has maxFunctions functions), or the id of the tenant's function registered
 * earlier with the same name and source (nothing is stored).
 */
const REGISTER_FUNCTION = `
local earlier = redis.call('HGET', KEYS[4], ARGV[8])
if earlier and redis.call('EXISTS', ARGV[9] .. earlier) == 1 then return earlier end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[7]) then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[2], 'source', ARGV[3], 'code', ARGV[4], 'created', ARGV[5], 'tenant', ARGV[6], 'digest', ARGV[8], 'runtime', ARGV[11])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[8], ARGV[1])
redis.call('SADD', ARGV[10], ARGV[6])
return 1
`;

interface RegisterCommand {
  faasRegisterFunction(fnKey: string, setKey: string, listKey: string, digestKey: string, ...args: string[]): Promise<number | string>;
}

/** Register the script on a connection (once per connection). */
export function defineRegisterFunction(redis: Redis): void {
  redis.defineCommand("faasRegisterFunction", { lua: REGISTER_FUNCTION, numberOfKeys: 4 });
}

/** What one register sends. */
export interface RegisterCall {
  id: string;
  name: string;
  source: string;
  code: string;
  tenant: string;
  maxFunctions: number;
  /** What runs it. Default: "js". */
  runtime?: "js" | "python";
}

/** The SHA-256 (hex) that names a function's name and source within its tenant: the same pair registers once. */
export function functionDigest(name: string, source: string): string {
  return createHash("sha256").update(JSON.stringify([name, source])).digest("hex");
}

/**
 * Send the register; resolves with the function's id: `call.id` once stored, or the id of the tenant's function
 * with the same name and source. Rejects with QUOTA_EXCEEDED (429) at the tenant's limit.
 */
export async function sendRegisterFunction(redis: Redis, keys: Keys, call: RegisterCall): Promise<string> {
  const stored = await (redis as unknown as RegisterCommand).faasRegisterFunction(
    keys.fn(call.id), keys.tenantFunctions(call.tenant), keys.tenantFunctionList(call.tenant), keys.tenantFunctionDigests(call.tenant),
    call.id, call.name, call.source, call.code, String(Date.now()), call.tenant, String(call.maxFunctions),
    functionDigest(call.name, call.source), keys.fn(""), keys.tenants, call.runtime ?? "js",
  );
  if (typeof stored === "string") return stored;
  if (stored !== 1) {
    throw new FaasError("QUOTA_EXCEEDED", `tenant "${call.tenant}" has ${call.maxFunctions} functions (--max-functions)`, 429,
      { retryAfterSeconds: 60 });
  }
  return call.id;
}
