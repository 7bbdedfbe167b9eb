/** Test support: one JSON request through fetch, with its answer and how long the answer took. */

/** A request to `base + path` (a JSON body if given), its status, parsed JSON body and time in ms. */
export async function timedFetch(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const t0 = performance.now();
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await fetch(base + path, init);
  const json = (await res.json()) as any;
  return { status: res.status, body: json, ms: performance.now() - t0 };
}
