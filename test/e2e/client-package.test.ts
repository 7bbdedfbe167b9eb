// The installable client: `bun pm pack` → a fresh project installs the tarball with npm (offline: it has no
// dependencies) → a script under Node drives a real `faas up` (the compiled binary) with it; a script under Bun uses
// `bunfaas/zmtp` from the same install (NULL and CURVE). And the CLI's client commands (fn deploy/list/rm, call, task)
// against the same stack.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { copyBinary, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";

const ROOT = resolve(import.meta.dir, "../..");
let copy: FaasCopy;
let up: FaasProcess;
let url: string;
let key: string;
let work: string;

function faas(args: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync([copy.bin, ...args], { cwd: work, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

function sh(cmd: string[], cwd: string) {
  // HOME in the temp dir: caches bun and npm write there never land in the repository
  const r = Bun.spawnSync(cmd, { cwd, env: { PATH: process.env.PATH ?? "", HOME: work }, timeout: 120_000 });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr.toString()}${r.stdout.toString()}`);
  return r.stdout.toString();
}

beforeAll(async () => {
  copy = copyBinary();
  work = mkdtempSync(join(tmpdir(), "faas-client-"));
  const dataDir = join(work, "data");
  up = spawnFaas(copy.bin, ["up", "-p", "0", "-w", "4", "--auth", "required", "--data-dir", dataDir, "--isolation", "thread"], work);
  url = (await up.waitFor(/is up: (\S+)/, 30_000))[1]!;
  const created = faas(["keys", "create", "--name", "client-test", "--data-dir", dataDir]);
  expect(created.code).toBe(0);
  key = created.out.trim().split("\n").at(-1)!;
});

/** Packs the package and installs the tarball into a fresh project, once for the tests that use it. */
let installed: Promise<{ listing: string[]; packed: { dependencies?: object }; project: string }> | undefined;
function install() {
  return installed ??= (async () => {
    sh([process.execPath, "run", "build:client"], ROOT);
    const packDir = join(work, "pack");
    sh([process.execPath, "pm", "pack", "--destination", packDir, "--quiet"], ROOT);
    const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith(".tgz"))!);
    const listing = sh(["tar", "-tzf", tarball], work).split("\n").filter(Boolean);
    const packed = JSON.parse(sh(["tar", "-xzOf", tarball, "package/package.json"], work));
    const project = join(work, "project");
    sh(["mkdir", "-p", project], work);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-bunfaas", private: true, type: "module" }));
    sh(["npm", "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], project);
    return { listing, packed, project };
  })();
}

afterAll(async () => {
  await up?.stop();
  copy?.remove();
  rmSync(work, { recursive: true, force: true });
});

describe("the packed client under Node", () => {
  test("bun pm pack ships only the package; npm installs it offline; it works on Node against the stack", async () => {
    const { listing, packed, project } = await install();
    expect(listing).toContain("package/dist/pkg/client/index.js");
    expect(listing).toContain("package/dist/pkg/client/index.d.ts");
    expect(listing).toContain("package/dist/pkg/codec/index.js");
    expect(listing).toContain("package/dist/pkg/zmtp/index.js");
    expect(listing).toContain("package/dist/pkg/zmtp/index.d.ts");
    expect(listing.filter((f) => /dist\/faas$|\.faas\/|node_modules|\/src\//.test(f))).toEqual([]);
    expect(packed.dependencies ?? {}).toEqual({});

    writeFileSync(join(project, "main.mjs"), NODE_SCRIPT);
    const out = sh(["node", "main.mjs", url, key], project);
    const r = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(r.run).toBe(42);
    expect(r.bigint).toBe("42");
    expect(r.statuses).toEqual(["COMPLETED", "COMPLETED", "FAILED", "COMPLETED"]);
    expect(r.decoded).toEqual([1, 4, null, 16]);
    expect(r.failure).toBe("RangeError: three");
    expect(r.rawDecode).toEqual({ big: "1180591620717411303424", when: "2020-01-02T00:00:00.000Z" });
    expect(r.events).toEqual([0, 1, 2, 3]);
    expect(r.map).toEqual({ length: 2500, first: 1, last: 2500, sum: 3_126_250 });
    expect(r.collect).toEqual([{ status: "fulfilled", value: 4 }, { status: "rejected", reason: "RangeError: three" }]);
    expect(r.mapThrow).toBe("RangeError: three");
    expect(r.timeout).toBe("TIMEOUT");
    expect(r.aborted).toBe("ABORTED");
    expect(r.defaultDeadline).toBe("TIMEOUT");
    expect(r.unauthorized).toBe("401 UNAUTHORIZED");

    // Its declarations type a TypeScript user's code under Node's own module resolution.
    writeFileSync(join(project, "typed.ts"), TYPED_USE);
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: {
      module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, lib: ["es2023", "dom"], types: [],
    }, files: ["typed.ts"] }));
    sh([process.execPath, join(ROOT, "node_modules/typescript/bin/tsc"), "-p", project], project);
    writeFileSync(join(project, "typed.ts"), `${TYPED_USE}\nconst wrong: string = await new FaasClient({ baseUrl: "" }).run((x: number) => x, 1);\n`);
    expect(() => sh([process.execPath, join(ROOT, "node_modules/typescript/bin/tsc"), "-p", project], project)).toThrow(/TS2322/);
  }, 180_000);
});

describe("the packed bunfaas/zmtp under Bun", () => {
  test("a Router and a Dealer from the installed package exchange messages (NULL, CURVE); Node refuses the import", async () => {
    const { listing, project } = await install();
    expect(listing.filter((f) => f.startsWith("package/dist/pkg/zmtp/chunks/libsodium-wrappers-"))).toHaveLength(1);
    expect(listing).toContain("package/dist/pkg/zmtp/LICENSE.libsodium");
    writeFileSync(join(project, "zmtp.mjs"), ZMTP_SCRIPT);
    const r = JSON.parse(sh([process.execPath, "zmtp.mjs"], project).trim().split("\n").at(-1)!);
    expect(r.null).toEqual({ id: "worker-1", got: ["job", "21"], reply: ["done", "42"] });
    expect(r.reqRep).toEqual(["pong ping"]);
    expect(r.curve).toEqual({ got: ["secret"], reply: ["sealed secret"], keyLength: 40, peerKey: true });

    const node = Bun.spawnSync(["node", "--input-type=module", "-e", 'await import("bunfaas/zmtp")'], { cwd: project, env: { PATH: process.env.PATH ?? "" } });
    expect(node.exitCode).not.toBe(0);
    expect(node.stderr.toString()).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");

    // Its declarations (they name Bun's socket type) type a Bun TypeScript user's code: @types/bun and nothing else.
    writeFileSync(join(project, "typed-zmtp.ts"), TYPED_ZMTP);
    const tsconfig = (files: string[]) => JSON.stringify({ compilerOptions: {
      module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, lib: ["esnext"],
      types: ["bun"], typeRoots: [join(ROOT, "node_modules/@types")], skipLibCheck: false,
    }, files });
    writeFileSync(join(project, "tsconfig.zmtp.json"), tsconfig(["typed-zmtp.ts"]));
    const tsc = [process.execPath, join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.zmtp.json"];
    sh(tsc, project);
    writeFileSync(join(project, "typed-zmtp.ts"), `${TYPED_ZMTP}\nconst wrong: string = await new Dealer().receive();\n`);
    expect(() => sh(tsc, project)).toThrow(/TS2322/);
  }, 180_000);
});

/** Bun TypeScript that uses the installed `bunfaas/zmtp`: it must typecheck against the package's `.d.ts`. */
const TYPED_ZMTP = `
import { Dealer, Reply, Request, Router, ZmtpError, curveKeyPair, type CurveKeyPair, type SocketOptions } from "bunfaas/zmtp";
const keys: CurveKeyPair = curveKeyPair();
const options: SocketOptions = { receiveTimeout: 10 };
export async function use(): Promise<void> {
  const router = new Router({ curveServer: true, curveSecretKey: keys.secretKey, authorize: (peer) => peer.publicKey !== null });
  await router.bind("tcp://127.0.0.1:0");
  const endpoint: string | null = router.lastEndpoint;
  const frames: Buffer[] = await new Dealer(options).receive();
  await new Request().send(["a", Buffer.from("b"), new Uint8Array(1)]);
  console.log(endpoint, frames, new Reply(), ZmtpError);
}
`;

/** The script the fresh project runs under `bun`: only the installed `bunfaas/zmtp`, printing one JSON line. */
const ZMTP_SCRIPT = `
import { Dealer, Reply, Request, Router, curveKeyPair } from "bunfaas/zmtp";
const r = {};
const opts = { receiveTimeout: 20000, sendTimeout: 20000 };
const text = (frames) => frames.map(String);

const router = new Router(opts);
await router.bind("tcp://127.0.0.1:0");
const dealer = new Dealer({ ...opts, routingId: "worker-1" });
dealer.connect(router.lastEndpoint);
await dealer.send(["job", "21"]);
const [id, ...got] = await router.receive();
await router.send([id, "done", String(Number(got[1]) * 2)]);
r.null = { id: String(id), got: text(got), reply: text(await dealer.receive()) };

const rep = new Reply(opts);
await rep.bind("tcp://127.0.0.1:0");
const req = new Request(opts);
req.connect(rep.lastEndpoint);
await req.send("ping");
const [ask] = await rep.receive();
await rep.send("pong " + ask);
r.reqRep = text(await req.receive());

const server = curveKeyPair();
const client = curveKeyPair();
const seen = [];
const curveRouter = new Router({ ...opts, curveServer: true, curveSecretKey: server.secretKey,
  authorize: (peer) => { seen.push(peer.publicKey); return peer.publicKey === client.publicKey || "unknown key"; } });
await curveRouter.bind("tcp://127.0.0.1:0");
const curveDealer = new Dealer({ ...opts, curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey });
curveDealer.connect(curveRouter.lastEndpoint);
await curveDealer.send("secret");
const [cid, secret] = await curveRouter.receive();
await curveRouter.send([cid, "sealed " + secret]);
r.curve = { got: [String(secret)], reply: text(await curveDealer.receive()), keyLength: server.publicKey.length,
  peerKey: seen.length === 1 && seen[0] === client.publicKey };
for (const s of [router, dealer, rep, req, curveRouter, curveDealer]) s.close();
console.log(JSON.stringify(r));
process.exit(0);
`;

/** TypeScript that uses the installed package: it must typecheck against the package's `.d.ts`. */
const TYPED_USE = `
import { FaasClient, FaasClientError, decode, type Settled, type TaskEvent } from "bunfaas/client";
import { decode as decodeRaw, encode } from "bunfaas/codec";
const c = new FaasClient({ baseUrl: "http://127.0.0.1:1", timeoutMs: 5 });
export async function use(): Promise<void> {
  const n: number = await c.run((x: number) => x * 2, 21);
  const xs: number[] = await c.map((x: number) => x + 1, [[1], [2]]);
  const ys: Settled<number>[] = await c.map((x: number) => x + 1, [[1]], { errors: "collect" });
  for await (const e of c.events("b", { signal: AbortSignal.timeout(10) })) { const ev: TaskEvent = e; console.log(ev.index); }
  console.log(n, xs, ys, decode("1"), decodeRaw(encode(1n)), FaasClientError);
}
`;

/** The script the fresh project runs under `node`: only the installed package, printing one JSON line. */
const NODE_SCRIPT = `
import { FaasClient, FaasClientError, decode } from "bunfaas/client";
import { decode as decodeRaw } from "bunfaas/codec";
const [url, key] = process.argv.slice(2);
const faas = new FaasClient({ baseUrl: url, key });
const r = {};
const code = (p) => p.then(() => "resolved", (e) => (e instanceof FaasClientError ? e.code : String(e)));
r.run = await faas.run((x) => x * 2, 21);
r.bigint = String(await faas.run((a, b) => a * b, 6n, 7n));
const sq = await faas.register((i) => { if (i === 3) throw new RangeError("three"); return i * i; }, "sq");
const batch = await faas.submitMany(sq, [[1], [2], [3], [4]]);
const rs = await faas.results(batch.taskIds, { wait: 30 });
r.statuses = rs.map((x) => x.status);
r.decoded = rs.map((x) => (x.status === "COMPLETED" ? decode(x.result) : null));
const err = decode(rs[2].result);
r.failure = err.name + ": " + err.message;
const raw = await faas.run(() => ({ big: 2n ** 70n, when: new Date("2020-01-02T00:00:00Z") }));
const text = (await faas.result(await faas.execute(await faas.register(() => ({ big: 2n ** 70n, when: new Date("2020-01-02T00:00:00Z") })), []), { wait: 30 })).result;
const back = decodeRaw(text);
r.rawDecode = { big: String(back.big), when: back.when.toISOString() };
if (String(raw.big) !== r.rawDecode.big) throw new Error("run and decode disagree");
const seen = [];
for await (const e of faas.events(batch.batchId)) seen.push(e.index);
r.events = seen.sort((a, b) => a - b);
const values = await faas.map((x) => x + 1, Array.from({ length: 2500 }, (_, i) => [i]), { batchSize: 1000, concurrency: 2 });
r.map = { length: values.length, first: values[0], last: values[2499], sum: values.reduce((a, b) => a + b, 0) };
const settled = await faas.map({ id: sq }, [[2], [3]], { errors: "collect" });
r.collect = settled.map((s) => (s.status === "fulfilled" ? s : { status: s.status, reason: s.reason.name + ": " + s.reason.message }));
r.mapThrow = await faas.map({ id: sq }, [[1], [3]]).then(() => "resolved", (e) => e.name + ": " + e.message);
const slow = () => new Promise((resolve) => setTimeout(resolve, 3000));
r.timeout = await code(faas.runWith(slow, [], { timeoutMs: 500 }));
const ac = new AbortController();
setTimeout(() => ac.abort(), 300);
r.aborted = await code(faas.runWith(slow, [], { signal: ac.signal }));
r.defaultDeadline = await code(new FaasClient({ baseUrl: url, key, timeoutMs: 700 }).run(slow));
r.unauthorized = await new FaasClient({ baseUrl: url }).run(() => 1).then(() => "resolved", (e) => e.status + " " + e.code);
console.log(JSON.stringify(r));
process.exit(0);
`;

describe("the CLI's client commands", () => {
  test("fn deploy, fn list, call (value, bigint, failure, --wait), task, fn rm; --url/--key and FAAS_URL/FAAS_KEY", () => {
    const flags = ["--url", url, "--key", key];
    const env = { FAAS_URL: url, FAAS_KEY: key };
    writeFileSync(join(work, "double.ts"), "(x: number): number => x * 2\n");
    writeFileSync(join(work, "big.js"), "() => 2n ** 70n\n");
    writeFileSync(join(work, "fails.js"), "(why) => { throw new RangeError(why) }\n");
    writeFileSync(join(work, "slow.js"), "() => new Promise((r) => setTimeout(r, 3000))\n");
    const deploy = faas(["fn", "deploy", "double.ts", "--name", "double", ...flags]);
    expect(deploy).toMatchObject({ code: 0, err: "" });
    const doubleId = deploy.out.trim();
    expect(doubleId).toMatch(/^[0-9a-f-]{36}$/);
    for (const [file, name] of [["big.js", "big"], ["fails.js", "fails"], ["slow.js", "slow"]]) expect(faas(["fn", "deploy", file!, "--name", name!], env).code).toBe(0);

    const list = faas(["fn", "list"], env);
    expect(list.code).toBe(0);
    expect(list.out.split("\n")[0]).toMatch(/^ID\s+NAME\s+CREATED$/);
    expect(list.out).toMatch(new RegExp(`${doubleId}\\s+double\\s+\\d{4}-`));

    expect(faas(["call", "double", "[21]"], env)).toMatchObject({ code: 0, out: "42\n" });
    expect(faas(["call", doubleId, "[2.5]", ...flags])).toMatchObject({ code: 0, out: "5\n" });
    expect(faas(["call", "big"], env)).toMatchObject({ code: 0, out: "1180591620717411303424n\n" });
    const failed = faas(["call", "fails", '["no good"]'], env);
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/^faas: task [0-9a-f-]{36} FAILED: RangeError: no good\n$/);
    const slow = faas(["call", "slow", "--wait", "0.5"], env);
    expect(slow.code).toBe(1);
    expect(slow.err).toMatch(/did not finish within 0\.5 s/);

    const created = Bun.spawnSync(["curl", "-s", "-H", `authorization: Bearer ${key}`, "-H", "content-type: application/json",
      "-d", JSON.stringify({ function_id: doubleId, payload: "[4]" }), `${url}/execute_function`]);
    const taskId = JSON.parse(created.stdout.toString()).task_id as string;
    expect(faas(["call", doubleId, "[0]"], env).code).toBe(0);
    const shown = faas(["task", taskId], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out)).toMatchObject({ task_id: taskId, function_id: doubleId, status: "COMPLETED", result: "8" });

    expect(faas(["fn", "rm", doubleId], env)).toMatchObject({ code: 0, out: `deleted ${doubleId}\n` });
    const gone = faas(["call", doubleId, "[1]"], env);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain("FUNCTION_NOT_FOUND");
    expect(faas(["fn", "list"], env).out).not.toContain(doubleId);
  }, 120_000);

  test("errors: one line; exit 2 for usage, 1 for a refused or unreachable call", () => {
    const env = { FAAS_URL: url, FAAS_KEY: key };
    for (const args of [["call"], ["call", "double", "21"], ["fn", "deploy", "x.js"], ["fn"], ["fn", "rm"], ["task"], ["call", "x", "--url", "ftp://x"]]) {
      const r = faas(args, env);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err.split("\n")[0]).toMatch(/^faas: /);
    }
    const noKey = faas(["fn", "list"], { FAAS_URL: url });
    expect(noKey.code).toBe(1);
    expect(noKey.err).toContain("UNAUTHORIZED");
    expect(noKey.err.trim().split("\n")).toHaveLength(1);
    const missing = faas(["fn", "deploy", "nope.js", "--name", "n"], env);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe("faas: cannot read nope.js: ENOENT\n");
    const down = faas(["task", crypto.randomUUID(), "--url", "http://127.0.0.1:1"], { FAAS_KEY: key });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^faas: cannot reach the bunfaas API at http:\/\/127\.0\.0\.1:1/);
    expect(down.err.trim().split("\n")).toHaveLength(1);
    expect(faas(["task", crypto.randomUUID()], env)).toMatchObject({ code: 1, err: expect.stringContaining("TASK_NOT_FOUND") });
    expect(readFileSync(join(work, "double.ts"), "utf8")).toContain("x * 2");
  });
});
