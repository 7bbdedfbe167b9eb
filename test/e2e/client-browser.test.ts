// The client bundle (dist/pkg, as `bunfaas/client` ships it) in a real browser: Debian's chromium, headless, on a
// page of another origin calling `faas up` (the compiled binary) with --cors-origin: run, map, submitMany, the
// event stream over fetch (resumed with Last-Event-ID, a header CORS must allow), deadlines.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { copyBinary, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = resolve(import.meta.dir, "../..");
let copy: FaasCopy;
/** Serves the page and dist/pkg on its own loopback port: another origin than the API's (a page Chromium only
 * routed, with no address, counts as public and may not call a loopback API: local network access). */
let site: ReturnType<typeof Bun.serve>;
let pageOrigin: string;
let up: FaasProcess;
let url: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run ./scripts/test.sh (it installs Debian's chromium package), or apt-get install chromium`);
  }
  const built = Bun.spawnSync([process.execPath, "run", "build:client"], { cwd: ROOT });
  if (built.exitCode !== 0) throw new Error(`build:client failed: ${built.stderr.toString()}`);
  const pkg = join(ROOT, "dist/pkg");
  site = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/") return new Response("<!doctype html><title>client</title>", { headers: { "content-type": "text/html" } });
      const file = resolve(pkg, `.${path}`);
      if (!file.startsWith(pkg + "/") || !existsSync(file)) return new Response("", { status: 404 });
      return new Response(readFileSync(file, "utf8"), { headers: { "content-type": "text/javascript" } });
    },
  });
  pageOrigin = `http://127.0.0.1:${site.port}`;
  copy = copyBinary();
  up = spawnFaas(copy.bin, ["up", "-p", "0", "-w", "2", "--isolation", "thread", "--cors-origin", pageOrigin, "--data-dir", join(copy.dir, "data")], copy.dir);
  url = (await up.waitFor(/is up: (http:\/\/\S+)/))[1]!;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await up?.stop();
  await site?.stop(true);
  copy?.remove();
});

test("the client runs in a browser page of another origin", async () => {
  const page = await browser.newPage();
  const failed: string[] = [];
  page.on("requestfailed", (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("console", (m) => failed.push(`console: ${m.text()}`));
  await page.goto(`${pageOrigin}/`);
  const result = await page.evaluate(async (api) => {
    const { FaasClient, FaasClientError, decode } = await import(`${(globalThis as unknown as { location: { origin: string } }).location.origin}/client/index.js`);
    const faas = new FaasClient({ baseUrl: api });
    const out: Record<string, unknown> = {};
    out.run = await faas.run((a: bigint, b: bigint) => a * b, 6n, 7n).then(String);
    out.map = await faas.map((x: number) => x * 3, [[1], [2], [3]]);
    const fn = await faas.register((ms: number, v: number) => new Promise((r) => setTimeout(() => r(v), ms)), "later");
    const batch = await faas.submitMany(fn, [[150, 0], [100, 1], [50, 2], [0, 3]]);
    const seen: number[] = [];
    // Resumed stream: Last-Event-ID "1" on the first request already (a preflighted header).
    for await (const e of faas.events(batch.batchId, { lastEventId: "1" })) seen.push(e.index);
    out.resumed = seen.sort();
    const states = await faas.results(batch.taskIds, { wait: 10 });
    out.values = states.map((s: { result: string }) => decode(s.result));
    out.timeout = await new FaasClient({ baseUrl: api, timeoutMs: 200 }).run(() => new Promise((r) => setTimeout(r, 2000)))
      .then(() => "resolved", (e: unknown) => (e instanceof FaasClientError ? (e as { code: string }).code : String(e)));
    return out;
  }, url).catch((err) => {
    throw new Error(`${err}\n${failed.join("\n")}`);
  });
  expect(result).toEqual({ run: "42", map: [3, 6, 9], resumed: [1, 2, 3], values: [0, 1, 2, 3], timeout: "TIMEOUT" });
  await page.close();
}, 60_000);
