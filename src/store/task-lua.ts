/** Lua helpers the task scripts share: which statuses are final, and the tenants' task indexes for listing. */

/**
 * Helpers every task script includes, before its own code. `root` is the key prefix with its colon (`faas:`); the
 * index keys it builds are the ones keys.ts names (`tenantTasks`, `tenantStatusTasks`, `tenantFunctionTasks`):
 * - `is_final(status)`: COMPLETED, FAILED or CANCELLED;
 * - `idx_base(root, tenant)`: `faas:tenant:{tenant}` (a missing tenant is `default`);
 * - `idx_move(root, tid, tenant, created, from, to)`: the task leaves the status index `from` (unless
 *   nil) and joins `to` (score: its created time, ms); a final index is marked for trimming;
 * - `idx_trim(root, tenant, fn)`: marks the tenant's `:tasks` and `:fn:{fn}:tasks` for trimming (called where a task
 *   ends: the listings cover the last TTL of tasks);
 * - `idx_flush(now, ttl)`: every index marked drops its members created before `now - ttl`, once per script call
 *   however many tasks of the batch marked it (the end of each script that ends tasks calls it);
 * - `idx_new(taskKey, openKey, tid, fn, created, tenant)`: a new task joins its tenant's `:tasks`,
 *   `:status:QUEUED` and `:fn:{fn}:tasks` (score: created) and the tenant joins `{root}tenants`. The index keys
 *   are derived from the tenant's open set (`{root}tenant:{t}:open`) and the root from the task key
 *   (`{root}task:{tid}`), so the create scripts need no more arguments;
 * - `idx_new_many(taskKey, openKey, tid, tids, fns, created, tenant)`: idx_new for a batch (CREATE_TASKS), each
 *   index written with one ZADD per 1,000 tasks; `taskKey` and `tid` are any one task's (for the root). Keep the two
 *   in step: a test compares the keys a task made alone and one made in a batch leave.
 * Reads that meet a member whose task hash is gone (expired) drop it (LIST_TASKS).
 */
export const TASK_INDEX_LUA = `
local function is_final(s) return s == 'COMPLETED' or s == 'FAILED' or s == 'CANCELLED' end
local function idx_base(root, tenant)
  if (not tenant) or tenant == '' then tenant = 'default' end
  return root .. 'tenant:' .. tenant
end
local idx_trims = {}
local function idx_move(root, tid, tenant, created, from, to)
  if from == to then return end
  local base = idx_base(root, tenant) .. ':status:'
  if from then redis.call('ZREM', base .. from, tid) end
  redis.call('ZADD', base .. to, tonumber(created) or 0, tid)
  if is_final(to) then idx_trims[base .. to] = true end
end
local function idx_trim(root, tenant, fn)
  local base = idx_base(root, tenant)
  idx_trims[base .. ':tasks'] = true
  if fn then idx_trims[base .. ':fn:' .. fn .. ':tasks'] = true end
end
local function idx_flush(now, ttl)
  local cutoff = '(' .. tostring(tonumber(now) - tonumber(ttl))
  for key in pairs(idx_trims) do redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff) end
  idx_trims = {}
end
local function idx_new(taskKey, openKey, tid, fn, created, tenant)
  local base = string.sub(openKey, 1, -6)
  redis.call('ZADD', base .. ':tasks', created, tid)
  redis.call('ZADD', base .. ':status:QUEUED', created, tid)
  redis.call('ZADD', base .. ':fn:' .. fn .. ':tasks', created, tid)
  redis.call('SADD', string.sub(taskKey, 1, #taskKey - #tid - 5) .. 'tenants', tenant)
end
local function idx_zadd_all(key, args)
  for i = 1, #args, 2000 do redis.call('ZADD', key, unpack(args, i, math.min(i + 1999, #args))) end
end
local function idx_new_many(taskKey, openKey, tid, tids, fns, created, tenant)
  local base = string.sub(openKey, 1, -6)
  local all, byFn = {}, {}
  for i, t in ipairs(tids) do
    all[#all + 1] = created
    all[#all + 1] = t
    local f = byFn[fns[i]]
    if not f then
      f = {}
      byFn[fns[i]] = f
    end
    f[#f + 1] = created
    f[#f + 1] = t
  end
  idx_zadd_all(base .. ':tasks', all)
  idx_zadd_all(base .. ':status:QUEUED', all)
  for fn, args in pairs(byFn) do idx_zadd_all(base .. ':fn:' .. fn .. ':tasks', args) end
  redis.call('SADD', string.sub(taskKey, 1, #taskKey - #tid - 5) .. 'tenants', tenant)
end
`;
