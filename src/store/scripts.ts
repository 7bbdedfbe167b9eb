/** Lua scripts that make each task step one atomic Redis round trip. */
import { INLINE_RESULT_MAX_BYTES } from "./done-announcement.ts";

/**
 * Create a QUEUED task and append it to the queue, if its function exists and is the caller's tenant's (or the
 * caller is admin), its request is not past its deadline, its idempotency key (optional 5th key) names no earlier
 * task, and the tenant has fewer than maxQueued unfinished tasks. The deadline is compared with Redis's own
 * clock (TIME), so a create that waited in a frozen Redis or a client's offline queue until its request was
 * answered with an error never runs. A create re-sent for a task id that exists (a reconnect resending an
 * unanswered command) changes nothing.
 * The tenant's unfinished tasks are the sorted set KEYS[4] (score: when last added or checked, ms), trimmed lazily
 * here: each create checks the 2 least recently checked members (100 when the set is full), drops those whose
 * task is final or gone and moves the others to the back; so no dispatcher script needs to know of tenants.
 * KEYS: fn, task, queue, tenant's open set[, idempotency]. ARGV: taskId, fnId, args, now, timeoutMs|"", deadline
 * (epoch ms on the Redis clock), idempotencyTtlMs, tenant, admin ("1"/"0"), maxQueued, task key prefix.
 * Returns 1 (created), 0 (unknown function, or another tenant's), -1 (past its deadline), -2 (the tenant has
 * maxQueued unfinished tasks), or the id of the task created earlier with the same idempotency key.
 */
export const CREATE_TASK = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[6]) then return -1 end
if KEYS[5] then
  local earlier = redis.call('GET', KEYS[5])
  if earlier then return earlier end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[9] ~= '1' and (redis.call('HGET', KEYS[1], 'tenant') or 'default') ~= ARGV[8] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
local max = tonumber(ARGV[10])
local n = redis.call('ZCARD', KEYS[4])
local budget = 2
if n >= max then budget = 100 end
for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, budget - 1)) do
  local s = redis.call('HGET', ARGV[11] .. id, 'status')
  if (not s) or s == 'COMPLETED' or s == 'FAILED' then
    redis.call('ZREM', KEYS[4], id)
    n = n - 1
  else
    redis.call('ZADD', KEYS[4], now, id)
  end
end
if n >= max then return -2 end
redis.call('HSET', KEYS[2], 'fn', ARGV[2], 'args', ARGV[3], 'status', 'QUEUED', 'attempts', '0', 'created', ARGV[4], 'timeout', ARGV[5], 'tenant', ARGV[8])
redis.call('XADD', KEYS[3], '*', 't', ARGV[1])
redis.call('ZADD', KEYS[4], now, ARGV[1])
if KEYS[5] then redis.call('SET', KEYS[5], ARGV[1], 'PX', ARGV[7]) end
return 1
`;

/**
 * Load a batch of delivered queue entries, changing no live task's state. For each (lane, streamId, taskId): a
 * task that is gone or final is acknowledged and skipped; one that already used its attempts is FAILED with
 * ARGV[5] (and announced on the channel, its state inline when small: see done-announcement.ts); else its fn id,
 * args, timeout and attempts so far are returned.
 * KEYS: queue, retry, then one task key per entry. ARGV: group, now, maxAttempts, ttlMs, lostError, channel, then
 * lane ("q" or "r"), streamId, taskId triples. Returns a list with, per entry, false or { taskId, fn, args,
 * timeout, attempts }.
 */
export const LOAD_TASKS = `
local out = {}
local lost = nil
local n = #KEYS - 2
for i = 1, n do
  local key = KEYS[i + 2]
  local stream = KEYS[1]
  if ARGV[4 + 3 * i] == 'r' then stream = KEYS[2] end
  local sid = ARGV[5 + 3 * i]
  local tid = ARGV[6 + 3 * i]
  local t = redis.call('HMGET', key, 'status', 'attempts', 'fn', 'args', 'timeout')
  local status = t[1]
  if (not status) or status == 'COMPLETED' or status == 'FAILED' then
    redis.call('XACK', stream, ARGV[1], sid)
    redis.call('XDEL', stream, sid)
    out[i] = false
  else
    local attempts = tonumber(t[2]) or 0
    if attempts >= tonumber(ARGV[3]) then
      redis.call('HSET', key, 'status', 'FAILED', 'result', ARGV[5], 'finished', ARGV[2])
      redis.call('PEXPIRE', key, ARGV[4])
      redis.call('XACK', stream, ARGV[1], sid)
      redis.call('XDEL', stream, sid)
      if not lost then
        lost = '[false]'
        if #ARGV[5] <= ${INLINE_RESULT_MAX_BYTES} then lost = cjson.encode({ { 'FAILED', ARGV[5] } }) end
      end
      redis.call('PUBLISH', ARGV[6], tid .. '\\n' .. lost)
      out[i] = false
    else
      out[i] = { tid, t[3], t[4], t[5] or '', tostring(attempts) }
    end
  end
end
return out
`;

/**
 * Apply a batch of the dispatcher's state changes in order (see Settlement in dispatch-queue.ts). Per change,
 * nine fields: kind, lane ("q"/"r"), streamId, taskId, a, b, c, d, e.
 * - `s` start: a = attempt number, b = executor, c = started (epoch ms): RUNNING, unless a later attempt is recorded.
 * - `f` finish: a = status, b = result, c = executor, and when d is not "" the start it had (d = attempt number,
 *   e = started): the final state, once; TTL; entry acknowledged and deleted.
 * - `r` requeue: a = attempt number: QUEUED again if that attempt is the latest and RUNNING; the entry stays
 *   pending with its dispatcher.
 * - `h` handback: entry acknowledged and deleted; QUEUED and a new entry on the retry stream.
 * Changes to a task that is gone or final are skipped (a finish still acknowledges its entry). Finished tasks
 * are announced in one message: ids separated by spaces, a newline, a JSON array with `[status, result]` per task
 * or `false` when the result is too large to go inline (see done-announcement.ts).
 * KEYS: queue, retry, then one task key per change. ARGV: group, now, ttlMs, channel, then the changes' fields.
 * Returns how many finishes were written.
 */
export const SETTLE_TASKS = `
local written = 0
local ids = {}
local states = {}
local n = #KEYS - 2
for i = 1, n do
  local key = KEYS[i + 2]
  local base = 4 + 9 * (i - 1)
  local kind = ARGV[base + 1]
  local stream = KEYS[1]
  if ARGV[base + 2] == 'r' then stream = KEYS[2] end
  local sid = ARGV[base + 3]
  local tid = ARGV[base + 4]
  local status = redis.call('HGET', key, 'status')
  local live = status and status ~= 'COMPLETED' and status ~= 'FAILED'
  local function attempts() return tonumber(redis.call('HGET', key, 'attempts')) or 0 end
  if kind == 's' then
    if live and tonumber(ARGV[base + 5]) >= attempts() then
      redis.call('HSET', key, 'status', 'RUNNING', 'attempts', ARGV[base + 5], 'executor', ARGV[base + 6], 'started', ARGV[base + 7])
    end
  elseif kind == 'f' then
    if live then
      local result = ARGV[base + 6]
      redis.call('HSET', key, 'status', ARGV[base + 5], 'result', result, 'finished', ARGV[2], 'executor', ARGV[base + 7])
      if ARGV[base + 8] ~= '' and tonumber(ARGV[base + 8]) >= attempts() then
        redis.call('HSET', key, 'attempts', ARGV[base + 8], 'started', ARGV[base + 9])
      end
      redis.call('PEXPIRE', key, ARGV[3])
      written = written + 1
      ids[written] = tid
      if #result <= ${INLINE_RESULT_MAX_BYTES} then states[written] = { ARGV[base + 5], result } else states[written] = false end
    end
    if sid ~= '' then
      redis.call('XACK', stream, ARGV[1], sid)
      redis.call('XDEL', stream, sid)
    end
  elseif kind == 'r' then
    if live and status == 'RUNNING' and tonumber(ARGV[base + 5]) == attempts() then redis.call('HSET', key, 'status', 'QUEUED') end
  elseif kind == 'h' then
    if sid ~= '' then
      redis.call('XACK', stream, ARGV[1], sid)
      redis.call('XDEL', stream, sid)
    end
    if live then
      redis.call('HSET', key, 'status', 'QUEUED')
      redis.call('XADD', KEYS[2], '*', 't', tid)
    end
  end
end
if written > 0 then redis.call('PUBLISH', ARGV[4], table.concat(ids, ' ') .. '\\n' .. cjson.encode(states)) end
return written
`;
