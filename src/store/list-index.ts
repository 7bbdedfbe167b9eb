/** Listing tasks or functions newest first from the tenants' sorted-set indexes: one LIST_INDEX script call a page, cursors. */
import type Redis from "ioredis";
import { FaasError } from "../faas-error.ts";
import type { Keys } from "./keys.ts";
import { TASK_INDEX_LUA } from "./task-lua.ts";

/**
 * One page of an index, newest first, merged over one tenant's index or (admin) every tenant's. The index of each
 * tenant is `{root}tenant:{t}{suffix}`, a sorted set scored by created time (ms); members with the same score go
 * by id, descending. The page starts after the cursor (score, id) and ends after `limit` rows or `budget` members
 * examined (then the cursor names the last one examined, so a sparse filter never makes one call long).
 * A member whose hash is gone (expired, deleted) is dropped from its index; a status index member whose task has
 * another status now is dropped too (it cannot be: the scripts move them; this keeps a read honest).
 * ARGV: kind ("task"/"fn"), root, tenant ("" for every tenant in `{root}tenants`, plus `default`), suffix, status
 * filter ("" none), cursor score ("" for the newest), cursor id, limit, budget, largest result inlined (bytes).
 * Returns { next score or false, next id or false, rows… }; a task row: id, status, attempts, fn, executor, created,
 * started, finished, timeout, result (false when over the limit), tenant; a function row: id, name, created, tenant.
 */
const LIST_INDEX = `${TASK_INDEX_LUA}
local kind, root, tenant, suffix, want = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local cs, cid = ARGV[6], ARGV[7]
local limit, budget, max_result = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local keys = {}
if tenant ~= '' then
  keys[1] = idx_base(root, tenant) .. suffix
else
  local seen = { default = true }
  keys[1] = idx_base(root, 'default') .. suffix
  for _, t in ipairs(redis.call('SMEMBERS', root .. 'tenants')) do
    if not seen[t] then seen[t] = true; keys[#keys + 1] = idx_base(root, t) .. suffix end
  end
end
local CHUNK = 64
local readers = {}
for i, key in ipairs(keys) do readers[i] = { key = key, buf = {}, pos = 1, off = 0, done = false } end
local function head(r)
  while true do
    if r.pos <= #r.buf then return r.buf[r.pos] end
    if r.done then return nil end
    local top = '+inf'
    if cs ~= '' then top = cs end
    local got = redis.call('ZRANGE', r.key, top, '-inf', 'BYSCORE', 'REV', 'LIMIT', r.off, CHUNK, 'WITHSCORES')
    r.off = r.off + #got / 2
    if #got < 2 * CHUNK then r.done = true end
    r.buf, r.pos = {}, 1
    for j = 1, #got, 2 do
      local id, score = got[j], tonumber(got[j + 1])
      if cs == '' or score < tonumber(cs) or id < cid then r.buf[#r.buf + 1] = { id, score } end
    end
  end
end
local function after(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] > b[1]) end
local function drop(r, id)
  redis.call('ZREM', r.key, id)
  r.off = r.off - 1
end
local rows, examined, last = {}, 0, nil
while #rows < limit and examined < budget do
  local best, br = nil, nil
  for _, r in ipairs(readers) do
    local h = head(r)
    if h and ((not best) or after(h, best)) then best, br = h, r end
  end
  if not best then last = nil; break end
  br.pos = br.pos + 1
  examined = examined + 1
  last = best
  local id = best[1]
  if kind == 'task' then
    local key = root .. 'task:' .. id
    local t = redis.call('HMGET', key, 'status', 'attempts', 'fn', 'executor', 'created', 'started', 'finished', 'timeout', 'tenant')
    if not t[1] then
      drop(br, id)
    elseif string.find(suffix, ':status:', 1, true) == 1 and ':status:' .. t[1] ~= suffix then
      drop(br, id)
    elseif want == '' or want == t[1] then
      local result = false
      if is_final(t[1]) and redis.call('HSTRLEN', key, 'result') <= max_result then result = redis.call('HGET', key, 'result') or false end
      rows[#rows + 1] = { id, t[1], t[2] or '0', t[3] or '', t[4] or '', t[5] or '', t[6] or '', t[7] or '', t[8] or '', result, t[9] or 'default' }
    end
  else
    local f = redis.call('HMGET', root .. 'fn:' .. id, 'name', 'created', 'tenant')
    if not f[2] then drop(br, id)
    else rows[#rows + 1] = { id, f[1] or '', f[2], f[3] or 'default' } end
  end
end
if last then
  local more = false
  for _, r in ipairs(readers) do if head(r) then more = true end end
  if not more then last = nil end
end
local out = { false, false }
if last then out = { tostring(last[2]), last[1] } end
for _, row in ipairs(rows) do out[#out + 1] = row end
return out
`;

/** A page request: after `cursor` (from an earlier page; none for the newest), at most `limit` rows. */
export interface PageQuery {
  limit: number;
  cursor?: string;
}

/** What one LIST_INDEX call reads. */
export interface IndexQuery extends PageQuery {
  kind: "task" | "fn";
  /** The tenant whose index is read; null for every tenant's (admin). */
  tenant: string | null;
  /** The index key after `{root}tenant:{t}`, e.g. `:tasks`, `:status:QUEUED`, `:fn:{id}:tasks`, `:functions`. */
  suffix: string;
  /** Keep only tasks in this status ("" or undefined: all). */
  status?: string;
}

/** Most index members one page examines (a filter that matches rarely ends a page early, with a cursor). */
export const PAGE_BUDGET = 2000;

/** Largest result, in bytes, a listing carries inline (null past it: read the task by id). */
export const LIST_RESULT_MAX_BYTES = 64 * 1024;

interface ListCommand {
  faasListIndex(numKeys: number, ...args: string[]): Promise<(string | false | null | (string | false | null)[])[]>;
}

/** Register the script on a connection (once per connection). */
export function defineListIndex(redis: Redis): void {
  redis.defineCommand("faasListIndex", { lua: LIST_INDEX });
}

const CURSOR_RE = /^(\d{1,16})~([0-9a-f-]{36})$/;

/** The cursor after (score, id), opaque to clients. */
export function encodeCursor(score: string, id: string): string {
  return `${score}~${id}`;
}

/** [score, id] of a cursor; BAD_REQUEST when it is not one of ours. */
export function decodeCursor(cursor: string): [string, string] {
  const m = CURSOR_RE.exec(cursor);
  if (!m) throw new FaasError("BAD_REQUEST", "invalid query parameter: \"cursor\" must be a next_cursor from an earlier page");
  return [m[1]!, m[2]!];
}

/** One page: the rows (as the script returns them) and the cursor of the next page, or null at the end. */
export async function listIndex(redis: Redis, keys: Keys, q: IndexQuery): Promise<{ rows: (string | null)[][]; nextCursor: string | null }> {
  const [cs, cid] = q.cursor ? decodeCursor(q.cursor) : ["", ""];
  const reply = await (redis as unknown as ListCommand).faasListIndex(
    0, q.kind, keys.root, q.tenant ?? "", q.suffix, q.status ?? "", cs, cid, String(q.limit), String(PAGE_BUDGET), String(LIST_RESULT_MAX_BYTES),
  );
  const [score, id, ...rows] = reply;
  const nextCursor = typeof score === "string" && typeof id === "string" ? encodeCursor(score, id) : null;
  return { rows: rows.map((r) => (r as (string | false | null)[]).map((v) => (typeof v === "string" ? v : null))), nextCursor };
}
