/** `GET /ui`: the dashboard page (queue, throughput, workers, tasks, logs, cancel), its script and ECharts, embedded in the binary. */
import type { OpenAPIHono } from "@hono/zod-openapi";
// ECharts' browser bundle and our page's script and styles, embedded at build time: the page loads nothing from other hosts.
import echartsBundle from "echarts/dist/echarts.common.min.js" with { type: "text" };
import dashboardCss from "../ui/dashboard.css" with { type: "text" };
import dashboardScript from "../ui/dashboard.js" with { type: "text" };

/** The page's path; its assets are under it. */
export const UI_PATH = "/ui";

/** The paths answered without an API key (the page and its assets hold no data; the page asks for a key to read any). */
export const UI_PATHS: readonly string[] = [UI_PATH, `${UI_PATH}/echarts.js`, `${UI_PATH}/dashboard.js`, `${UI_PATH}/dashboard.css`];

/** Browsers may fetch, run and style only what this server sends: no other host, no inline script. */
const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Cache the embedded assets in browsers for an hour (they change only with the binary). */
const ASSET_CACHE = "public, max-age=3600";

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>bunfaas — dashboard</title><link rel="stylesheet" href="${UI_PATH}/dashboard.css"></head>
<body>
<header><h1>bunfaas</h1>
  <label class="row">API key <input id="api-key" type="password" autocomplete="off" placeholder="only with --auth required" size="28"></label>
  <button id="save-key">Use key</button>
</header>
<p id="error" role="alert" hidden></p>
<main>
  <section class="wide"><h2>Cluster</h2><div class="cards">
    <div class="card"><b id="stat-queued">–</b><span>queued</span></div>
    <div class="card"><b id="stat-running">–</b><span>running</span></div>
    <div class="card"><b id="stat-created">–</b><span>created</span></div>
    <div class="card"><b id="stat-completed">–</b><span>completed</span></div>
    <div class="card"><b id="stat-failed">–</b><span>failed</span></div>
    <div class="card"><b id="stat-cancelled">–</b><span>cancelled</span></div>
    <div class="card"><b id="stat-dispatchers">–</b><span>dispatchers</span></div>
    <div class="card"><b id="stat-workers">–</b><span>workers</span></div>
  </div></section>
  <section><h2>Queue and throughput <span class="muted">(since this page opened, last 10 minutes)</span></h2><div id="chart"></div></section>
  <section><h2>Workers</h2><table><thead><tr><th>dispatcher</th><th>mode</th><th>worker</th><th>busy / slots</th><th>load</th></tr></thead>
    <tbody id="workers"></tbody></table></section>
  <section class="wide"><h2>Recent tasks</h2>
    <div class="filters">
      <select id="filter-status" aria-label="status"><option value="">any status</option><option>QUEUED</option><option>RUNNING</option>
        <option>COMPLETED</option><option>FAILED</option><option>CANCELLED</option></select>
      <input id="filter-function" list="functions" placeholder="function id" size="38" aria-label="function id"><datalist id="functions"></datalist>
      <button id="refresh">Refresh</button>
    </div>
    <div class="scroll"><table><thead><tr><th>task</th><th>function</th><th>status</th><th>attempts</th><th>created</th><th>duration</th></tr></thead>
      <tbody id="tasks"></tbody></table></div>
    <p id="tasks-empty" class="muted" hidden>No tasks.</p>
    <button id="more" hidden>Load more</button>
  </section>
  <section id="detail" class="wide" hidden><h2>Task <span id="detail-id" class="mono"></span> <span id="detail-status"></span></h2>
    <div class="row"><button id="cancel" class="danger">Cancel task</button><button id="close-detail">Close</button></div>
    <pre id="detail-fields"></pre><h2>Result</h2><pre id="detail-result"></pre><h2>Logs</h2><pre id="detail-logs"></pre>
  </section>
</main>
<script src="${UI_PATH}/echarts.js"></script><script src="${UI_PATH}/dashboard.js"></script>
</body>
</html>`;

/** Add the dashboard page and its assets (not in the OpenAPI document: they are a browser page, not API). */
export function addUiRoutes(app: OpenAPIHono): void {
  app.get(UI_PATH, (c) => c.html(PAGE, 200, { "content-security-policy": CSP }));
  const asset = (path: string, body: string, type: string) =>
    app.get(`${UI_PATH}/${path}`, (c) => c.body(body, 200, { "content-type": type, "cache-control": ASSET_CACHE }));
  asset("echarts.js", echartsBundle, "text/javascript; charset=utf-8");
  asset("dashboard.js", dashboardScript, "text/javascript; charset=utf-8");
  asset("dashboard.css", dashboardCss, "text/css; charset=utf-8");
}
