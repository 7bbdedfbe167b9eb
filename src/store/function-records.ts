/** Functions as their owners manage them: one function's record, deleting one (DELETE_FUNCTION script), pages of a tenant's list. */
import type Redis from "ioredis";
import type { Keys } from "./keys.ts";
import { listIndex, type PageQuery } from "./list-index.ts";
import type { Access, FunctionInfo, FunctionRecord } from "./types.ts";

/**
 * Delete a function if it is the caller's tenant's (or the caller is admin): its hash, and its id in its tenant's
 * function set, list and digests (so registering the same source again makes a new function). Its queued tasks
 * stay; LOAD_TASKS fails them (FunctionNotFoundError) when a dispatcher reaches them.
 * KEYS: fn. ARGV: fnId, tenant, admin ("1"/"0"), root (key prefix with its colon). Returns 1 (deleted) or 0 (no
 * such function, or another tenant's).
 */
const DELETE_FUNCTION = `
local f = redis.call('HMGET', KEYS[1], 'code', 'tenant', 'digest')
if not f[1] then return 0 end
local owner = f[2] or 'default'
if ARGV[3] ~= '1' and owner ~= ARGV[2] then return 0 end
local base = ARGV[4] .. 'tenant:' .. owner
redis.call('DEL', KEYS[1])
redis.call('SREM', base .. ':fns', ARGV[1])
redis.call('ZREM', base .. ':functions', ARGV[1])
if f[3] and redis.call('HGET', base .. ':fn-digests', f[3]) == ARGV[1] then redis.call('HDEL', base .. ':fn-digests', f[3]) end
return 1
`;

interface DeleteCommand {
  faasDeleteFunction(fnKey: string, ...args: string[]): Promise<number>;
}

/** Register the script on a connection (once per connection). */
export function defineDeleteFunction(redis: Redis): void {
  redis.defineCommand("faasDeleteFunction", { lua: DELETE_FUNCTION, numberOfKeys: 1 });
}

/** Delete the function `id` for `access`; false when there is none it may see. */
export async function deleteFunction(redis: Redis, keys: Keys, id: string, access: Access): Promise<boolean> {
  const n = await (redis as unknown as DeleteCommand).faasDeleteFunction(keys.fn(id), id, access.tenant, access.admin ? "1" : "0", keys.root);
  return n === 1;
}

/** The function `id` with its source (one read, its tenant checked in it), or null when unknown or not visible. */
export async function readFunction(redis: Redis, keys: Keys, id: string, access: Access): Promise<FunctionRecord | null> {
  const [name, source, code, created, tenant, runtime] = await redis.hmget(keys.fn(id), "name", "source", "code", "created", "tenant", "runtime");
  if (code == null || !(access.admin || (tenant || "default") === access.tenant)) return null;
  return { id, name: name ?? "", source: source ?? "", code, createdAt: Number(created ?? 0), runtime: runtime === "python" ? "python" : "js" };
}

/** A page of the functions `access` may see (its tenant's; every tenant's for an admin), newest first. */
export async function listFunctions(redis: Redis, keys: Keys, page: PageQuery, access: Access): Promise<{ functions: FunctionInfo[]; nextCursor: string | null }> {
  const { rows, nextCursor } = await listIndex(redis, keys, { ...page, kind: "fn", tenant: access.admin ? null : access.tenant, suffix: ":functions" });
  const functions = rows.map(([id, name, created, tenant]) => ({ id: id!, name: name ?? "", createdAt: Number(created ?? 0), tenant: tenant ?? "default" }));
  return { functions, nextCursor };
}
