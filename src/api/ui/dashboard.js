// The bunfaas dashboard (`GET /ui`): reads only the public REST API of the server that served it, with the API key
// kept in this tab's sessionStorage. Embedded in the binary as text; runs in the browser (no build step, no imports).
"use strict";
(function () {
  var KEY_STORAGE = "bunfaas.apiKey";
  var HISTORY_MS = 10 * 60 * 1000;
  var STATS_EVERY_MS = 2000;
  var TASKS_EVERY_MS = 3000;
  var FINAL = { COMPLETED: true, FAILED: true, CANCELLED: true };
  var history = [];
  var lastFinished = null;
  var selected = null;
  var nextCursor = null;
  var chart = null;

  function $(id) { return document.getElementById(id); }
  function apiKey() { return sessionStorage.getItem(KEY_STORAGE) || ""; }

  function showError(message) {
    var bar = $("error");
    bar.textContent = message || "";
    bar.hidden = !message;
  }

  /** fetch against this server, with the key; resolves with the parsed JSON, rejects with the API's error message. */
  function api(path, options) {
    var opts = options || {};
    var headers = { accept: "application/json" };
    if (apiKey()) headers.authorization = "Bearer " + apiKey();
    return fetch(path, { method: opts.method || "GET", headers: headers }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!res.ok) {
          var msg = body && body.error ? body.error.code + ": " + body.error.message : "HTTP " + res.status;
          throw new Error(msg);
        }
        return body;
      });
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else if (k === "style") node.style.cssText = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function short(id) { return id ? id.slice(0, 8) : "—"; }
  function time(iso) { return iso ? new Date(iso).toLocaleTimeString() : "—"; }

  // ---- figures and chart ----
  function initChart() {
    chart = echarts.init($("chart"));
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: ["queued", "running", "finished/s"] },
      grid: { left: 48, right: 56, top: 48, bottom: 28 },
      xAxis: { type: "time", splitNumber: 4, axisLabel: { hideOverlap: true } },
      yAxis: [{ type: "value", name: "tasks", minInterval: 1 }, { type: "value", name: "per s" }],
      series: [
        { name: "queued", type: "line", showSymbol: false, data: [] },
        { name: "running", type: "line", showSymbol: false, data: [] },
        { name: "finished/s", type: "line", showSymbol: false, yAxisIndex: 1, data: [] },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function sum(obj) { return Object.keys(obj || {}).reduce(function (n, k) { return n + obj[k]; }, 0); }

  function renderStats(s) {
    var now = Date.now();
    var finished = sum(s.finished);
    var rate = 0;
    if (lastFinished !== null && now > lastFinished.at) rate = Math.max(0, (finished - lastFinished.n) / ((now - lastFinished.at) / 1000));
    lastFinished = { at: now, n: finished };
    history.push({ at: now, queued: s.queued, running: s.running, rate: rate });
    while (history.length && history[0].at < now - HISTORY_MS) history.shift();
    var workers = s.dispatchers.reduce(function (n, d) { return n + d.workers.length; }, 0);
    $("stat-queued").textContent = String(s.queued);
    $("stat-running").textContent = String(s.running);
    $("stat-created").textContent = String(s.created);
    $("stat-completed").textContent = String(s.finished.COMPLETED || 0);
    $("stat-failed").textContent = String(s.finished.FAILED || 0);
    $("stat-cancelled").textContent = String(s.finished.CANCELLED || 0);
    $("stat-dispatchers").textContent = String(s.dispatchers.length);
    $("stat-workers").textContent = String(workers);
    chart.setOption({
      series: [
        { data: history.map(function (h) { return [h.at, h.queued]; }) },
        { data: history.map(function (h) { return [h.at, h.running]; }) },
        { data: history.map(function (h) { return [h.at, Math.round(h.rate * 10) / 10]; }) },
      ],
    });
    var body = $("workers");
    body.replaceChildren();
    s.dispatchers.forEach(function (d) {
      if (d.workers.length === 0) {
        body.appendChild(el("tr", {}, [el("td", { text: d.id }), el("td", { text: d.mode }), el("td", { text: "no worker connected", colspan: "3" })]));
      }
      d.workers.forEach(function (w) {
        var pct = w.slots > 0 ? Math.round((100 * w.busy) / w.slots) : 0;
        var bar = el("div", { className: "bar" }, [el("div", { className: "fill", style: "width:" + pct + "%" })]);
        body.appendChild(el("tr", { "data-worker-id": w.id }, [
          el("td", { text: d.id }), el("td", { text: d.mode }), el("td", { text: w.id }),
          el("td", { text: w.busy + " / " + w.slots }), el("td", {}, [bar]),
        ]));
      });
    });
  }

  function refreshStats() {
    return api("/stats").then(function (s) { showError(""); renderStats(s); }, function (e) { showError(e.message); });
  }

  // ---- tasks ----
  function taskQuery(cursor) {
    var q = new URLSearchParams();
    var status = $("filter-status").value;
    var fn = $("filter-function").value.trim();
    if (status) q.set("status", status);
    if (fn) q.set("function_id", fn);
    q.set("limit", "50");
    if (cursor) q.set("cursor", cursor);
    return "/tasks?" + q.toString();
  }

  function taskRow(t) {
    var row = el("tr", { "data-task-id": t.task_id, "data-status": t.status }, [
      el("td", { className: "mono", text: short(t.task_id), title: t.task_id }),
      el("td", { className: "mono", text: short(t.function_id), title: t.function_id }),
      el("td", { className: "status s-" + t.status, text: t.status }),
      el("td", { text: String(t.attempts) }),
      el("td", { text: time(t.created_at) }),
      el("td", { text: t.duration_ms === null ? "—" : t.duration_ms + " ms" }),
    ]);
    if (selected === t.task_id) row.className = "selected";
    row.addEventListener("click", function () { openTask(t.task_id); });
    return row;
  }

  function rememberFunctions(tasks) {
    var list = $("functions");
    var known = {};
    Array.prototype.forEach.call(list.children, function (o) { known[o.value] = true; });
    tasks.forEach(function (t) {
      if (!known[t.function_id]) { known[t.function_id] = true; list.appendChild(el("option", { value: t.function_id })); }
    });
  }

  function refreshTasks() {
    return api(taskQuery(null)).then(function (page) {
      var body = $("tasks");
      body.replaceChildren();
      page.tasks.forEach(function (t) { body.appendChild(taskRow(t)); });
      rememberFunctions(page.tasks);
      nextCursor = page.next_cursor;
      $("more").hidden = !nextCursor;
      $("tasks-empty").hidden = page.tasks.length > 0;
    }, function (e) { showError(e.message); });
  }

  function moreTasks() {
    if (!nextCursor) return;
    api(taskQuery(nextCursor)).then(function (page) {
      page.tasks.forEach(function (t) { $("tasks").appendChild(taskRow(t)); });
      rememberFunctions(page.tasks);
      nextCursor = page.next_cursor;
      $("more").hidden = !nextCursor;
    }, function (e) { showError(e.message); });
  }

  // ---- one task ----
  function openTask(id) {
    selected = id;
    $("detail").hidden = false;
    Array.prototype.forEach.call($("tasks").children, function (r) { r.className = r.getAttribute("data-task-id") === id ? "selected" : ""; });
    return refreshDetail();
  }

  function refreshDetail() {
    var id = selected;
    if (!id) return Promise.resolve();
    return Promise.all([api("/tasks/" + id), api("/tasks/" + id + "/logs").catch(function () { return null; })]).then(function (got) {
      if (selected !== id) return;
      var t = got[0];
      var logs = got[1];
      $("detail-id").textContent = t.task_id;
      var status = $("detail-status");
      status.textContent = t.status;
      status.className = "status s-" + t.status;
      var fields = Object.assign({}, t);
      delete fields.result;
      $("detail-fields").textContent = JSON.stringify(fields, null, 2);
      $("detail-result").textContent = t.result === null ? "(not final yet)" : typeof t.result === "string" ? t.result : JSON.stringify(t.result, null, 2);
      var lines = logs ? logs.lines.map(function (l) { return time(l.ts) + " " + l.stream + " " + l.text; }) : [];
      if (logs && logs.truncated) lines.push("… (truncated)");
      $("detail-logs").textContent = lines.length ? lines.join("\n") : "(no output)";
      $("cancel").disabled = !!FINAL[t.status];
    }, function (e) { showError(e.message); });
  }

  function cancelSelected() {
    var id = selected;
    if (!id) return;
    $("cancel").disabled = true;
    api("/tasks/" + id + "/cancel", { method: "POST" }).then(function () {
      return Promise.all([refreshDetail(), refreshTasks(), refreshStats()]);
    }, function (e) { showError(e.message); refreshDetail(); });
  }

  // ---- wiring ----
  function start() {
    $("api-key").value = apiKey();
    $("save-key").addEventListener("click", function () {
      var k = $("api-key").value.trim();
      if (k) sessionStorage.setItem(KEY_STORAGE, k); else sessionStorage.removeItem(KEY_STORAGE);
      refreshStats();
      refreshTasks();
    });
    $("filter-status").addEventListener("change", refreshTasks);
    $("filter-function").addEventListener("change", refreshTasks);
    $("refresh").addEventListener("click", refreshTasks);
    $("more").addEventListener("click", moreTasks);
    $("cancel").addEventListener("click", cancelSelected);
    $("close-detail").addEventListener("click", function () { selected = null; $("detail").hidden = true; });
    initChart();
    refreshStats();
    refreshTasks();
    setInterval(refreshStats, STATS_EVERY_MS);
    setInterval(function () { refreshTasks(); refreshDetail(); }, TASKS_EVERY_MS);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
