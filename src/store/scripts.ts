/** Lua scripts that make each task step one atomic Redis round trip. */
import { INLINE_RESULT_MAX_BYTES } from "./done-announcement.ts";
import { TASK_INDEX_LUA } from "./task-lua.ts";
import { TASK_STATS_LUA } from "./task-stats.ts";

/**
 * The writes that make one new task, shared by CREATE_TASK and CREATE_TASKS (one task, a batch) so both keep the
 * same records, queue entries and tenant accounting: a Lua function `faas_new_task(taskKey, queueKey, openKey,
 * taskId, fnId, args, created, timeout, tenant, now, known)` (`known`: the function's record names the tenant, see
 * idx_new). Its caller has checked the function, the deadline and the quota already. And `faas_trim_open(openKey, n, budget, taskPrefix, now)`: the lazy trim of a tenant's unfinished
 * set (see CREATE_TASK), checking `budget` of its least recently checked members; returns the count `n` less those
 * dropped. Includes TASK_INDEX_LUA (task-lua.ts): `faas_new_task` also adds the task to its tenant's listing indexes.
 * `faas_new_tasks(taskKeys, queueKey, openKey, taskIds, fnIds, argsList, created, timeouts, tenant, now, known)` is
 * faas_new_task for a batch: the same writes, each sorted set written once per 1,000 tasks (one ZADD, not one per
 * task). A test checks that a task made alone and one made in a batch leave the same keys.
 */
export const NEW_TASK_LUA = `${TASK_INDEX_LUA}
local function faas_new_task(taskKey, queueKey, openKey, taskId, fnId, args, created, timeout, tenant, now, known)
  redis.call('HSET', taskKey, 'fn', fnId, 'args', args, 'status', 'QUEUED', 'attempts', '0', 'created', created, 'timeout', timeout, 'tenant', tenant)
  redis.call('XADD', queueKey, '*', 't', taskId)
  redis.call('ZADD', openKey, now, taskId)
  idx_new(taskKey, openKey, taskId, fnId, created, tenant, known)
end
local function faas_new_tasks(taskKeys, queueKey, openKey, taskIds, fnIds, argsList, created, timeouts, tenant, now, known)
  local open = {}
  for i, tid in ipairs(taskIds) do
    redis.call('HSET', taskKeys[i], 'fn', fnIds[i], 'args', argsList[i], 'status', 'QUEUED', 'attempts', '0', 'created', created, 'timeout', timeouts[i], 'tenant', tenant)
    redis.call('XADD', queueKey, '*', 't', tid)
    open[#open + 1] = now
    open[#open + 1] = tid
  end
  idx_zadd_all(openKey, open)
  idx_new_many(taskKeys[1], openKey, taskIds[1], taskIds, fnIds, created, tenant, known)
end
local function faas_trim_open(openKey, n, budget, taskPrefix, now)
  local gone, kept = {}, {}
  for _, id in ipairs(redis.call('ZRANGE', openKey, 0, budget - 1)) do
    local s = redis.call('HGET', taskPrefix .. id, 'status')
    if (not s) or is_final(s) then
      gone[#gone + 1] = id
    else
      kept[#kept + 1] = now
      kept[#kept + 1] = id
    end
  end
  for i = 1, #gone, 1000 do redis.call('ZREM', openKey, unpack(gone, i, math.min(i + 999, #gone))) end
  idx_zadd_all(openKey, kept)
  return n - #gone
end
`;

/**
 * Create a QUEUED task and append it to the queue, if its function exists and is the caller's tenant's (or the
 * caller is admin), its request is not past its deadline, its idempotency key (optional 5th key) names no earlier
 * task, and the tenant has fewer than maxQueued unfinished tasks. The deadline is compared with Redis's own
 * clock (TIME), so a create that waited in a frozen Redis or a client's offline queue until its request was
 * answered with an error never runs. A create re-sent for a task id that exists (a reconnect resending an
 * unanswered command) changes nothing.
 * The tenant's unfinished tasks are the sorted set KEYS[4] (score: when last added or checked, ms): a task leaves it
 * when it becomes final (SETTLE_TASKS, LOAD_TASKS, CANCEL_TASK: idx_close in task-lua.ts). As a fallback for
 * members whose task went without being closed (expired or deleted unfinished), a create that finds the set full
 * checks its 100 least recently checked members, drops those whose task is final or gone and moves the others to
 * the back; a create with room checks none.
 * KEYS: fn, task, queue, tenant's open set[, idempotency]. ARGV: taskId, fnId, args, now, timeoutMs|"", deadline
 * (epoch ms on the Redis clock), idempotencyTtlMs, tenant, admin ("1"/"0"), maxQueued, task key prefix.
 * Returns 1 (created), 0 (unknown function, or another tenant's), -1 (past its deadline), -2 (the tenant has
 * maxQueued unfinished tasks), or the id of the task created earlier with the same idempotency key.
 */
export const CREATE_TASK = `${NEW_TASK_LUA}
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[6]) then return -1 end
if KEYS[5] then
  local earlier = redis.call('GET', KEYS[5])
  if earlier then return earlier end
end
local f = redis.call('HMGET', KEYS[1], 'created', 'tenant')
if not f[1] then return 0 end
if ARGV[9] ~= '1' and (f[2] or 'default') ~= ARGV[8] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
local max = tonumber(ARGV[10])
local n = redis.call('ZCARD', KEYS[4])
if n >= max then n = faas_trim_open(KEYS[4], n, 100, ARGV[11], now) end
if n >= max then return -2 end
faas_new_task(KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[8], now, f[2] == ARGV[8])
if KEYS[5] then redis.call('SET', KEYS[5], ARGV[1], 'PX', ARGV[7]) end
return 1
`;

/**
 * Load a batch of delivered queue entries, changing no live task's state. For each (lane, streamId, taskId): a
 * task that is gone or final (CANCELLED included: a cancelled task never runs) is acknowledged and skipped; one
 * that already used its attempts is FAILED with ARGV[5]; one whose function was deleted is FAILED with ARGV[8]
 * (unless it is ""); both are announced on the channel, their state inline when small (see done-announcement.ts),
 * move in the listing indexes and leave their tenant's unfinished set (task-lua.ts). Else its fn id, args, timeout
 * and attempts so far are returned. Whether a function exists is read once per function per call.
 * KEYS: queue, retry, then one task key per entry. ARGV: group, now, maxAttempts, ttlMs, lostError, channel, root
 * (key prefix with its colon), deletedError, pythonLostError (the lost error for a Python function's task, or ""),
 * then lane ("q" or "r"), streamId, taskId triples. Returns a list
 * with, per entry, false or { taskId, fn, args, timeout, attempts }.
 */
export const LOAD_TASKS = `${TASK_INDEX_LUA}${TASK_STATS_LUA}
local out = {}
local root = ARGV[7]
local n = #KEYS - 2
local function fail(key, stream, sid, tid, t, result)
  redis.call('HSET', key, 'status', 'FAILED', 'result', result, 'finished', ARGV[2])
  redis.call('PEXPIRE', key, ARGV[4])
  redis.call('XACK', stream, ARGV[1], sid)
  redis.call('XDEL', stream, sid)
  idx_move(root, tid, t[6], t[7], t[1], 'FAILED')
  idx_close(root, t[6], tid)
  idx_trim(root, t[6], t[3])
  stats_finished('FAILED', ARGV[2], nil)
  local state = '[false]'
  if #result <= ${INLINE_RESULT_MAX_BYTES} then state = cjson.encode({ { 'FAILED', result } }) end
  redis.call('PUBLISH', ARGV[6], tid .. '\\n' .. state)
end
local fn_exists = {}
local function fn_gone(fn)
  local e = fn_exists[fn]
  if e == nil then
    e = redis.call('EXISTS', root .. 'fn:' .. fn) == 1
    fn_exists[fn] = e
  end
  return not e
end
for i = 1, n do
  local key = KEYS[i + 2]
  local stream = KEYS[1]
  if ARGV[7 + 3 * i] == 'r' then stream = KEYS[2] end
  local sid = ARGV[8 + 3 * i]
  local tid = ARGV[9 + 3 * i]
  local t = redis.call('HMGET', key, 'status', 'attempts', 'fn', 'args', 'timeout', 'tenant', 'created')
  local status = t[1]
  if (not status) or is_final(status) then
    redis.call('XACK', stream, ARGV[1], sid)
    redis.call('XDEL', stream, sid)
    out[i] = false
  else
    local attempts = tonumber(t[2]) or 0
    if attempts >= tonumber(ARGV[3]) then
      local lost = ARGV[5]
      if ARGV[9] ~= '' and redis.call('HGET', root .. 'fn:' .. (t[3] or ''), 'runtime') == 'python' then lost = ARGV[9] end
      fail(key, stream, sid, tid, t, lost)
      out[i] = false
    elseif ARGV[8] ~= '' and fn_gone(t[3] or '') then
      fail(key, stream, sid, tid, t, ARGV[8])
      out[i] = false
    else
      out[i] = { tid, t[3], t[4], t[5] or '', tostring(attempts) }
    end
  end
end
idx_flush(ARGV[2], ARGV[4], true)
stats_flush(root)
return out
`;

/**
 * Apply a batch of the dispatcher's state changes in order (see Settlement in dispatch-queue.ts). Per change,
 * ten fields: kind, lane ("q"/"r"), streamId, taskId, a, b, c, d, e, logs (the task's log text, or "": finish and
 * requeue write it to `{task key}:logs` with the TTL, replacing what was there; a finish for a task CANCELLED
 * meanwhile writes it too, with the task's remaining TTL: the lines up to the cancel).
 * - `s` start: a = attempt number, b = executor, c = started (epoch ms): RUNNING, unless a later attempt is recorded.
 * - `f` finish: a = status, b = result, c = executor, and when d is not "" the start it had (d = attempt number,
 *   e = started): the final state, once; TTL; entry acknowledged and deleted.
 * - `r` requeue: a = attempt number: QUEUED again if that attempt is the latest and RUNNING; the entry stays
 *   pending with its dispatcher.
 * - `h` handback: entry acknowledged and deleted; QUEUED and a new entry on the retry stream.
 * Changes to a task that is gone or final (CANCELLED included) are skipped (a finish still acknowledges its
 * entry). Every status change moves the task in its tenant's status index, a finished task leaves its tenant's
 * unfinished set, and the indexes it ends in are trimmed when ARGV[6] is "1" (task-lua.ts). Finished tasks are
 * announced in one message: ids separated by spaces, a newline, a JSON array with `[status, result]` per task
 * or `false` when the result is too large to go inline (see done-announcement.ts).
 * KEYS: queue, retry, then one task key per change. ARGV: group, now, ttlMs, channel, root (key prefix with its
 * colon), trim ("1"/"0"), then the changes' fields. Returns how many finishes were written.
 */
export const SETTLE_TASKS = `${TASK_INDEX_LUA}${TASK_STATS_LUA}
local written = 0
local ids = {}
local states = {}
local root = ARGV[5]
local n = #KEYS - 2
-- entries to acknowledge and delete, per stream: one XACK and one XDEL each at the end
local acks = { [KEYS[1]] = {}, [KEYS[2]] = {} }
local function ack(stream, sid) local a = acks[stream] a[#a + 1] = sid end
for i = 1, n do
  local key = KEYS[i + 2]
  local base = 6 + 10 * (i - 1)
  local kind = ARGV[base + 1]
  local logs = ARGV[base + 10]
  local stream = KEYS[1]
  if ARGV[base + 2] == 'r' then stream = KEYS[2] end
  local sid = ARGV[base + 3]
  local tid = ARGV[base + 4]
  local h
  if kind == 'f' then h = redis.call('HMGET', key, 'status', 'attempts', 'tenant', 'created', 'fn', 'started')
  else h = redis.call('HMGET', key, 'status', 'attempts', 'tenant', 'created') end
  local status = h[1]
  local live = status and not is_final(status)
  local attempts = tonumber(h[2]) or 0
  if kind == 's' then
    if live and tonumber(ARGV[base + 5]) >= attempts then
      redis.call('HSET', key, 'status', 'RUNNING', 'attempts', ARGV[base + 5], 'executor', ARGV[base + 6], 'started', ARGV[base + 7])
      idx_move(root, tid, h[3], h[4], status, 'RUNNING')
      if ARGV[base + 5] == '1' then stats_observe('wait', tonumber(ARGV[base + 7]) - (tonumber(h[4]) or tonumber(ARGV[base + 7]))) end
    end
  elseif kind == 'f' then
    if live then
      local result = ARGV[base + 6]
      if ARGV[base + 8] ~= '' and tonumber(ARGV[base + 8]) >= attempts then
        redis.call('HSET', key, 'status', ARGV[base + 5], 'result', result, 'finished', ARGV[2], 'executor', ARGV[base + 7], 'attempts', ARGV[base + 8], 'started', ARGV[base + 9])
      else
        redis.call('HSET', key, 'status', ARGV[base + 5], 'result', result, 'finished', ARGV[2], 'executor', ARGV[base + 7])
      end
      redis.call('PEXPIRE', key, ARGV[3])
      idx_move(root, tid, h[3], h[4], status, ARGV[base + 5])
      idx_close(root, h[3], tid)
      idx_trim(root, h[3], h[5])
      if ARGV[base + 8] == '1' then stats_observe('wait', tonumber(ARGV[base + 9]) - (tonumber(h[4]) or tonumber(ARGV[base + 9]))) end
      stats_finished(ARGV[base + 5], ARGV[2], ARGV[base + 8] ~= '' and ARGV[base + 9] or h[6])
      if logs ~= '' then redis.call('SET', key .. ':logs', logs, 'PX', ARGV[3]) end
      written = written + 1
      ids[written] = tid
      if #result <= ${INLINE_RESULT_MAX_BYTES} then states[written] = { ARGV[base + 5], result } else states[written] = false end
    elseif status == 'CANCELLED' and logs ~= '' then
      local ttl = redis.call('PTTL', key)
      if ttl <= 0 then ttl = ARGV[3] end
      redis.call('SET', key .. ':logs', logs, 'PX', ttl)
    end
    if sid ~= '' then ack(stream, sid) end
  elseif kind == 'r' then
    if live and status == 'RUNNING' and tonumber(ARGV[base + 5]) == attempts then
      redis.call('HSET', key, 'status', 'QUEUED')
      idx_move(root, tid, h[3], h[4], status, 'QUEUED')
      stats_count('requeued', 1)
      if logs ~= '' then redis.call('SET', key .. ':logs', logs, 'PX', ARGV[3]) end
    end
  elseif kind == 'h' then
    if sid ~= '' then ack(stream, sid) end
    if live then
      redis.call('HSET', key, 'status', 'QUEUED')
      redis.call('XADD', KEYS[2], '*', 't', tid)
      idx_move(root, tid, h[3], h[4], status, 'QUEUED')
      stats_count('requeued', 1)
    end
  end
end
for stream, sids in pairs(acks) do
  for i = 1, #sids, 1000 do
    redis.call('XACK', stream, ARGV[1], unpack(sids, i, math.min(i + 999, #sids)))
    redis.call('XDEL', stream, unpack(sids, i, math.min(i + 999, #sids)))
  end
end
if written > 0 then redis.call('PUBLISH', ARGV[4], table.concat(ids, ' ') .. '\\n' .. cjson.encode(states)) end
idx_flush(ARGV[2], ARGV[3], ARGV[6] == '1')
stats_flush(root)
return written
`;

/**
 * Create a batch of QUEUED tasks, all or none, with the writes of CREATE_TASK (`faas_new_tasks`, its batch form): every
 * function must exist and be the caller's tenant's (or the caller admin), the request must not be past its
 * deadline (Redis's clock), and the tenant must have room for the whole batch under maxQueued (when short of room,
 * its unfinished set is trimmed as in CREATE_TASK: 100 members checked, and one more per task of the batch, at most
 * 1,100). The batch record (a hash:
 * tenant, created, ids space-separated in order) expires after batchTtlMs. A create re-sent for a batch id that
 * exists changes nothing.
 * KEYS: queue, tenant's open set, batch, idempotency (ignored unless ARGV[8] is "1"), then nf function keys, then
 * one task key per task. ARGV: created (epoch ms), deadline (epoch ms on the Redis clock), idempotencyTtlMs, tenant,
 * admin ("1"/"0"), maxQueued, task key prefix, idempotency ("1"/"0"), batchTtlMs, batchId, nf, then the nf function
 * ids, then per task: function number (1..nf), taskId, args, timeoutMs|"".
 * Returns {1} (created), {0, j} (function number j unknown or another tenant's), {-1} (past its deadline),
 * {-2, n} (the tenant has n unfinished tasks: no room), or {2, batchId} (the idempotency key's earlier batch).
 */
export const CREATE_TASKS = `${NEW_TASK_LUA}
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[2]) then return { -1 } end
if ARGV[8] == '1' then
  local earlier = redis.call('GET', KEYS[4])
  if earlier then return { 2, earlier } end
end
if redis.call('EXISTS', KEYS[3]) == 1 then return { 1 } end
local nf = tonumber(ARGV[11])
local known = false
for j = 1, nf do
  local f = redis.call('HMGET', KEYS[4 + j], 'created', 'tenant')
  if not f[1] then return { 0, j } end
  if ARGV[5] ~= '1' and (f[2] or 'default') ~= ARGV[4] then return { 0, j } end
  if f[2] == ARGV[4] then known = true end
end
local count = #KEYS - 4 - nf
local max = tonumber(ARGV[6])
local n = redis.call('ZCARD', KEYS[2])
if n + count > max then n = faas_trim_open(KEYS[2], n, math.min(count, 1000) + 100, ARGV[7], now) end
if n + count > max then return { -2, n } end
local ids, taskKeys, fns, argsList, timeouts = {}, {}, {}, {}, {}
local base = 11 + nf
for i = 1, count do
  local a = base + 4 * (i - 1)
  ids[i] = ARGV[a + 2]
  taskKeys[i] = KEYS[4 + nf + i]
  fns[i] = ARGV[11 + tonumber(ARGV[a + 1])]
  argsList[i] = ARGV[a + 3]
  timeouts[i] = ARGV[a + 4]
end
faas_new_tasks(taskKeys, KEYS[1], KEYS[2], ids, fns, argsList, ARGV[1], timeouts, ARGV[4], now, known)
redis.call('HSET', KEYS[3], 'tenant', ARGV[4], 'created', ARGV[1], 'ids', table.concat(ids, ' '))
redis.call('PEXPIRE', KEYS[3], ARGV[9])
if ARGV[8] == '1' then redis.call('SET', KEYS[4], ARGV[10], 'PX', ARGV[3]) end
return { 1 }
`;
