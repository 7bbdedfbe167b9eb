/** readSse: the events of a `text/event-stream` response body, parsed from fetch's byte stream (no EventSource, no Bun API). */

/** One Server-Sent Event: its type (`message` when the stream names none), its data and its `id` (the last one seen). */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Parse an event stream as the HTML standard's "event stream interpretation" does: lines end with CRLF, LF or CR;
 * `:` lines are comments; `data` lines join with newlines; a blank line dispatches; an event without data is dropped.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let lastId: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      for (;;) {
        const m = /\r\n|\r|\n/g;
        m.lastIndex = start;
        const hit = m.exec(buffer);
        // A lone CR at the end may be the first half of CRLF: wait for more.
        if (!hit || (hit[0] === "\r" && hit.index === buffer.length - 1)) break;
        const line = buffer.slice(start, hit.index);
        start = hit.index + hit[0].length;
        if (line === "") {
          if (data.length > 0) yield { event: event || "message", data: data.join("\n"), id: lastId };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? "" : line.slice(colon + 1);
        if (v.startsWith(" ")) v = v.slice(1);
        if (field === "data") data.push(v);
        else if (field === "event") event = v;
        else if (field === "id" && !v.includes("\0")) lastId = v;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
