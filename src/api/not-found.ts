/** Answers for unknown routes and wrong methods: 404 NOT_FOUND, naming the methods the path does accept. */
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

/** A `notFound` handler; `routes` is read at request time so routes added later count. */
export function createNotFoundHandler(routes: () => readonly RouteEntry[]): NotFoundHandler {
  return (c) => {
    const allowed = methodsFor(routes(), c.req.path);
    const message =
      allowed.length > 0
        ? `${c.req.method} is not supported on ${c.req.path}; use ${allowed.join(" or ")}`
        : `no such route: ${c.req.method} ${c.req.path}`;
    return errorResponse(c, new FaasError("NOT_FOUND", message));
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
