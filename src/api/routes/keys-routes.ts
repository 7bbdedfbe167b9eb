/** Admin-only key routes: `GET /keys` (list, never the keys themselves) and `DELETE /keys/{key_id}` (revoke). */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FaasError } from "../../faas-error.ts";
import type { ApiKeyRecord, ApiStore } from "../../store/types.ts";
import { requireAdmin } from "../auth-middleware.ts";
import { ApiKeyList, BEARER_SECURITY, errorContent, jsonContent, KeyIdParams, RevokedResponse } from "../schemas.ts";

const AUTH_ERRORS = {
  401: errorContent("No key, or an invalid or revoked one (UNAUTHORIZED)"),
  403: errorContent("The key is not an admin key (FORBIDDEN)"),
  429: errorContent("Over the key's request rate (RATE_LIMITED); see Retry-After"),
  503: errorContent("Redis is unreachable or did not answer in time (STORE_UNAVAILABLE)"),
};

/** The route definitions (also document them in /openapi.json). */
export const listKeysRoute = createRoute({
  method: "get",
  path: "/keys",
  tags: ["keys"],
  summary: "List API keys (admin)",
  description: "Every key's id, name, tenant, admin flag, creation and last use. Create keys with `faas keys create`.",
  security: BEARER_SECURITY,
  responses: { 200: jsonContent(ApiKeyList, "The keys, oldest first"), ...AUTH_ERRORS },
});

export const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/keys/{key_id}",
  tags: ["keys"],
  summary: "Revoke an API key (admin)",
  description: "The key stops working within 2 s on every API process (their key caches).",
  security: BEARER_SECURITY,
  request: { params: KeyIdParams },
  responses: { 200: jsonContent(RevokedResponse, "The key is revoked"), 404: errorContent("No key with this id (NOT_FOUND)"), ...AUTH_ERRORS },
});

/** The JSON shape of a key record. */
export function keyInfo(k: ApiKeyRecord) {
  return {
    id: k.id, name: k.name, tenant: k.tenant, admin: k.admin,
    created: new Date(k.createdAt).toISOString(), last_used: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
  };
}

/** Add the key routes to `app`. */
export function addKeyRoutes(app: OpenAPIHono, store: ApiStore): void {
  app.openapi(listKeysRoute, async (c) => {
    requireAdmin(c);
    return c.json({ keys: (await store.listApiKeys()).map(keyInfo) }, 200);
  });
  app.openapi(revokeKeyRoute, async (c) => {
    requireAdmin(c);
    const { key_id } = c.req.valid("param");
    if (!(await store.revokeApiKey(key_id))) throw new FaasError("NOT_FOUND", `no API key with id ${JSON.stringify(key_id.slice(0, 80))}`);
    return c.json({ revoked: key_id }, 200);
  });
}
