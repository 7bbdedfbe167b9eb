/** `GET /openapi.json` (OpenAPI 3.1, generated from the route schemas) and the interactive page `GET /docs`. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";

/** Paths of the document and of the page. */
export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";

/**
 * Add the document and the docs page. The page is a small HTML shell; the browser loads the
 * Scalar viewer script from its CDN (jsdelivr), the API itself needs no network.
 */
export function addDocsRoutes(app: OpenAPIHono, info: { title: string; version: string }): void {
  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: info.title,
      version: info.version,
      description: "Register JavaScript/TypeScript functions, run them with arguments, read status and results.",
    },
  });
  app.get(DOCS_PATH, Scalar({ url: OPENAPI_PATH, pageTitle: `${info.title} — API reference` }));
}
