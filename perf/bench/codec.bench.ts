/** Benchmarks of the value codec on the task hot path: arguments and results, plain and tagged. */
import { bench, do_not_optimize, group } from "mitata";
import { decode, encode } from "../../src/codec/index.ts";

const smallArray = [21, "text", true, null];
const smallText = encode(smallArray);

const record: Record<string, unknown> = {};
for (let i = 0; i < 150; i++) record[`key${i}`] = { id: i, name: `item number ${i}`, tags: ["a", "b"], ok: i % 2 === 0 };
const recordText = encode(record);

const tagged = {
  id: 123n,
  when: new Date(0),
  missing: undefined,
  ratio: NaN,
  seen: new Set(["a", "b"]),
  index: new Map([["k", [1, 2, 3]]]),
  bytes: new Uint8Array(64),
};
const taggedText = encode(tagged);

group("codec", () => {
  // encode of a 4-element plain argument array (fast path: plain JSON check + JSON.stringify)
  bench("encode small plain array", () => do_not_optimize(encode(smallArray)));
  // decode of the same small array (fast path: JSON.parse, no tag post-pass)
  bench("decode small plain array", () => do_not_optimize(decode(smallText)));
  // encode of a ~10 KB plain object (150 nested records)
  bench(`encode ${(recordText.length / 1024).toFixed(0)} KB plain object`, () => do_not_optimize(encode(record)));
  // decode of the ~10 KB plain object (JSON.parse plus the depth guard for long text)
  bench(`decode ${(recordText.length / 1024).toFixed(0)} KB plain object`, () => do_not_optimize(decode(recordText)));
  // encode of an object holding bigint, Date, undefined, NaN, Set, Map and Uint8Array (tagging slow path)
  bench("encode value with tags", () => do_not_optimize(encode(tagged)));
  // decode of that tagged payload (JSON.parse plus the tag post-pass)
  bench("decode value with tags", () => do_not_optimize(decode(taggedText)));
});
