/** Function routes: `POST /register_function` (check and store, once per name and source), `GET /functions`, `GET /functions/{id}`, `DELETE /functions/{id}`, for the caller's tenant. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FaasError } from "../../faas-error.ts";
import type { ApiStore, FunctionInfo } from "../../store/types.ts";
import { accessOf } from "../auth-middleware.ts";
import { checkFunctionPayload } from "../check-function.ts";
import { FunctionIdParams, FunctionListQuery, FunctionListResponse, FunctionRecordResponse, pageLimit } from "../record-schemas.ts";
import {
  BEARER_SECURITY, errorContent, isUuid, jsonContent, RegisterFunctionRequest, RegisterFunctionResponse, ROUTE_ERRORS,
} from "../schemas.ts";

const NOT_FOUND = errorContent("Unknown or malformed function id, or another tenant's function (FUNCTION_NOT_FOUND)");

/** The route definition (also documents it in /openapi.json). */
export const registerFunctionRoute = createRoute({
  method: "post",
  path: "/register_function",
  tags: ["functions"],
  summary: "Register a function",
  description:
    "Stores the source of one JavaScript or TypeScript function expression, or a Python function serialized with dill " +
    "(`codecs.encode(dill.dumps(fn), \"base64\")`: base64 of a pickle, told apart by a walk of its opcodes). " +
    "The code is checked (parsed, or walked), never run or unpickled here. " +
    "The same name and source registered again by the same tenant answers the same function_id (nothing new is stored); " +
    "a new source under an existing name is a new function.",
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

export const listFunctionsRoute = createRoute({
  method: "get",
  path: "/functions",
  tags: ["functions"],
  summary: "List functions",
  description: "The caller's tenant's functions, newest first (an admin key: every tenant's). Pages: pass `next_cursor` as `cursor`.",
  security: BEARER_SECURITY,
  request: { query: FunctionListQuery },
  responses: {
    200: jsonContent(FunctionListResponse, "A page of functions"),
    400: errorContent("Invalid limit or cursor (BAD_REQUEST)"),
    ...ROUTE_ERRORS,
  },
});

export const getFunctionRoute = createRoute({
  method: "get",
  path: "/functions/{function_id}",
  tags: ["functions"],
  summary: "A function, with its source",
  security: BEARER_SECURITY,
  request: { params: FunctionIdParams },
  responses: { 200: jsonContent(FunctionRecordResponse, "The function"), 404: NOT_FOUND, ...ROUTE_ERRORS },
});

export const deleteFunctionRoute = createRoute({
  method: "delete",
  path: "/functions/{function_id}",
  tags: ["functions"],
  summary: "Delete a function",
  description:
    "Executing it afterwards answers 404. Its tasks still queued end FAILED with a FunctionNotFoundError when a dispatcher " +
    "reaches them; tasks already running finish.",
  security: BEARER_SECURITY,
  request: { params: FunctionIdParams },
  responses: { 204: { description: "The function is deleted" }, 404: NOT_FOUND, ...ROUTE_ERRORS },
});

/** The JSON shape of a function in a listing. */
function functionJson(f: Pick<FunctionInfo, "id" | "name" | "createdAt">) {
  return { function_id: f.id, name: f.name, created_at: new Date(f.createdAt).toISOString() };
}

/** The lower-case id, or FUNCTION_NOT_FOUND for a malformed one (without asking the store). */
function functionId(raw: string): string {
  const id = raw.toLowerCase();
  if (!isUuid(id)) throw functionNotFound(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
  return id;
}

function functionNotFound(id: string): FaasError {
  return new FaasError("FUNCTION_NOT_FOUND", `no function with id ${JSON.stringify(id)}`);
}

/** Add the function routes to `app`. */
export function addFunctionRoutes(app: OpenAPIHono, store: ApiStore): void {
  app.openapi(listFunctionsRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await store.listFunctions({ limit: pageLimit(q.limit), cursor: q.cursor }, accessOf(c));
    return c.json({ functions: page.items.map(functionJson), next_cursor: page.nextCursor }, 200);
  });

  app.openapi(getFunctionRoute, async (c) => {
    const id = functionId(c.req.valid("param").function_id);
    const fn = await store.getFunctionRecord(id, accessOf(c));
    if (fn === null) throw functionNotFound(id);
    return c.json({ ...functionJson(fn), source: fn.source }, 200);
  });

  app.openapi(deleteFunctionRoute, async (c) => {
    const id = functionId(c.req.valid("param").function_id);
    if (!(await store.deleteFunction(id, accessOf(c)))) throw functionNotFound(id);
    return c.body(null, 204);
  });

  app.openapi(registerFunctionRoute, async (c) => {
    const { name, payload } = c.req.valid("json");
    const { code, runtime } = checkFunctionPayload(payload);
    const functionId = await store.registerFunction({ name, source: payload, code, runtime }, accessOf(c));
    return c.json({ function_id: functionId }, 201);
  });
}
