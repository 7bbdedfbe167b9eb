// The dashboard (`GET /ui`) of the compiled binary in a real browser: Debian's chromium, headless, driven by
// playwright-core (no browser download). It shows submitted tasks, opens one (record and logs), cancels a running one.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";

const CHROMIUM = "/usr/bin/chromium";
/** Where the README's screenshot lives; the test writes it only when asked (FAAS_UPDATE_SCREENSHOT=1). */
const SCREENSHOT = resolve(import.meta.dir, "../../docs/images/dashboard.png");

let copy: FaasCopy;
let up: FaasProcess;
let url = "";
let browser: Browser;
let page: Page;
/** Requests the page made to any other host than the API (must stay empty). */
const foreign: string[] = [];

/**
 * A function returning `expr`, JavaScript for the page: Playwright sends a function's source to run as a function
 * (a string would be evaluated, which the page's Content-Security-Policy forbids, as it should).
 */
const inPage = (expr: string) => new Function(`return (${expr});`) as () => unknown;

/** Wait until `expr`, evaluated in the page, is truthy (or fail after `ms`). */
function until(p: Page, expr: string, ms = 10_000) {
  return p.waitForFunction(inPage(expr), undefined, { timeout: ms });
}

/** In-page expression: the text of the element with this id. */
const text = (id: string) => `document.getElementById(${JSON.stringify(id)})?.textContent`;

/** In-page expression: the task ids of the rows the task list shows. */
const ROW_IDS = `[...document.querySelectorAll("#tasks tr[data-task-id]")].map((r) => r.getAttribute("data-task-id"))`;

async function post(path: string, body?: unknown): Promise<any> {
  const r = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run ./scripts/test.sh (it installs Debian's chromium package), or apt-get install chromium`);
  }
  copy = copyBinary();
  up = spawnFaas(copy.bin, ["up", "--port", "0", "-w", "2", "--data-dir", join(copy.dir, "data"), "--task-timeout", "120"], copy.dir);
  url = (await up.waitFor(/is up: (http:\/\/\S+)/))[1]!;
  // Root (CI containers) cannot use chromium's sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const origin = new URL(url).origin;
  await page.route("**/*", (route) => {
    const u = route.request().url();
    if (new URL(u).origin === origin) return route.continue();
    foreign.push(u);
    return route.abort();
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await up?.stop();
  copy?.remove();
});

test("the page lists submitted tasks, opens one with its logs, and cancels a running one", async () => {
  const fast = (await post("/register_function", { name: "double", payload: "(x) => { console.log('hello from', x); return x * 2; }" })).function_id;
  const slow = (await post("/register_function", { name: "sleepy", payload: "async () => { console.log('going to sleep'); await new Promise((r) => setTimeout(r, 100000)); }" })).function_id;
  const done: string[] = [];
  for (let i = 1; i <= 3; i++) done.push((await post("/execute_function", { function_id: fast, payload: JSON.stringify([i]) })).task_id);
  const long = (await post("/execute_function", { function_id: slow, payload: "[]" })).task_id;

  // The binary's API answers /ready and /metrics from what its dispatcher publishes.
  await eventually(async () => (await fetch(`${url}/ready`)).status === 200, 20_000, "faas up ready");
  expect(await (await fetch(`${url}/metrics`)).text()).toContain('faas_workers_connected{mode="local"} 1');

  await page.goto(`${url}/ui`);
  // Every task shows in the list (it refreshes on its own every few seconds).
  for (const id of [...done, long]) await page.waitForSelector(`#tasks tr[data-task-id="${id}"]`, { timeout: 20_000 });
  await until(page, `Number(${text("stat-created")}) >= 4`, 20_000);
  await page.waitForSelector("#workers tr[data-worker-id]", { timeout: 20_000 });

  // One finished task: its record and what it printed.
  await page.waitForSelector(`#tasks tr[data-task-id="${done[1]}"][data-status="COMPLETED"]`, { timeout: 20_000 });
  await page.click(`#tasks tr[data-task-id="${done[1]}"]`);
  await until(page, `${text("detail-id")} === ${JSON.stringify(done[1])}`);
  await until(page, `${text("detail-status")} === "COMPLETED"`);
  await until(page, `${text("detail-logs")}?.includes("hello from 2")`);
  expect(await page.textContent("#detail-result")).toContain("4");
  expect(await page.isDisabled("#cancel")).toBe(true);

  // The long one: running, then cancelled from the page.
  await page.waitForSelector(`#tasks tr[data-task-id="${long}"][data-status="RUNNING"]`, { timeout: 20_000 });
  await page.click(`#tasks tr[data-task-id="${long}"]`);
  await until(page, `${text("detail-status")} === "RUNNING"`);
  await page.click("#cancel");
  await until(page, `${text("detail-status")} === "CANCELLED"`);
  const record = (await (await fetch(`${url}/tasks/${long}`)).json()) as { status: string };
  expect(record.status).toBe("CANCELLED");

  // Filters: by status, then by function.
  await page.selectOption("#filter-status", "CANCELLED");
  await until(page, `${ROW_IDS}.join(" ") === ${JSON.stringify(long)}`);
  await page.selectOption("#filter-status", "");
  await page.fill("#filter-function", fast);
  await page.dispatchEvent("#filter-function", "change");
  await until(page, `${ROW_IDS}.sort().join(" ") === ${JSON.stringify([...done].sort().join(" "))}`);
  await page.fill("#filter-function", "");
  await page.dispatchEvent("#filter-function", "change");
  await page.click(`#tasks tr[data-task-id="${done[1]}"]`);
  await until(page, `${text("detail-status")} === "COMPLETED"`);

  expect(await page.isHidden("#error")).toBe(true);
  expect(foreign).toEqual([]);
  if (process.env.FAAS_UPDATE_SCREENSHOT === "1") {
    // A backlog that drains, so the chart has something to show.
    const nap = (await post("/register_function", { name: "nap", payload: "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms; }" })).function_id;
    for (let i = 0; i < 60; i++) await post("/execute_function", { function_id: nap, payload: JSON.stringify([300]) });
    await until(page, `Number(${text("stat-completed")}) >= 63`, 60_000);
    await until(page, `${text("stat-queued")} === "0" && ${text("stat-running")} === "0"`, 60_000);
    await page.click("#refresh");
    await until(page, `!document.querySelector('#tasks tr[data-status="QUEUED"], #tasks tr[data-status="RUNNING"]')`);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }
}, 120_000);

test("with --auth required the page asks for a key, keeps it in the tab's session, and sends it as Bearer", async () => {
  const dir = join(copy.dir, "auth");
  mkdirSync(dir, { recursive: true });
  const secured = spawnFaas(copy.bin, ["up", "--port", "0", "-w", "1", "--data-dir", join(dir, "data"), "--auth", "required"], dir);
  try {
    const base = (await secured.waitFor(/is up: (http:\/\/\S+)/))[1]!;
    const made = Bun.spawnSync([copy.bin, "keys", "create", "--data-dir", join(dir, "data"), "--name", "ui"], { cwd: dir, env: { PATH: process.env.PATH ?? "" } });
    const key = /(faas_\S+)/.exec(made.stdout.toString())?.[1];
    expect(key, made.stderr.toString()).toBeTruthy();
    const p = await browser.newPage();
    try {
      await p.goto(`${base}/ui`);
      await until(p, `${text("error")}?.includes("UNAUTHORIZED")`);
      await p.fill("#api-key", key!);
      await p.click("#save-key");
      await until(p, `${text("stat-dispatchers")} === "1"`);
      expect(await p.evaluate(inPage(`sessionStorage.getItem("bunfaas.apiKey")`))).toBe(key!);
    } finally {
      await p.close();
    }
  } finally {
    await secured.stop();
  }
}, 60_000);
