/** Answers for unknown routes and wrong methods: 404 NOT_FOUND, or 405 METHOD_NOT_ALLOWED with `Allow` naming the methods the path accepts. */
import type { NotFoundHandler } from "hono";
import { FaasError } from "../faas-error.ts";
import { errorResponse } from "./error-handler.ts";

/** The minimum of a Hono route entry this needs (`app.routes`). */
export interface RouteEntry {
  method: string;
  path: string;
}

/** Methods of `routes` whose path pattern (`/status/:task_id`) matches `path`. Middleware ("ALL") is ignored. */
export function methodsFor(routes: readonly RouteEntry[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL") continue;
    if (patternOf(r.path).test(path)) methods.add(r.method);
  }
  return [...methods];
}

/**
 * A `notFound` handler: 405 METHOD_NOT_ALLOWED with an `Allow` header when the path exists for other methods
 * (HEAD wherever GET is, as Hono answers HEAD with the GET route), else 404 NOT_FOUND. `routes` is read at
 * request time so routes added later count.
 */
export function createNotFoundHandler(routes: () => readonly RouteEntry[]): NotFoundHandler {
  return (c) => {
    const allowed = methodsFor(routes(), c.req.path);
    if (allowed.length === 0) return errorResponse(c, new FaasError("NOT_FOUND", `no such route: ${c.req.method} ${c.req.path}`));
    if (allowed.includes("GET") && !allowed.includes("HEAD")) allowed.splice(allowed.indexOf("GET") + 1, 0, "HEAD");
    c.header("Allow", allowed.join(", "));
    const message = `${c.req.method} is not supported on ${c.req.path}; use ${allowed.join(" or ")}`;
    return errorResponse(c, new FaasError("METHOD_NOT_ALLOWED", message));
  };
}

const patterns = new Map<string, RegExp>();

function patternOf(routePath: string): RegExp {
  let re = patterns.get(routePath);
  if (!re) {
    const body = routePath
      .split("/")
      .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    re = new RegExp(`^${body}/?$`);
    patterns.set(routePath, re);
  }
  return re;
}
