/** The register step of a function: one script call that checks the tenant's function limit and stores it with its tenant. */
import type Redis from "ioredis";
import { FaasError } from "../faas-error.ts";
import type { Keys } from "./keys.ts";

/**
 * KEYS: fn, the tenant's function set. ARGV: fnId, name, source, code, created, tenant, maxFunctions.
 * Returns 1 (stored) or 0 (the tenant has maxFunctions functions).
 */
const REGISTER_FUNCTION = `
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[7]) then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[2], 'source', ARGV[3], 'code', ARGV[4], 'created', ARGV[5], 'tenant', ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;

interface RegisterCommand {
  faasRegisterFunction(fnKey: string, setKey: string, ...args: string[]): Promise<number>;
}

/** Register the script on a connection (once per connection). */
export function defineRegisterFunction(redis: Redis): void {
  redis.defineCommand("faasRegisterFunction", { lua: REGISTER_FUNCTION, numberOfKeys: 2 });
}

/** What one register sends. */
export interface RegisterCall {
  id: string;
  name: string;
  source: string;
  code: string;
  tenant: string;
  maxFunctions: number;
}

/** Send the register; resolves once stored, rejects with QUOTA_EXCEEDED (429) at the tenant's limit. */
export async function sendRegisterFunction(redis: Redis, keys: Keys, call: RegisterCall): Promise<void> {
  const stored = await (redis as unknown as RegisterCommand).faasRegisterFunction(
    keys.fn(call.id), keys.tenantFunctions(call.tenant),
    call.id, call.name, call.source, call.code, String(Date.now()), call.tenant, String(call.maxFunctions),
  );
  if (stored !== 1) {
    throw new FaasError("QUOTA_EXCEEDED", `tenant "${call.tenant}" has ${call.maxFunctions} functions (--max-functions)`, 429,
      { retryAfterSeconds: 60 });
  }
}
