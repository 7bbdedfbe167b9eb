import { describe, expect, test } from "bun:test";
import { SealedChannel } from "../../src/workers/sealed-channel.ts";

const pair = () => {
  const { channel: pool, peerKeys } = SealedChannel.create();
  const executor = SealedChannel.fromKeys(peerKeys)!;
  return { pool, executor };
};

describe("SealedChannel", () => {
  test("messages open in order, both ways, and the sealed text shows nothing of them", () => {
    const { pool, executor } = pair();
    const job = { seq: 7, functionId: "f", args: '["SECRET"]' };
    const sealed = pool.seal(job);
    expect(sealed).not.toContain("SECRET");
    expect(Buffer.from(sealed, "base64").toString("latin1")).not.toContain("SECRET");
    expect(executor.open(sealed)).toEqual(job);
    expect(pool.open(executor.seal({ kind: "done", seq: 7 }))).toEqual({ kind: "done", seq: 7 });
    expect(executor.open(pool.seal("second"))).toBe("second");
  });

  test("a turn's messages sealed together open as the same list, in order (one alone too)", () => {
    const { pool, executor } = pair();
    const jobs = [{ seq: 1, args: "[1]" }, { kind: "skip", seq: 2 }, { seq: 3, args: "[3]" }];
    expect(executor.openAll(pool.sealAll(jobs))).toEqual(jobs);
    const one = pool.sealAll([{ seq: 4 }]);
    expect(executor.openAll(one)).toEqual([{ seq: 4 }]);
    expect(pool.openAll("not sealed")).toBeNull();
  });

  test("the same message sealed twice differs (a counter nonce per message)", () => {
    const { pool } = pair();
    expect(pool.seal({ a: 1 })).not.toBe(pool.seal({ a: 1 }));
  });

  const rejected: Array<[string, (p: SealedChannel, e: SealedChannel) => unknown]> = [
    ["a replay", (p, e) => { const s = p.seal(1); e.open(s); return s; }],
    ["a reordered message", (p) => { p.seal(1); return p.seal(2); }],
    ["a flipped bit", (p) => { const b = Buffer.from(p.seal({ ok: true }), "base64"); b[0]! ^= 1; return b.toString("base64"); }],
    ["a forged plain message", () => ({ kind: "done", seq: 1, status: "COMPLETED", result: '"forged"' })],
    ["a string that is not base64 of a sealed message", () => "aGVsbG8="],
    ["one sealed with other keys", () => SealedChannel.create().channel.seal(1)],
  ];
  for (const [what, make] of rejected) {
    test(`${what} does not open, and the channel accepts nothing after it`, () => {
      const { pool, executor } = pair();
      const bad = make(pool, executor);
      expect(executor.open(bad)).toBeNull();
      expect(executor.broken).toBe(true);
      expect(executor.open(pool.seal("later"))).toBeNull();
    });
  }

  test("keys must be two 32-byte keys", () => {
    expect(SealedChannel.fromKeys(null)).toBeNull();
    expect(SealedChannel.fromKeys({ send: "AAAA", receive: "AAAA" })).toBeNull();
    expect(SealedChannel.fromKeys("keys")).toBeNull();
  });
});
