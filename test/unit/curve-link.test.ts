// The worker link under CURVE, without processes: key files and lists, the config flags, and which workers the dispatcher's authorize hook accepts.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommand } from "../../src/config.ts";
import { WorkerCredentials } from "../../src/dispatcher/modes/worker-credentials.ts";
import { AUTH_PROPERTY, encodeHandshakeAuth, PROTOCOL_VERSION } from "../../src/protocol/index.ts";
import { readAuthorizedKeys, readKeyPairFile, writeKeyPairFiles } from "../../src/roles/curve-key-files.ts";
import { curveKeyPair, type HandshakePeer } from "../../src/zmtp/index.ts";

const dir = mkdtempSync(join(tmpdir(), "faas-curve-"));

function peer(publicKey: string | null, workerId: string, secret = ""): HandshakePeer {
  const metadata = new Map([[AUTH_PROPERTY.toLowerCase(), Buffer.from(encodeHandshakeAuth({ version: PROTOCOL_VERSION, workerId, secret }))]]);
  return { address: "tcp://127.0.0.1:1", mechanism: publicKey === null ? "NULL" : "CURVE", socketType: "DEALER", identity: null, metadata, publicKey };
}

describe("the authorize hook under CURVE", () => {
  const a = curveKeyPair().publicKey;
  const b = curveKeyPair().publicKey;
  const creds = new WorkerCredentials("the-secret", new Set([a]));

  test("accepts a listed key whose worker id is the key or begins with KEY/, and checks no secret", () => {
    expect(creds.authorize(peer(a, `${a}/host-1-abc`))).toBe(true);
    expect(creds.authorize(peer(a, a))).toBe(true);
    expect(creds.denial({ version: PROTOCOL_VERSION, workerId: `${a}/x`, secret: "" })).toBeNull();
  });

  test("refuses an unlisted key, a NULL peer, and a listed key claiming another worker's identity", () => {
    expect(creds.authorize(peer(b, `${b}/host-1-abc`))).toContain("not in the dispatcher's --authorized-workers");
    expect(creds.authorize(peer(null, "w", "the-secret"))).toContain("requires CURVE");
    expect(creds.authorize(peer(a, `${b}/host-1-abc`))).toContain("must be the worker's public key");
    expect(creds.authorize(peer(a, "plain-worker-id"))).toContain("must be the worker's public key");
  });

  test("a connection is bound to the identity it presented: messages naming another are refused", () => {
    const c = new WorkerCredentials(undefined, new Set([a]));
    const p = peer(a, `${a}/one`);
    c.joined("conn", { ...p, authenticated: true, routingId: Buffer.from("conn") } as never);
    expect(c.refusal("conn", `${a}/one`)).toBeNull();
    expect(c.refusal("conn", `${a}/two`)).toContain("authorized as worker");
  });
});

describe("key files", () => {
  test("a written pair reads back; the public line must match the secret", () => {
    const file = join(dir, "pair.key");
    const pair = writeKeyPairFiles(file);
    expect(readKeyPairFile(file, "--curve-key")).toEqual(pair);
    const other = curveKeyPair();
    const mixed = join(dir, "mixed.key");
    writeFileSync(mixed, `public=${other.publicKey}\nsecret=${pair.secretKey}\n`, { mode: 0o600 });
    expect(() => readKeyPairFile(mixed, "--curve-key")).toThrow("is not the public key of its secret=");
    const onlySecret = join(dir, "secret-only.key");
    writeFileSync(onlySecret, `secret=${pair.secretKey}\n`, { mode: 0o600 });
    expect(readKeyPairFile(onlySecret, "--curve-key")).toEqual(pair);
  });

  test("authorized-workers: keys, # comments, blank lines, trailing comments (no key begins with #)", () => {
    const k1 = curveKeyPair().publicKey;
    const k2 = curveKeyPair().publicKey;
    const file = join(dir, "auth");
    writeFileSync(file, `# comment\n\n  ${k1}   # machine b\n${k2}\n#short comment\n#${k1.slice(1)}\n`);
    expect([...readAuthorizedKeys(file)]).toEqual([k1, k2]);
    expect(Array.from({ length: 300 }, () => curveKeyPair().publicKey).some((k) => k.startsWith("#"))).toBe(false);
    writeFileSync(file, `${k1}\n${k1} trailing words\n`);
    expect(() => readAuthorizedKeys(file)).toThrow("line 2");
  });
});

describe("config", () => {
  const d = (args: string[]) => parseCommand(["dispatcher", "-m", "push", ...args], {});
  test("dispatcher: --curve-key and --authorized-workers go together, not with a secret, not in local mode", () => {
    expect(d(["--curve-key", "k", "--authorized-workers", "a"])).toMatchObject({ curveKeyFile: "k", authorizedWorkersFile: "a" });
    expect(() => d(["--curve-key", "k"])).toThrow("--authorized-workers");
    expect(() => d(["--authorized-workers", "a"])).toThrow("--curve-key");
    expect(() => d(["--curve-key", "k", "--authorized-workers", "a", "--secret", "s"])).toThrow("not both");
    expect(() => parseCommand(["dispatcher", "--curve-key", "k", "--authorized-workers", "a"], {})).toThrow("pull or push");
  });

  test("worker: --curve-key needs a 40-character Z85 --dispatcher-key", () => {
    const key = curveKeyPair().publicKey;
    const w = (args: string[]) => parseCommand(["worker", "push", "1", "tcp://127.0.0.1:1", ...args], {});
    expect(w(["--curve-key", "k", "--dispatcher-key", key])).toMatchObject({ curveKeyFile: "k", dispatcherKey: key });
    expect(() => w(["--curve-key", "k"])).toThrow("--dispatcher-key");
    expect(() => w(["--curve-key", "k", "--dispatcher-key", "x".repeat(39)])).toThrow("40-character");
    expect(() => w(["--curve-key", "k", "--dispatcher-key", key, "--secret-file", "f"])).toThrow("not both");
    // Z85 has "-": a key that begins with it is still the option's value.
    const dashed = `-${key.slice(1)}`;
    expect(w(["--curve-key", "k", "--dispatcher-key", dashed])).toMatchObject({ dispatcherKey: dashed });
  });

  test("up: CURVE on by default, off with --curve off or an explicit --secret", () => {
    expect(parseCommand(["up", "-m", "push"], {})).toMatchObject({ curve: true });
    expect(parseCommand(["up", "-m", "push"], { FAAS_SECRET: "s" })).toMatchObject({ curve: true });
    expect(parseCommand(["up", "--curve", "off"], {})).toMatchObject({ curve: false });
    expect(parseCommand(["up", "--secret", "s"], {})).toMatchObject({ curve: false });
    expect(() => parseCommand(["up", "--curve", "on", "--secret", "s"], {})).toThrow("--curve off");
    expect(() => parseCommand(["up", "--curve", "maybe"], {})).toThrow("on or off");
  });
});
