/** Bearer-key authentication of API requests: the caller's tenant and admin flag, the per-key rate limit, 401/429. */
import type { Context, MiddlewareHandler } from "hono";
import { FaasError } from "../faas-error.ts";
import { hashApiKey } from "../store/api-keys.ts";
import { DEFAULT_ACCESS, type Access, type ApiKeyRecord, type ApiStore } from "../store/types.ts";
import { KeyCache } from "./key-cache.ts";
import { UI_PATHS } from "./routes/ui-routes.ts";
import { TokenBuckets } from "./token-buckets.ts";

/** `required`: every request but the open paths needs a valid key; `off`: keys are ignored, all is tenant "default". */
export type AuthMode = "required" | "off";

/** Paths answered without a key: the health and readiness checks, the API's documentation, the dashboard page (not its data). */
export const OPEN_PATHS: ReadonlySet<string> = new Set(["/health", "/ready", "/openapi.json", "/docs", ...UI_PATHS]);

/** Default per-key request rate (`--rate-limit`), in requests per second. */
export const DEFAULT_RATE_LIMIT = 1000;

/** How long a validated (or refused) key is trusted without asking Redis, in ms: the revocation bound. */
export const KEY_CACHE_MS = 2000;

/** Options of {@link authenticate}. */
export interface AuthOptions {
  /** Default: "off". */
  mode?: AuthMode;
  /** Requests per second per key (a token bucket holding one second's worth). Default: 1000. */
  rateLimit?: number;
  /** See {@link KEY_CACHE_MS}. Default: 2000. */
  cacheMs?: number;
}

const ACCESS = "faasAccess";

/** The access of the request being handled: its key's tenant and admin flag (DEFAULT_ACCESS without a key). */
export function accessOf(c: Context): Access {
  return (c.get(ACCESS as never) as Access | undefined) ?? DEFAULT_ACCESS;
}

/** Throws FORBIDDEN unless the request carries an admin key. */
export function requireAdmin(c: Context): void {
  if (!accessOf(c).admin) throw new FaasError("FORBIDDEN", "this needs an admin API key (faas keys create --admin)");
}

/** The middleware: with mode "required", resolves the key of `Authorization: Bearer <key>` and charges its rate limit. */
export function authenticate(store: ApiStore, opts: AuthOptions = {}): MiddlewareHandler {
  if ((opts.mode ?? "off") === "off") return async (_c, next) => next();
  const cache = new KeyCache((sha) => store.findApiKey(sha), { ttlMs: opts.cacheMs ?? KEY_CACHE_MS });
  const buckets = new TokenBuckets(opts.rateLimit ?? DEFAULT_RATE_LIMIT);
  const admit = (c: Context, key: ApiKeyRecord | null) => {
    if (!key) throw new FaasError("UNAUTHORIZED", "invalid or revoked API key");
    const wait = buckets.take(key.id);
    if (wait > 0) {
      throw new FaasError("RATE_LIMITED", `over ${opts.rateLimit ?? DEFAULT_RATE_LIMIT} requests/s for this key (--rate-limit)`, 429,
        { retryAfterSeconds: wait });
    }
    c.set(ACCESS as never, { tenant: key.tenant, admin: key.admin } as never);
  };
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const header = c.req.header("authorization");
    if (header === undefined) throw new FaasError("UNAUTHORIZED", "an API key is required: send Authorization: Bearer <key>");
    const m = /^bearer +(\S+) *$/i.exec(header);
    if (!m) throw new FaasError("UNAUTHORIZED", "the Authorization header must be: Bearer <key>");
    const found = cache.get(hashApiKey(m[1]!));
    admit(c, found instanceof Promise ? await found : found);
    return next();
  };
}
