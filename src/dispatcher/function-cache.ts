/** Dispatcher-side cache of function code by id, so a task never carries its function body. */
import type { DispatchQueue } from "../store/dispatch-queue.ts";
import { LruCache } from "../workers/lru-cache.ts";

/** Function id → code, least recently used evicted first, loading misses in one round trip. */
export class FunctionCache {
  private readonly codes: LruCache<string>;

  /** @param max entries kept. Default: 10000. */
  constructor(
    private readonly queue: Pick<DispatchQueue, "functionCode">,
    max = 10_000,
  ) {
    this.codes = new LruCache(max);
  }

  /** Code for each id (absent from the map when the function does not exist). */
  async get(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of ids) {
      const code = this.codes.get(id);
      if (code !== undefined) out.set(id, code);
      else if (!missing.includes(id)) missing.push(id);
    }
    if (missing.length === 0) return out;
    const loaded = await this.queue.functionCode(missing);
    missing.forEach((id, i) => {
      const code = loaded[i];
      if (code == null) return;
      out.set(id, code);
      this.codes.set(id, code);
    });
    return out;
  }
}
