import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp, type ApiDeps } from "../../src/api/app.ts";
import { serveApi, type ApiServer, type ServeApiOptions } from "../../src/api/serve-api.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { rawRequest, type RawAnswer, urllibOversizePosts } from "../support/raw-http.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
const servers: ApiServer[] = [];
let plain: ApiServer;

function serve(app: Partial<ApiDeps> = {}, opts: Partial<ServeApiOptions> = {}): ApiServer {
  const s = serveApi({ app: createApp({ store, log: silentLog, ...app }), port: 0, ...opts });
  servers.push(s);
  return s;
}

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  plain = serve();
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  await store.close();
  await redis.stop();
});

function expectJsonError(a: RawAnswer, status: number, code: string): void {
  expect(a.writeError).toBeUndefined();
  expect(a.status).toBe(status);
  expect(a.complete).toBe(true);
  expect(a.headers["content-type"]).toContain("application/json");
  expect(Object.keys(a.json)).toEqual(["error"]);
  expect(a.json.error.code).toBe(code);
  expect(a.json.error.message.length).toBeGreaterThan(5);
}

const FIVE_MIB = new Uint8Array(5 * 1024 * 1024).fill(0x61);
const json = { "Content-Type": "application/json" };

describe("413 to clients that send the whole body before reading", () => {
  test("20 of 20 raw Connection: close POSTs of 5 MiB read a complete 413 JSON answer", async () => {
    let answered = 0;
    for (let i = 0; i < 20; i++) {
      const a = await rawRequest(plain.port, "POST", "/register_function", {
        headers: { ...json, "Content-Length": String(FIVE_MIB.byteLength) },
        body: FIVE_MIB,
      });
      expectJsonError(a, 413, "PAYLOAD_TOO_LARGE");
      answered++;
    }
    expect(answered).toBe(20);
  });

  test("20 of 20 python3 urllib POSTs of 5 MiB get the 413 JSON answer", async () => {
    const { ok, stderr } = await urllibOversizePosts(plain.url, "/execute_function");
    expect(stderr).toBe("");
    expect(ok).toBe(20);
  });

  test("a chunked body over the limit is read on and answered 413 in JSON", async () => {
    const chunk = Buffer.from("a".repeat(256 * 1024));
    const parts: Buffer[] = [];
    for (let i = 0; i < 12; i++) parts.push(Buffer.from(`${chunk.byteLength.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
    parts.push(Buffer.from("0\r\n\r\n"));
    const a = await rawRequest(plain.port, "POST", "/register_function", {
      headers: { ...json, "Transfer-Encoding": "chunked" },
      body: Buffer.concat(parts),
    });
    expectJsonError(a, 413, "PAYLOAD_TOO_LARGE");
  });

  test("a body announced far over Bun's own limit (200 MiB) is answered in JSON at once, and the connection closed", async () => {
    const a = await rawRequest(plain.port, "POST", "/register_function", {
      headers: { ...json, "Content-Length": String(200 * 1024 * 1024) },
      body: Buffer.from('{"name":'),
    });
    expect(a.status).toBe(413);
    expect(a.complete).toBe(true);
    expect(a.json.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(a.headers.connection).toBe("close");
  });

  test("after a refused body the same connection serves the next request (keep-alive)", async () => {
    const big = JSON.stringify({ name: "f", payload: `() => "${"a".repeat(2 * 1024 * 1024)}"` });
    const first = await fetch(`${plain.url}/register_function`, { method: "POST", headers: json, body: big });
    expect(first.status).toBe(413);
    expect(((await first.json()) as any).error.code).toBe("PAYLOAD_TOO_LARGE");
    const second = await fetch(`${plain.url}/health`);
    expect(second.status).toBe(200);
  });
});

describe("Host check (DNS rebinding)", () => {
  test("bound to loopback: its own address and the loopback names with its port are answered, other Hosts 403", async () => {
    const p = plain.port;
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`]) {
      const a = await rawRequest(p, "GET", "/health", { headers: { Host: host } });
      expect([host, a.status]).toEqual([host, 200]);
    }
    for (const host of ["evil.example", `evil.example:${p}`, `localhost:${p + 1}`, "127.0.0.1", `attacker.localhost:${p}`]) {
      const a = await rawRequest(p, "GET", "/health", { headers: { Host: host } });
      expectJsonError(a, 403, "HOST_NOT_ALLOWED");
    }
  });

  test("a refused Host with a 5 MiB body still reads its complete answer", async () => {
    const a = await rawRequest(plain.port, "POST", "/register_function", {
      headers: { ...json, Host: "rebound.example", "Content-Length": String(FIVE_MIB.byteLength) },
      body: FIVE_MIB,
    });
    expectJsonError(a, 403, "HOST_NOT_ALLOWED");
  });

  test("--allowed-hosts: a name alone allows any port, name:port exactly that one; the own address stays allowed", async () => {
    const s = serve({}, { allowedHosts: ["api.example.com", "proxy.example:8443"] });
    const status = async (host: string) => (await rawRequest(s.port, "GET", "/health", { headers: { Host: host } })).status;
    expect(await status("api.example.com")).toBe(200);
    expect(await status("API.example.com:1234")).toBe(200);
    expect(await status("proxy.example:8443")).toBe(200);
    expect(await status(`127.0.0.1:${s.port}`)).toBe(200);
    expect(await status("proxy.example:8444")).toBe(403);
    expect(await status("proxy.example")).toBe(403);
    expect(await status("evil.example")).toBe(403);
  });

  test("bound to 0.0.0.0: any Host, unless --allowed-hosts is given", async () => {
    const open = serve({}, { host: "0.0.0.0" });
    expect((await rawRequest(open.port, "GET", "/health", { headers: { Host: "anything.example" } })).status).toBe(200);
    const listed = serve({}, { host: "0.0.0.0", allowedHosts: ["faas.internal"] });
    expect((await rawRequest(listed.port, "GET", "/health", { headers: { Host: "faas.internal" } })).status).toBe(200);
    expect((await rawRequest(listed.port, "GET", "/health", { headers: { Host: `localhost:${listed.port}` } })).status).toBe(200);
    expectJsonError(await rawRequest(listed.port, "GET", "/health", { headers: { Host: "anything.example" } }), 403, "HOST_NOT_ALLOWED");
  });
});

describe("CORS", () => {
  const origin = "https://app.example.com";

  test("--cors-origin: a preflight is 204 with the methods and headers the API takes", async () => {
    const s = serve({ corsOrigins: [origin] });
    const a = await rawRequest(s.port, "OPTIONS", "/execute_function", {
      headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, idempotency-key, content-type" },
    });
    expect(a.status).toBe(204);
    expect(a.headers["access-control-allow-origin"]).toBe(origin);
    expect(a.headers["access-control-allow-methods"]!.split(",")).toEqual(expect.arrayContaining(["GET", "POST"]));
    const allowed = a.headers["access-control-allow-headers"]!.toLowerCase().split(",");
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "idempotency-key", "content-type"]));
    expect(a.headers["access-control-max-age"]).toBe("600");
  });

  test("answers (errors too) carry Access-Control-Allow-Origin for a listed origin only", async () => {
    const s = serve({ corsOrigins: [origin, "http://localhost:3000"] });
    const ok = await rawRequest(s.port, "GET", "/health", { headers: { Origin: origin } });
    expect(ok.status).toBe(200);
    expect(ok.headers["access-control-allow-origin"]).toBe(origin);
    const missing = await rawRequest(s.port, "GET", `/status/${crypto.randomUUID()}`, { headers: { Origin: "http://localhost:3000" } });
    expectJsonError(missing, 404, "TASK_NOT_FOUND");
    expect(missing.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    const other = await rawRequest(s.port, "GET", "/health", { headers: { Origin: "https://evil.example" } });
    expect(other.status).toBe(200);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });

  test("by default: no CORS headers, and OPTIONS is 405 like any method a path does not take", async () => {
    const pre = await rawRequest(plain.port, "OPTIONS", "/execute_function", { headers: { Origin: origin, "Access-Control-Request-Method": "POST" } });
    expectJsonError(pre, 405, "METHOD_NOT_ALLOWED");
    expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
    const get = await rawRequest(plain.port, "GET", "/health", { headers: { Origin: origin } });
    expect(get.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("methods and ids", () => {
  test("a wrong method is 405 METHOD_NOT_ALLOWED with Allow", async () => {
    const cases: [string, string, string][] = [
      ["DELETE", "/health", "GET, HEAD"],
      ["GET", "/execute_function", "POST"],
      ["PUT", `/status/${crypto.randomUUID()}`, "GET, HEAD"],
      ["POST", `/result/${crypto.randomUUID()}`, "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const a = await rawRequest(plain.port, method, path, { headers: { "Content-Length": "0" } });
      expectJsonError(a, 405, "METHOD_NOT_ALLOWED");
      expect(a.headers.allow).toBe(allow);
    }
    expectJsonError(await rawRequest(plain.port, "GET", "/nope"), 404, "NOT_FOUND");
  });

  test("upper-case uuids find their function and task", async () => {
    const reg = await fetch(`${plain.url}/register_function`, { method: "POST", headers: json, body: JSON.stringify({ name: "f", payload: "(x) => x" }) });
    const { function_id } = (await reg.json()) as { function_id: string };
    const exec = await fetch(`${plain.url}/execute_function`, {
      method: "POST", headers: json, body: JSON.stringify({ function_id: function_id.toUpperCase(), payload: "[1]" }),
    });
    expect(exec.status).toBe(201);
    const { task_id } = (await exec.json()) as { task_id: string };
    for (const path of [`/status/${task_id.toUpperCase()}`, `/result/${task_id.toUpperCase()}`]) {
      const a = await rawRequest(plain.port, "GET", path);
      expect(a.status).toBe(200);
      expect(a.json).toMatchObject({ task_id, status: "QUEUED" });
    }
  });
});
