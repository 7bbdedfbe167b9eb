/** Server-Sent Events: `GET /batches/{batch_id}/events` and `GET /tasks/{task_id}/events`, one event per task as it finishes, then `done`. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { FaasError } from "../../faas-error.ts";
import type { FinalTask } from "../../store/task-watch.ts";
import type { ApiStore } from "../../store/types.ts";
import { accessOf } from "../auth-middleware.ts";
import { BatchIdParams, LastEventIdHeaders } from "../batch-schemas.ts";
import { BEARER_SECURITY, errorContent, isUuid, ROUTE_ERRORS, TaskIdParams } from "../schemas.ts";

/** Seconds between keep-alive comments on an idle stream; each also reads the tasks still open again. */
export const KEEP_ALIVE_SECONDS = 15;

const STREAM_DESCRIPTION =
  "Server-Sent Events. One event per task as it finishes, data `{index, task_id, status, result}` (index: the task's " +
  "position in the batch; result as in /result), then a last event `done` with `{batch_id, total, completed, failed}` (and a count per other final status that occurred), " +
  "and the stream ends. Tasks final when the stream opens come first, in order. Each event's `id` is a watermark: " +
  "the number of leading tasks (by index) whose events were all sent. Reconnecting with `Last-Event-ID: W` sends the " +
  "events of every task with index ≥ W, so delivery is at least once: tasks that finished out of order may come " +
  `again (tell them apart by index). A comment line keeps an idle stream open every ${KEEP_ALIVE_SECONDS} s.`;

const streamResponses = (what: string) => ({
  200: { content: { "text/event-stream": { schema: { type: "string" as const } } }, description: "The event stream" },
  400: errorContent("Malformed Last-Event-ID (BAD_REQUEST)"),
  404: errorContent(what),
  ...ROUTE_ERRORS,
});

export const batchEventsRoute = createRoute({
  method: "get",
  path: "/batches/{batch_id}/events",
  tags: ["batches"],
  summary: "Stream a batch's results as its tasks finish",
  description: `${STREAM_DESCRIPTION} A batch is kept twice --result-ttl after it was created.`,
  security: BEARER_SECURITY,
  request: { params: BatchIdParams, headers: LastEventIdHeaders },
  responses: streamResponses("Unknown, expired or malformed batch id, or another tenant's (BATCH_NOT_FOUND)"),
});

export const taskEventsRoute = createRoute({
  method: "get",
  path: "/tasks/{task_id}/events",
  tags: ["tasks"],
  summary: "Stream one task's result when it finishes",
  description: `The stream of a batch of one task (index 0; the done event's batch_id is null). ${STREAM_DESCRIPTION}`,
  security: BEARER_SECURITY,
  request: { params: TaskIdParams, headers: LastEventIdHeaders },
  responses: streamResponses("Unknown, expired or malformed task id, or another tenant's (TASK_NOT_FOUND)"),
});

/** Add the event-stream routes to `app`. */
export function addEventRoutes(app: OpenAPIHono, store: ApiStore): void {
  for (const route of [batchEventsRoute, taskEventsRoute]) app.openAPIRegistry.registerPath(route);

  app.get("/batches/:batch_id/events", async (c) => {
    const id = c.req.param("batch_id").toLowerCase();
    const notFound = () => new FaasError("BATCH_NOT_FOUND", `no batch with id ${JSON.stringify(id.slice(0, 80))} (unknown, or expired)`);
    if (!isUuid(id)) throw notFound();
    const from = lastEventId(c);
    const batch = await store.getBatch(id, accessOf(c));
    if (batch === null) throw notFound();
    return streamTasks(c, store, batch.taskIds, from, id);
  });

  app.get("/tasks/:task_id/events", async (c) => {
    const id = c.req.param("task_id").toLowerCase();
    if (!isUuid(id)) throw new FaasError("TASK_NOT_FOUND", `no task with id ${JSON.stringify(id.slice(0, 80))} (task ids are uuids)`);
    const from = lastEventId(c);
    return streamTasks(c, store, [id], from, null);
  });
}

/** The resume point of a reconnecting client: its Last-Event-ID watermark, 0 when none. */
function lastEventId(c: Context): number {
  const v = c.req.header("last-event-id");
  if (v === undefined || v.trim() === "") return 0;
  if (!/^\d{1,9}$/.test(v.trim())) throw new FaasError("BAD_REQUEST", `Last-Event-ID must be an event id of this stream (a whole number), got ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v.trim());
}

/**
 * Stream `ids` from watermark `from`: the watch (and its first read) happens before the stream starts, so an
 * unknown task is still a 404. Finishes arrive in batches (one per announcement) and each batch is one write.
 */
async function streamTasks(c: Context, store: ApiStore, ids: string[], from: number, batchId: string | null): Promise<Response> {
  const n = ids.length;
  const sent = new Uint8Array(n);
  let watermark = Math.min(from, n);
  const counts: Record<string, number> = { completed: 0, failed: 0 };
  let early: FinalTask[] = [];
  let write: ((finals: FinalTask[]) => void) | null = null;
  const onFinal = (finals: FinalTask[]) => {
    if (write) write(finals);
    else early.push(...finals);
  };
  const watch = await store.watchTasks(ids, accessOf(c), onFinal);
  const missing = watch.first.indexOf(null);
  if (missing >= 0) {
    watch.close();
    if (batchId === null) throw new FaasError("TASK_NOT_FOUND", `no task with id ${ids[missing]} (unknown, or expired)`);
    throw new FaasError("BATCH_NOT_FOUND", `batch ${batchId}: its task ${ids[missing]} has expired`);
  }
  return streamSSE(c, async (stream) => {
    let chain = Promise.resolve();
    const enqueue = (text: string) => {
      chain = chain.then(() => stream.write(text)).then(() => {}, () => watch.close());
    };
    write = (finals) => {
      finals.sort((a, b) => a.index - b.index);
      let text = "";
      for (const f of finals) {
        const k = f.state.status.toLowerCase();
        counts[k] = (counts[k] ?? 0) + 1;
        sent[f.index] = 1;
        while (watermark < n && sent[watermark] === 1) watermark++;
        if (f.index < from) continue; // delivered before the reconnect
        const data = JSON.stringify({ index: f.index, task_id: f.taskId, status: f.state.status, result: f.state.result });
        text += `id: ${watermark}\ndata: ${data}\n\n`;
      }
      if (text !== "") enqueue(text);
    };
    for (let i = 0; i < from && i < n; i++) sent[i] = 1;
    if (early.length > 0) write(early);
    early = [];
    stream.onAbort(() => watch.close());
    const tick = setInterval(() => {
      enqueue(": keep-alive\n\n");
      void watch.refresh();
    }, KEEP_ALIVE_SECONDS * 1000);
    try {
      await watch.settled;
    } finally {
      clearInterval(tick);
      watch.close();
    }
    if (stream.aborted || watch.pending() > 0) return;
    enqueue(`event: done\nid: ${n}\ndata: ${JSON.stringify({ batch_id: batchId, total: n, ...counts })}\n\n`);
    await chain;
  });
}
