/** API keys in Redis: created (shown once, stored as a SHA-256), listed, revoked, and looked up by hash. */
import { createHash, randomBytes } from "node:crypto";
import type Redis from "ioredis";
import { FaasError } from "../faas-error.ts";
import type { Keys } from "./keys.ts";
import type { ApiKeyRecord } from "./types.ts";

/** A tenant name: 1–64 of `A-Z a-z 0-9 _ . -` (no `:`, so it is safe inside key names). */
export const TENANT_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Longest key name, in characters. */
export const MAX_KEY_NAME_LENGTH = 100;

/** What a new key is for. */
export interface NewApiKey {
  name: string;
  /** Default: "default". */
  tenant?: string;
  /** Default: false. */
  admin?: boolean;
}

/** The SHA-256 (lower-case hex) of a presented key: the only form in which keys are stored or cached. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Check a tenant name; throws USAGE naming the rule. */
export function checkTenant(tenant: string): string {
  if (!TENANT_RE.test(tenant)) throw new FaasError("USAGE", `a tenant is 1-64 letters, digits, "_", "." or "-" (got ${JSON.stringify(tenant)})`);
  return tenant;
}

/** Create a key: 32 random bytes (`faas_` + base64url). Returns the key (never stored) and its record. */
export async function createApiKey(redis: Redis, keys: Keys, spec: NewApiKey): Promise<{ key: string; record: ApiKeyRecord }> {
  const name = spec.name.trim();
  if (name === "" || name.length > MAX_KEY_NAME_LENGTH || /[\x00-\x1f\x7f]/.test(name)) {
    throw new FaasError("USAGE", `--name must be 1-${MAX_KEY_NAME_LENGTH} printable characters`);
  }
  const record: ApiKeyRecord = {
    id: `key_${randomBytes(6).toString("hex")}`,
    name,
    tenant: checkTenant(spec.tenant ?? "default"),
    admin: spec.admin ?? false,
    createdAt: Date.now(),
    lastUsedAt: null,
  };
  const key = `faas_${randomBytes(32).toString("base64url")}`;
  const sha = hashApiKey(key);
  await redis
    .multi()
    .hset(keys.apiKey(sha), { id: record.id, name, tenant: record.tenant, admin: record.admin ? "1" : "0", created: record.createdAt })
    .hset(keys.apiKeys, record.id, sha)
    .exec();
  return { key, record };
}

/** Every key, oldest first. */
export async function listApiKeys(redis: Redis, keys: Keys): Promise<ApiKeyRecord[]> {
  const index = await redis.hgetall(keys.apiKeys);
  const ids = Object.keys(index);
  if (ids.length === 0) return [];
  const p = redis.pipeline();
  for (const id of ids) p.hmget(keys.apiKey(index[id]!), ...FIELDS);
  const rows = (await p.exec()) ?? [];
  const out: ApiKeyRecord[] = [];
  for (const [err, fields] of rows) {
    if (err) throw err;
    const r = toRecord(fields as (string | null)[]);
    if (r) out.push(r);
  }
  return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

const REVOKE = `
local sha = redis.call('HGET', KEYS[1], ARGV[1])
if not sha then return 0 end
redis.call('DEL', ARGV[2] .. sha)
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;

/** Revoke (delete) the key with this id; false when there is none. API processes stop accepting it within their cache time. */
export async function revokeApiKey(redis: Redis, keys: Keys, id: string): Promise<boolean> {
  const prefix = keys.apiKey("");
  return (await redis.eval(REVOKE, 1, keys.apiKeys, id, prefix)) === 1;
}

const FIELDS = ["id", "name", "tenant", "admin", "created", "used"] as const;

/**
 * One round trip: the key's fields, and `used` set to now when it is older than `touchEveryMs` (so last-used is
 * written at most once per that time per key; a revoked key is never recreated).
 * KEYS: the key's hash. ARGV: now, touchEveryMs.
 */
const LOOKUP = `
local f = redis.call('HMGET', KEYS[1], 'id', 'name', 'tenant', 'admin', 'created', 'used')
if not f[1] then return false end
if (tonumber(f[6]) or 0) + tonumber(ARGV[2]) <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'used', ARGV[1])
  f[6] = ARGV[1]
end
return f
`;

interface LookupCommand {
  faasLookupApiKey(key: string, now: string, touchEveryMs: string): Promise<(string | null)[] | null>;
}

/** Register the lookup script on a connection (once per connection). */
export function defineApiKeyLookup(redis: Redis): void {
  redis.defineCommand("faasLookupApiKey", { lua: LOOKUP, numberOfKeys: 1 });
}

/** The record of the key with this SHA-256, or null; marks it used (see LOOKUP). Needs {@link defineApiKeyLookup}. */
export async function lookupApiKey(redis: Redis, keys: Keys, sha256: string, touchEveryMs: number): Promise<ApiKeyRecord | null> {
  const f = await (redis as unknown as LookupCommand).faasLookupApiKey(keys.apiKey(sha256), String(Date.now()), String(touchEveryMs));
  return f ? toRecord(f) : null;
}

function toRecord(f: (string | null)[]): ApiKeyRecord | null {
  const [id, name, tenant, admin, created, used] = f;
  if (!id) return null;
  return {
    id, name: name ?? "", tenant: tenant || "default", admin: admin === "1",
    createdAt: Number(created ?? 0), lastUsedAt: used ? Number(used) : null,
  };
}
