/** Cancelling a task: one CANCEL_TASK script call that ends it CANCELLED unless it is final, and announces it. */
import type Redis from "ioredis";
import { INLINE_RESULT_MAX_BYTES } from "./done-announcement.ts";
import type { Keys } from "./keys.ts";
import { TASK_INDEX_LUA } from "./task-lua.ts";
import type { Access, CancelResults, TaskStatus } from "./types.ts";

/**
 * End a task CANCELLED if it exists, is the caller's tenant's (or the caller is admin) and is not final: status,
 * result (the encoded CancelledError), finished; the result TTL; out of its tenant's open set; moved in the listing
 * indexes; announced on the done channel exactly as a finish is (long-polls wake), and its id published on the
 * cancel channel (dispatchers stop its executor if one holds it), and counted in the stats hash
 * (`finished:CANCELLED`, as task-stats.ts counts finishes). A queued task's entry stays in the stream:
 * LOAD_TASKS acknowledges and skips it, SETTLE_TASKS ignores any later start or finish of it.
 * KEYS: task. ARGV: taskId, tenant, admin ("1"/"0"), result, now (ms), ttlMs, done channel, cancel channel, root,
 * result for a Python function's task ("" = the same).
 * Returns { 0 } (no such task, or another tenant's), { -1, status } (final already), { 1, status before }.
 */
const CANCEL_TASK = `${TASK_INDEX_LUA}
local h = redis.call('HMGET', KEYS[1], 'status', 'tenant', 'created', 'fn')
local status = h[1]
if not status then return { 0 } end
local tenant = h[2] or 'default'
if ARGV[3] ~= '1' and tenant ~= ARGV[2] then return { 0 } end
if is_final(status) then return { -1, status } end
local tid, result, root = ARGV[1], ARGV[4], ARGV[9]
if ARGV[10] ~= '' and h[4] and redis.call('HGET', root .. 'fn:' .. h[4], 'runtime') == 'python' then result = ARGV[10] end
redis.call('HSET', KEYS[1], 'status', 'CANCELLED', 'result', result, 'finished', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
idx_close(root, tenant, tid)
idx_move(root, tid, tenant, h[3], status, 'CANCELLED')
idx_trim(root, tenant, h[4])
idx_flush(ARGV[5], ARGV[6], true)
redis.call('HINCRBY', root .. 'stats', 'finished:CANCELLED', 1)
local state = '[false]'
if #result <= ${INLINE_RESULT_MAX_BYTES} then state = cjson.encode({ { 'CANCELLED', result } }) end
redis.call('PUBLISH', ARGV[7], tid .. '\\n' .. state)
redis.call('PUBLISH', ARGV[8], tid)
return { 1, status }
`;

interface CancelCommand {
  faasCancelTask(taskKey: string, ...args: string[]): Promise<[number, string?]>;
}

/** Register the script on a connection (once per connection). */
export function defineCancelTask(redis: Redis): void {
  redis.defineCommand("faasCancelTask", { lua: CANCEL_TASK, numberOfKeys: 1 });
}

/** What a cancel did: ended the task (it was `from`), found it final (`status`), or found no task `access` may see. */
export type CancelOutcome = { cancelled: true; from: TaskStatus } | { cancelled: false; status: TaskStatus } | null;

/** Cancel task `id` for `access`, `result` becoming its result (an encoded CancelledError; per runtime of its function when two). */
export async function cancelTask(redis: Redis, keys: Keys, id: string, result: string | CancelResults, ttlMs: number, access: Access): Promise<CancelOutcome> {
  const [js, python] = typeof result === "string" ? [result, ""] : [result.js, result.python];
  const [code, status] = await (redis as unknown as CancelCommand).faasCancelTask(
    keys.task(id), id, access.tenant, access.admin ? "1" : "0", js, String(Date.now()), String(ttlMs), keys.done, keys.cancel, keys.root, python,
  );
  if (code === 1) return { cancelled: true, from: status as TaskStatus };
  if (code === -1) return { cancelled: false, status: status as TaskStatus };
  return null;
}
