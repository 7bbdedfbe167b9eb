/** readLeafTag: the value of a tag whose `value` holds no further payload (numbers, bigint, date, regexp, bytes). */
import { base64ToBytes } from "./base64.ts";
import { TYPED_ARRAYS, type TypedArrayTag } from "./tags.ts";

/** A tag whose value is a JSON leaf (or, for regexp, a fixed `{source, flags}` object). */
export type LeafTag = "number" | "bigint" | "date" | "regexp" | "arraybuffer" | TypedArrayTag;

/** The decoded value, or what is wrong with the tag's `value`. */
export type LeafResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

const INTEGER = /^-?\d+$/;

/** True when `type` names a leaf tag. */
export function isLeafTag(type: string): type is LeafTag {
  return type === "number" || type === "bigint" || type === "date" || type === "regexp" || type === "arraybuffer" || Object.hasOwn(TYPED_ARRAYS, type);
}

/** Decode the `value` of a leaf tag; never throws. */
export function readLeafTag(type: LeafTag, value: unknown): LeafResult {
  switch (type) {
    case "number":
      return number(value);
    case "bigint":
      if (typeof value !== "string" || !INTEGER.test(value)) return bad("bigint tag value must be a string of digits");
      return ok(BigInt(value));
    case "date":
      return date(value);
    case "regexp":
      return regexp(value);
    case "arraybuffer": {
      const bytes = base64(value, type);
      return bytes.ok ? ok((bytes.value as Uint8Array<ArrayBuffer>).buffer) : bytes;
    }
    default:
      return typedArray(type, value);
  }
}

function number(value: unknown): LeafResult {
  switch (value) {
    case "NaN":
      return ok(NaN);
    case "Infinity":
      return ok(Infinity);
    case "-Infinity":
      return ok(-Infinity);
    case "-0":
      return ok(-0);
  }
  return bad(`number tag value must be "NaN", "Infinity", "-Infinity" or "-0"`);
}

function date(value: unknown): LeafResult {
  if (value === null) return ok(new Date(NaN));
  if (typeof value !== "string") return bad("date tag value must be an ISO 8601 string or null");
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) return bad(`date tag value ${JSON.stringify(value.slice(0, 40))} is not a valid date`);
  return ok(parsed);
}

function regexp(value: unknown): LeafResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return bad("regexp tag value must be an object");
  const record = value as Record<string, unknown>;
  const { source, flags } = record;
  if (typeof source !== "string" || typeof flags !== "string" || Object.keys(record).length !== 2) {
    return bad(`regexp tag value must be {"source": string, "flags": string}`);
  }
  try {
    return ok(new RegExp(source, flags));
  } catch (err) {
    return bad(`invalid regexp: ${err instanceof Error ? err.message : "rejected"}`);
  }
}

function typedArray(type: TypedArrayTag, value: unknown): LeafResult {
  const decoded = base64(value, type);
  if (!decoded.ok) return decoded;
  const bytes = decoded.value as Uint8Array<ArrayBuffer>;
  const View = TYPED_ARRAYS[type];
  if (bytes.byteLength % View.BYTES_PER_ELEMENT !== 0) {
    return bad(`${type} tag needs a multiple of ${View.BYTES_PER_ELEMENT} bytes, got ${bytes.byteLength}`);
  }
  return ok(new View(bytes.buffer, 0, bytes.byteLength / View.BYTES_PER_ELEMENT));
}

function base64(value: unknown, type: string): LeafResult {
  if (typeof value !== "string") return bad(`${type} tag value must be a base64 string`);
  try {
    return ok(base64ToBytes(value));
  } catch {
    return bad(`${type} tag value is not valid base64`);
  }
}

function ok(value: unknown): LeafResult {
  return { ok: true, value };
}

function bad(problem: string): LeafResult {
  return { ok: false, problem };
}
