// CURVE on the worker link with real processes of the compiled binary: keygen, key files, authorized workers, refusals, the wire, faas up.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FaasClient } from "../../src/client/index.ts";
import { curvePublicKey } from "../../src/zmtp/index.ts";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";
import { recordingProxy, type TcpProxy } from "../support/tcp-proxy.ts";

let copy: FaasCopy;
let redis: TestRedis;
beforeAll(async () => {
  copy = copyBinary();
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
  copy.remove();
});

const procs: FaasProcess[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop("SIGKILL")));
  for (const p of proxies.splice(0)) p.close();
  Bun.spawnSync(["redis-cli", "-s", redis.socket, "FLUSHALL"]);
});

function faas(args: string[]): FaasProcess {
  const p = spawnFaas(copy.bin, args, copy.dir);
  procs.push(p);
  return p;
}

/** `faas keygen` run to its end. */
function run(args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([copy.bin, ...args], { cwd: copy.dir, env: { PATH: process.env.PATH ?? "" }, timeout: 20_000 });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

let n = 0;
/** A fresh key pair file in the copy's dir: its path and public key. */
function keygen(): { file: string; pub: string } {
  const file = join(copy.dir, `k${++n}.key`);
  const r = run(["keygen", "--out", file]);
  expect(r.code).toBe(0);
  return { file, pub: readFileSync(`${file}.pub`, "utf8").trim() };
}

function authorized(...pubs: string[]): string {
  const file = join(copy.dir, `auth${++n}`);
  writeFileSync(file, `# workers\n\n${pubs.map((p) => `${p}  # a worker`).join("\n")}\n`);
  return file;
}

async function stack(mode: "pull" | "push", link: string[]) {
  const dispatcher = faas(["dispatcher", "-m", mode, "-p", "0", "--redis", redis.url, "--task-timeout", "20", "--log-level", "warn", ...link]);
  const endpoint = (await dispatcher.waitFor(/ready dispatcher (tcp:\/\/\S+)/))[1]!;
  const api = faas(["api", "-p", "0", "--redis", redis.url, "--log-level", "warn"]);
  const url = (await api.waitFor(/ready api (\S+)/))[1]!;
  return { dispatcher, endpoint, client: new FaasClient({ baseUrl: url }) };
}

function worker(mode: string, endpoint: string, link: string[]): FaasProcess {
  return faas(["worker", mode, "2", endpoint, "--isolation", "thread", "--log-level", "warn", ...link]);
}

async function completes(client: FaasClient, ids: string[]) {
  for (const id of ids) {
    const r = await eventually(async () => {
      const x = await client.result(id, { wait: 10 });
      return x.status === "COMPLETED" || x.status === "FAILED" ? x : null;
    }, 30_000, `task ${id}`);
    expect(r.status).toBe("COMPLETED");
  }
}

describe("faas keygen", () => {
  test("prints a key pair; --out writes FILE (0600) and FILE.pub and prints the public key last; never overwrites", () => {
    const printed = run(["keygen"]);
    expect(printed.code).toBe(0);
    const [comment, pub, sec, ...rest] = printed.out.trimEnd().split("\n");
    expect(comment).toStartWith("# ");
    expect(rest).toEqual([]);
    expect(pub).toMatch(/^public=.{40}$/);
    expect(sec).toMatch(/^secret=.{40}$/);
    expect(curvePublicKey(sec!.slice(7))).toBe(pub!.slice(7));

    const file = join(copy.dir, "gen.key");
    const r = run(["keygen", "--out", file]);
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, "utf8");
    const pubLine = readFileSync(`${file}.pub`, "utf8");
    expect(pubLine).toMatch(/^.{40}\n$/);
    expect(r.out.trimEnd().split("\n").at(-1)).toBe(pubLine.trim());
    expect(text).toContain(`public=${pubLine.trim()}\n`);
    expect(curvePublicKey(/secret=(.{40})/.exec(text)![1]!)).toBe(pubLine.trim());

    const again = run(["keygen", "--out", file]);
    expect(again.code).toBe(2);
    expect(again.err.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  test("bad key files and lists: exit 2 with one line naming the problem", () => {
    const d = keygen();
    const w = keygen();
    const badList = join(copy.dir, "bad-list");
    writeFileSync(badList, `# ok\n${w.pub}\nnot-a-key\n`);
    const badPair = join(copy.dir, "bad-pair.key");
    writeFileSync(badPair, "public=short\n", { mode: 0o600 });
    const open = join(copy.dir, "open.key");
    writeFileSync(open, readFileSync(w.file), { mode: 0o644 });
    const cases: [string[], RegExp][] = [
      [["dispatcher", "-m", "push", "-p", "0", "--curve-key", d.file, "--authorized-workers", badList], /bad-list line 3/],
      [["dispatcher", "-m", "pull", "-p", "0", "--curve-key", badPair, "--authorized-workers", authorized(w.pub)], /bad-pair\.key line 1/],
      [["dispatcher", "-m", "push", "-p", "0", "--curve-key", d.file, "--authorized-workers", join(copy.dir, "missing")], /cannot read --authorized-workers/],
      [["worker", "push", "1", "tcp://127.0.0.1:1", "--curve-key", open, "--dispatcher-key", d.pub], /may be read by other users/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
  });
});

for (const mode of ["pull", "push"] as const) {
  test(`${mode} over CURVE: an authorized worker runs tasks; an unknown key is refused and a wrong --dispatcher-key gets nothing`, async () => {
    const d = keygen();
    const good = keygen();
    const stranger = keygen();
    const s = await stack(mode, ["--curve-key", d.file, "--authorized-workers", authorized(good.pub)]);
    const fid = await s.client.register("(a, b) => a + b");
    const first = await s.client.execute(fid, [1, 2]);

    const intruder = worker(mode, s.endpoint, ["--curve-key", stranger.file, "--dispatcher-key", d.pub]);
    expect(await intruder.proc.exited).toBe(2);
    expect(intruder.errors()).toContain("is not in the dispatcher's --authorized-workers");
    await eventually(async () => s.dispatcher.errors().includes("refused a worker at handshake"), 10_000, "the dispatcher's refusal line");

    const misled = worker(mode, s.endpoint, ["--curve-key", good.file, "--dispatcher-key", stranger.pub]);
    await eventually(async () => misled.errors().includes("handshake with the dispatcher failed"), 10_000, "the worker's handshake error");
    await eventually(async () => s.dispatcher.errors().includes("failed the CURVE handshake"), 10_000, "the dispatcher's handshake line");
    expect(misled.proc.exitCode).toBeNull(); // it keeps trying, and gets nothing
    expect((await s.client.status(first)).status).toBe("QUEUED");
    await misled.stop("SIGKILL");

    const w = worker(mode, s.endpoint, ["--curve-key", good.file, "--dispatcher-key", d.pub]);
    await w.waitFor(/ready worker (\S+)/);
    const ids = [first, ...(await Promise.all(Array.from({ length: 30 }, (_, i) => s.client.execute(fid, [i, 10]))))];
    await completes(s.client, ids);
    expect(await s.client.result(ids[5]!)).toMatchObject({ result: "14" });
  });
}

for (const mechanism of ["CURVE", "NULL"] as const) {
  test(`on the wire under ${mechanism}, task arguments, code and results ${mechanism === "CURVE" ? "never appear" : "appear"} in plaintext`, async () => {
    const d = keygen();
    const w = keygen();
    const curve = mechanism === "CURVE";
    const s = await stack("push", curve ? ["--curve-key", d.file, "--authorized-workers", authorized(w.pub)] : ["--secret", "s3cret"]);
    const proxy = await recordingProxy(s.endpoint);
    proxies.push(proxy);
    const wk = worker("push", proxy.endpoint, curve ? ["--curve-key", w.file, "--dispatcher-key", d.pub] : ["--secret", "s3cret"]);
    await wk.waitFor(/ready worker/);
    const marker = `ARG-${crypto.randomUUID()}`;
    const fid = await s.client.register('(s) => s + "|CODE-MARKER-RESULT-0123456789"');
    const ids = await Promise.all(Array.from({ length: 5 }, () => s.client.execute(fid, [marker])));
    await completes(s.client, ids);
    expect((await s.client.result(ids[0]!)).result).toBe(JSON.stringify(`${marker}|CODE-MARKER-RESULT-0123456789`));
    const wire = proxy.both();
    expect(wire.length).toBeGreaterThan(1000);
    for (const text of [marker, "CODE-MARKER-RESULT-0123456789", "s3cret"]) {
      expect({ text, seen: wire.includes(text) }).toEqual({ text, seen: !curve });
    }
  });
}

for (const mode of ["push", "pull"] as const) test(`faas up -m ${mode}: CURVE by itself, with 0600 key files in the data dir reused across restarts`, async () => {
  const dataDir = join(copy.dir, `up-${mode}`);
  const start = async () => {
    const up = faas(["up", "-m", mode, "--workers", "1", "-w", "1", "--port", "0", "--data-dir", dataDir, "--isolation", "thread", "--log-level", "warn"]);
    const key = (await up.waitFor(/worker link: CURVE, dispatcher key (\S{40})/))[1]!;
    const url = (await up.waitFor(/is up: (http:\/\/\S+)/))[1]!;
    return { up, key, endpoint: (/dispatcher: (tcp:\/\/\S+)/.exec(up.output()) ?? [])[1]!, client: new FaasClient({ baseUrl: url }) };
  };
  const first = await start();
  for (const f of ["dispatcher.key", "worker.key", "authorized-workers"]) expect({ f, mode: statSync(join(dataDir, f)).mode & 0o777 }).toEqual({ f, mode: 0o600 });
  expect(readFileSync(join(dataDir, "dispatcher.key.pub"), "utf8").trim()).toBe(first.key);
  const workerPub = readFileSync(join(dataDir, "worker.key.pub"), "utf8").trim();
  const fid = await first.client.register("(x) => x * 2");
  await completes(first.client, await Promise.all(Array.from({ length: 10 }, (_, i) => first.client.execute(fid, [i]))));

  // A worker started by hand over TCP with a key not in the data dir's list is refused.
  const stranger = keygen();
  const intruder = worker(mode, first.endpoint, ["--curve-key", stranger.file, "--dispatcher-key", first.key]);
  expect(await intruder.proc.exited).toBe(2);
  // Nor does a NULL worker get anywhere: it never completes a handshake.
  const plain = worker(mode, first.endpoint, ["--secret", "anything"]);
  await eventually(async () => plain.errors().includes("handshake with the dispatcher failed"), 10_000, "the NULL worker's handshake error");
  await plain.stop("SIGKILL");
  expect(await first.up.stop("SIGTERM")).toBe(0);

  const second = await start();
  expect(second.key).toBe(first.key);
  expect(readFileSync(join(dataDir, "worker.key.pub"), "utf8").trim()).toBe(workerPub);
  expect(readFileSync(join(dataDir, "authorized-workers"), "utf8").split(workerPub).length).toBe(2); // listed once
  await completes(second.client, await Promise.all(Array.from({ length: 10 }, (_, i) => second.client.execute(fid, [i]))));
  expect(await second.up.stop("SIGTERM")).toBe(0); // and its managed Redis with it
});
