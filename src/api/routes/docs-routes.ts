/** `GET /openapi.json` (OpenAPI 3.1, generated from the route schemas) and the interactive page `GET /docs`, served offline. */
import type { OpenAPIHono } from "@hono/zod-openapi";
// Swagger UI's browser bundle and style sheet, embedded in the binary: the page loads nothing from other hosts.
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "text" };
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };

/** Paths of the document and of the page. */
export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";

/** Our start-up script: the viewer on this server's document; no validator badge (it would call another host). */
const INIT = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(OPENAPI_PATH)}, dom_id: "#swagger-ui", validatorUrl: null,
  deepLinking: true, tryItOutEnabled: true, persistAuthorization: false });`;

function page(title: string): string {
  const esc = title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc}</title><link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script><script src="${DOCS_PATH}/init.js"></script></body>
</html>`;
}

/** Cache the embedded assets in browsers for a day (they change only with the binary). */
const ASSET_CACHE = "public, max-age=86400";

/**
 * Add the document and the docs page. Everything the page needs is served from here (Swagger UI, bundled at
 * build time), and its "Try it out" sends requests to this server (the document's `servers` entry is `/`).
 */
export function addDocsRoutes(app: OpenAPIHono, info: { title: string; version: string }): void {
  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: info.title,
      version: info.version,
      description: "Register JavaScript/TypeScript functions, run them with arguments, read status and results.",
    },
    servers: [{ url: "/", description: "this server" }],
  });
  const html = page(`${info.title} — API reference`);
  app.get(DOCS_PATH, (c) => c.html(html));
  app.get(`${DOCS_PATH}/swagger-ui.css`, (c) => c.body(swaggerCss, 200, { "content-type": "text/css; charset=utf-8", "cache-control": ASSET_CACHE }));
  app.get(`${DOCS_PATH}/swagger-ui-bundle.js`, (c) => c.body(swaggerBundle, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": ASSET_CACHE }));
  app.get(`${DOCS_PATH}/init.js`, (c) => c.body(INIT, 200, { "content-type": "text/javascript; charset=utf-8" }));
}
