// The compiled binary's front door: `faas up` with --allowed-hosts and --cors-origin, driven over raw TCP and python3 urllib.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { copyBinary, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { rawRequest, urllibOversizePosts } from "../support/raw-http.ts";

let copy: FaasCopy;
let up: FaasProcess;
let port: number;
const origin = "https://app.example.com";

beforeAll(async () => {
  copy = copyBinary();
  up = spawnFaas(copy.bin, ["up", "--port", "0", "-w", "1", "--data-dir", join(copy.dir, "data"),
    "--allowed-hosts", "faas.test", "--cors-origin", origin, "--max-body", "65536"], copy.dir);
  port = Number(new URL((await up.waitFor(/is up: (http:\/\/\S+)/, 30_000))[1]!).port);
}, 40_000);

afterAll(async () => {
  await up?.stop();
  copy.remove();
});

test("20 of 20 python3 urllib POSTs over --max-body read the 413 JSON answer", async () => {
  const { ok, stderr } = await urllibOversizePosts(`http://127.0.0.1:${port}`, "/register_function");
  expect(stderr).toBe("");
  expect(ok).toBe(20);
}, 70_000);

test("Host: own address and --allowed-hosts answered, others 403 HOST_NOT_ALLOWED", async () => {
  expect((await rawRequest(port, "GET", "/health", { headers: { Host: `localhost:${port}` } })).status).toBe(200);
  expect((await rawRequest(port, "GET", "/health", { headers: { Host: "faas.test" } })).status).toBe(200);
  const refused = await rawRequest(port, "GET", "/health", { headers: { Host: "rebound.example" } });
  expect(refused.status).toBe(403);
  expect(refused.json.error.code).toBe("HOST_NOT_ALLOWED");
});

test("CORS preflight from the --cors-origin page, and 405 with Allow", async () => {
  const pre = await rawRequest(port, "OPTIONS", "/execute_function", {
    headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization" },
  });
  expect(pre.status).toBe(204);
  expect(pre.headers["access-control-allow-origin"]).toBe(origin);
  expect(pre.headers["access-control-allow-headers"]).toContain("Idempotency-Key");
  const wrong = await rawRequest(port, "DELETE", "/health");
  expect(wrong.status).toBe(405);
  expect(wrong.headers.allow).toBe("GET, HEAD");
  expect(wrong.json.error.code).toBe("METHOD_NOT_ALLOWED");
});
