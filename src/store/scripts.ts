/** Lua scripts that make each task step one atomic Redis round trip. */
import { INLINE_RESULT_MAX_BYTES } from "./done-announcement.ts";

/**
 * Create a QUEUED task and append it to the queue, if its function exists, its request is not past its deadline,
 * and its idempotency key (optional 4th key) names no earlier task. The deadline is compared with Redis's own
 * clock (TIME), so a create that waited in a frozen Redis or a client's offline queue until its request was
 * answered with an error never runs. A create re-sent for a task id that exists (a reconnect resending an
 * unanswered command) changes nothing.
 * KEYS: fn, task, queue[, idempotency]. ARGV: taskId, fnId, args, now, timeoutMs|"", deadline (epoch ms on the Redis
 * clock), idempotencyTtlMs. Returns 1 (created), 0 (unknown function), -1 (past its deadline), or the id of the
 * task created earlier with the same idempotency key.
 */
export const CREATE_TASK = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[6]) then return -1 end
if KEYS[4] then
  local earlier = redis.call('GET', KEYS[4])
  if earlier then return earlier end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
redis.call('HSET', KEYS[2], 'fn', ARGV[2], 'args', ARGV[3], 'status', 'QUEUED', 'attempts', '0', 'created', ARGV[4], 'timeout', ARGV[5])
redis.call('XADD', KEYS[3], '*', 't', ARGV[1])
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[7]) end
return 1
`;

/**
 * Start a batch of delivered queue entries. For each (streamId, taskId): a task that is gone or final is
 * acknowledged and skipped; one that already used its attempts is FAILED with ARGV[6] (and announced on the
 * channel, its state inline when small: see done-announcement.ts); else it turns RUNNING (attempts + 1) and its
 * fn id, args, timeout and attempts are returned.
 * KEYS: queue, then one task key per entry. ARGV: group, now, executor, maxAttempts, ttlMs, lostError, channel,
 * then streamId, taskId pairs. Returns a list with, per entry, false or { taskId, fn, args, timeout, attempts }.
 */
export const START_TASKS = `
local out = {}
local lost = nil
local n = #KEYS - 1
for i = 1, n do
  local key = KEYS[i + 1]
  local sid = ARGV[6 + 2 * i]
  local tid = ARGV[7 + 2 * i]
  local t = redis.call('HMGET', key, 'status', 'attempts', 'fn', 'args', 'timeout')
  local status = t[1]
  if (not status) or status == 'COMPLETED' or status == 'FAILED' then
    redis.call('XACK', KEYS[1], ARGV[1], sid)
    redis.call('XDEL', KEYS[1], sid)
    out[i] = false
  else
    local attempts = tonumber(t[2]) or 0
    if attempts >= tonumber(ARGV[4]) then
      redis.call('HSET', key, 'status', 'FAILED', 'result', ARGV[6], 'finished', ARGV[2])
      redis.call('PEXPIRE', key, ARGV[5])
      redis.call('XACK', KEYS[1], ARGV[1], sid)
      redis.call('XDEL', KEYS[1], sid)
      if not lost then
        lost = '[false]'
        if #ARGV[6] <= ${INLINE_RESULT_MAX_BYTES} then lost = cjson.encode({ { 'FAILED', ARGV[6] } }) end
      end
      redis.call('PUBLISH', ARGV[7], tid .. '\\n' .. lost)
      out[i] = false
    else
      redis.call('HSET', key, 'status', 'RUNNING', 'started', ARGV[2], 'attempts', tostring(attempts + 1), 'executor', ARGV[3])
      out[i] = { tid, t[3], t[4], t[5] or '', tostring(attempts + 1) }
    end
  end
end
return out
`;

/**
 * Finish a batch of tasks: write status/result once (a final task never changes), set the TTL, acknowledge and
 * delete the queue entry, and announce the written tasks on the channel in one message: their ids separated by
 * spaces, a newline, then a JSON array with `[status, result]` per task, or `false` when the result is too large
 * to go inline (see done-announcement.ts).
 * KEYS: queue, then one task key per entry. ARGV: group, now, ttlMs, channel, then per entry
 * streamId, taskId, status, result, executor. Returns how many tasks were written.
 */
export const FINISH_TASKS = `
local written = 0
local ids = {}
local states = {}
local sids = {}
local n = #KEYS - 1
for i = 1, n do
  local key = KEYS[i + 1]
  local base = 4 + 5 * (i - 1)
  local sid = ARGV[base + 1]
  local status = redis.call('HGET', key, 'status')
  if status and status ~= 'COMPLETED' and status ~= 'FAILED' then
    redis.call('HSET', key, 'status', ARGV[base + 3], 'result', ARGV[base + 4], 'finished', ARGV[2], 'executor', ARGV[base + 5])
    redis.call('PEXPIRE', key, ARGV[3])
    written = written + 1
    ids[written] = ARGV[base + 2]
    local result = ARGV[base + 4]
    if #result <= ${INLINE_RESULT_MAX_BYTES} then states[written] = { ARGV[base + 3], result } else states[written] = false end
  end
  if sid ~= '' then sids[#sids + 1] = sid end
end
if #sids > 0 then
  redis.call('XACK', KEYS[1], ARGV[1], unpack(sids))
  redis.call('XDEL', KEYS[1], unpack(sids))
end
if written > 0 then redis.call('PUBLISH', ARGV[4], table.concat(ids, ' ') .. '\\n' .. cjson.encode(states)) end
return written
`;

/**
 * Put a task whose executor was lost back on the queue (unless it is already final).
 * KEYS: queue, task. ARGV: group, streamId, taskId. Returns 1 when re-queued, 0 when it was final or gone.
 */
export const REQUEUE_TASK = `
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
local status = redis.call('HGET', KEYS[2], 'status')
if (not status) or status == 'COMPLETED' or status == 'FAILED' then return 0 end
redis.call('HSET', KEYS[2], 'status', 'QUEUED')
redis.call('XADD', KEYS[1], '*', 't', ARGV[3])
return 1
`;
