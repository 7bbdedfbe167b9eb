/** The API process's short-lived cache of API key lookups (by SHA-256), so a request costs Redis no key read. */
import type { ApiKeyRecord } from "../store/types.ts";

/** Options of {@link KeyCache}. */
export interface KeyCacheOptions {
  /** How long a lookup (found or not) is trusted, in ms: a revoked key stops working within this. Default: 2000. */
  ttlMs?: number;
  /** Most lookups kept; past it the oldest are dropped. Default: 10000. */
  maxEntries?: number;
  /** Clock in ms. Default: performance.now. */
  now?: () => number;
}

/** Caches `lookup(sha256)` results for `ttlMs`; concurrent misses for one key share one lookup. */
export class KeyCache {
  private readonly entries = new Map<string, { record: ApiKeyRecord | null; until: number }>();
  private readonly pending = new Map<string, Promise<ApiKeyRecord | null>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly lookup: (sha256: string) => Promise<ApiKeyRecord | null>, opts: KeyCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 2000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? performance.now.bind(performance);
  }

  /** The record for `sha256` (null: no such key), from the cache when it is fresh enough. */
  get(sha256: string): ApiKeyRecord | null | Promise<ApiKeyRecord | null> {
    const hit = this.entries.get(sha256);
    if (hit && hit.until > this.now()) return hit.record;
    let p = this.pending.get(sha256);
    if (!p) {
      p = this.lookup(sha256).then(
        (record) => {
          this.pending.delete(sha256);
          this.entries.delete(sha256); // re-inserted last: the map's order is oldest first
          this.entries.set(sha256, { record, until: this.now() + this.ttlMs });
          if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          return record;
        },
        (err: unknown) => {
          this.pending.delete(sha256);
          throw err;
        },
      );
      this.pending.set(sha256, p);
    }
    return p;
  }
}
