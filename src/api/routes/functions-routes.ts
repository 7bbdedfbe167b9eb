/** `POST /register_function`: check a function payload and store it, as the caller's tenant's. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ApiStore } from "../../store/types.ts";
import { accessOf } from "../auth-middleware.ts";
import { checkFunctionSource } from "../check-function.ts";
import { BEARER_SECURITY, errorContent, jsonContent, RegisterFunctionRequest, RegisterFunctionResponse } from "../schemas.ts";

/** The route definition (also documents it in /openapi.json). */
export const registerFunctionRoute = createRoute({
  method: "post",
  path: "/register_function",
  tags: ["functions"],
  summary: "Register a function",
  description: "Stores the source of one JavaScript or TypeScript function expression. The code is checked (parsed), never run here.",
  security: BEARER_SECURITY,
  request: { body: { content: { "application/json": { schema: RegisterFunctionRequest } }, required: true } },
  responses: {
    201: jsonContent(RegisterFunctionResponse, "The function is stored"),
    400: errorContent("Malformed body (BAD_REQUEST) or the payload is not one function (INVALID_FUNCTION)"),
    401: errorContent("No key, or an invalid or revoked one, with --auth required (UNAUTHORIZED)"),
    413: errorContent("Body over the size limit (PAYLOAD_TOO_LARGE)"),
    429: errorContent("Over the key's request rate (RATE_LIMITED) or the tenant's --max-functions (QUOTA_EXCEEDED); see Retry-After"),
    503: errorContent("Redis is unreachable or did not answer in time (STORE_UNAVAILABLE)"),
  },
});

/** Add the function routes to `app`. */
export function addFunctionRoutes(app: OpenAPIHono, store: ApiStore): void {
  app.openapi(registerFunctionRoute, async (c) => {
    const { name, payload } = c.req.valid("json");
    const { code } = checkFunctionSource(payload);
    const functionId = await store.registerFunction({ name, source: payload, code }, accessOf(c));
    return c.json({ function_id: functionId }, 201);
  });
}
