/** Lua helpers the task scripts share: which statuses are final, and the tenants' task indexes for listing. */

/**
 * Helpers every task script includes, before its own code. `root` is the key prefix with its colon (`faas:`); the
 * index keys it builds are the ones keys.ts names (`tenantTasks`, `tenantStatusTasks`, `tenantFunctionTasks`,
 * `tenantOpenTasks`):
 * - `is_final(status)`: COMPLETED, FAILED or CANCELLED;
 * - `idx_base(root, tenant)`: `faas:tenant:{tenant}` (a missing tenant is `default`);
 * - `idx_move(root, tid, tenant, created, from, to)`: the task leaves the status index `from` (unless
 *   nil) and joins `to` (score: its created time, ms); a final index is marked for trimming. Moves are kept per
 *   task until `idx_flush`: a task moved twice in one call (QUEUED → RUNNING → COMPLETED) is written once, from its
 *   first index to its last, and each index is written with one ZREM and one ZADD per call however many tasks move;
 * - `idx_close(root, tenant, tid)`: the task is final: it leaves its tenant's unfinished set (`:open`, the
 *   `--max-queued` count) at `idx_flush`, one ZREM per tenant per call;
 * - `idx_trim(root, tenant, fn)`: marks the tenant's `:tasks` and `:fn:{fn}:tasks` for trimming (called where a task
 *   ends: the listings cover the last TTL of tasks);
 * - `idx_flush(now, ttl, trim)`: writes the moves and closes; then, when `trim`, every index marked drops its members
 *   created before `now - ttl`, once per script call however many tasks of the batch marked it (the end of each
 *   script that ends tasks calls it; SETTLE_TASKS trims at most once a second per dispatcher, see task-queue.ts);
 * - `idx_new(taskKey, openKey, tid, fn, created, tenant, known)`: a new task joins its tenant's `:tasks`,
 *   `:status:QUEUED` and `:fn:{fn}:tasks` (score: created) and, unless `known` (its function's record names the
 *   tenant: registering it added the tenant already), the tenant joins `{root}tenants`. The index keys
 *   are derived from the tenant's open set (`{root}tenant:{t}:open`) and the root from the task key
 *   (`{root}task:{tid}`), so the create scripts need no more arguments;
 * - `idx_new_many(taskKey, openKey, tid, tids, fns, created, tenant, known)`: idx_new for a batch (CREATE_TASKS), each
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
local function idx_push(lists, key, a, b)
  local l = lists[key]
  if not l then
    l = {}
    lists[key] = l
  end
  l[#l + 1] = a
  if b then l[#l + 1] = b end
end
local function idx_call_all(cmd, key, args, step)
  for i = 1, #args, step do redis.call(cmd, key, unpack(args, i, math.min(i + step - 1, #args))) end
end
local function idx_zadd_all(key, args) idx_call_all('ZADD', key, args, 2000) end
local idx_trims, idx_moves, idx_order, idx_closed = {}, {}, {}, {}
local function idx_move(root, tid, tenant, created, from, to)
  local m = idx_moves[tid]
  if m then
    m[4] = to
    return
  end
  idx_moves[tid] = { idx_base(root, tenant) .. ':status:', tonumber(created) or 0, from, to }
  idx_order[#idx_order + 1] = tid
end
local function idx_close(root, tenant, tid) idx_push(idx_closed, idx_base(root, tenant) .. ':open', tid) end
local function idx_trim(root, tenant, fn)
  local base = idx_base(root, tenant)
  idx_trims[base .. ':tasks'] = true
  if fn then idx_trims[base .. ':fn:' .. fn .. ':tasks'] = true end
end
local function idx_flush(now, ttl, trim)
  local rem, add = {}, {}
  for _, tid in ipairs(idx_order) do
    local m = idx_moves[tid]
    if m[3] ~= m[4] then
      if m[3] then idx_push(rem, m[1] .. m[3], tid) end
      idx_push(add, m[1] .. m[4], m[2], tid)
      if is_final(m[4]) then idx_trims[m[1] .. m[4]] = true end
    end
  end
  for key, ids in pairs(rem) do idx_call_all('ZREM', key, ids, 1000) end
  for key, args in pairs(add) do idx_zadd_all(key, args) end
  for key, ids in pairs(idx_closed) do idx_call_all('ZREM', key, ids, 1000) end
  if trim then
    local cutoff = '(' .. tostring(tonumber(now) - tonumber(ttl))
    for key in pairs(idx_trims) do redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff) end
  end
  idx_trims, idx_moves, idx_order, idx_closed = {}, {}, {}, {}
end
local function idx_tenant(taskKey, tid, tenant, known)
  if not known then redis.call('SADD', string.sub(taskKey, 1, #taskKey - #tid - 5) .. 'tenants', tenant) end
end
local function idx_new(taskKey, openKey, tid, fn, created, tenant, known)
  local base = string.sub(openKey, 1, -6)
  redis.call('ZADD', base .. ':tasks', created, tid)
  redis.call('ZADD', base .. ':status:QUEUED', created, tid)
  redis.call('ZADD', base .. ':fn:' .. fn .. ':tasks', created, tid)
  idx_tenant(taskKey, tid, tenant, known)
end
local function idx_new_many(taskKey, openKey, tid, tids, fns, created, tenant, known)
  local base = string.sub(openKey, 1, -6)
  local all, byFn = {}, {}
  for i, t in ipairs(tids) do
    all[#all + 1] = created
    all[#all + 1] = t
    idx_push(byFn, fns[i], created, t)
  end
  idx_zadd_all(base .. ':tasks', all)
  idx_zadd_all(base .. ':status:QUEUED', all)
  for fn, args in pairs(byFn) do idx_zadd_all(base .. ':fn:' .. fn .. ':tasks', args) end
  idx_tenant(taskKey, tid, tenant, known)
end
`;
