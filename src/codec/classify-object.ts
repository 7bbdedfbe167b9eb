/** classifyObject: which encodable kind an object is, with built-in brand checks that also work across realms. */
import { isError } from "./is-error.ts";
import { TYPED_ARRAY_TAG_BY_KIND, type TypedArrayTag } from "./tags.ts";

/** What an object is, for encoding, with the parts the encoder needs. */
export type ObjectKind =
  | { readonly kind: "array" }
  | { readonly kind: "plain" }
  | { readonly kind: "date"; readonly time: number }
  | { readonly kind: "regexp"; readonly source: string; readonly flags: string }
  | { readonly kind: "map"; readonly entries: Iterable<[unknown, unknown]> }
  | { readonly kind: "set"; readonly items: Iterable<unknown> }
  | { readonly kind: "bytes"; readonly tag: "arraybuffer" | TypedArrayTag; readonly bytes: Uint8Array }
  | { readonly kind: "error" }
  | { readonly kind: "unsupported"; readonly name: string };

const SOURCE_OF: (this: unknown) => string = getter(RegExp.prototype, "source");
const BYTE_LENGTH_OF: (this: unknown) => number = getter(ArrayBuffer.prototype, "byteLength");

/**
 * Classify `value`. Plain objects are those whose prototype is null or some realm's
 * Object.prototype; an object merely claiming a built-in's `Symbol.toStringTag` is unsupported.
 */
export function classifyObject(value: object): ObjectKind {
  if (Array.isArray(value)) return { kind: "array" };
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return { kind: "plain" };
  if (ArrayBuffer.isView(value)) return typedArray(value);
  switch (Object.prototype.toString.call(value)) {
    case "[object Date]": {
      const time = brand(() => Date.prototype.getTime.call(value));
      if (time !== undefined) return { kind: "date", time };
      break;
    }
    case "[object RegExp]": {
      const source = brand(() => SOURCE_OF.call(value));
      if (source !== undefined) return { kind: "regexp", source, flags: String((value as RegExp).flags) };
      break;
    }
    case "[object Map]": {
      const entries = brand(() => Map.prototype.entries.call(value));
      if (entries !== undefined) return { kind: "map", entries };
      break;
    }
    case "[object Set]": {
      const items = brand(() => Set.prototype.values.call(value));
      if (items !== undefined) return { kind: "set", items };
      break;
    }
    case "[object ArrayBuffer]":
      if (brand(() => BYTE_LENGTH_OF.call(value)) !== undefined) {
        return { kind: "bytes", tag: "arraybuffer", bytes: new Uint8Array(value as ArrayBuffer) };
      }
      break;
    case "[object Object]":
      // A plain object made in another realm: its prototype is that realm's Object.prototype.
      if (typeof proto === "object" && Object.getPrototypeOf(proto) === null) return { kind: "plain" };
      break;
  }
  if (isError(value)) return { kind: "error" };
  return { kind: "unsupported", name: `instance of ${className(value)}` };
}

function typedArray(view: ArrayBufferView): ObjectKind {
  const kind = Object.prototype.toString.call(view);
  const tag = TYPED_ARRAY_TAG_BY_KIND.get(kind);
  if (tag === undefined) return { kind: "unsupported", name: kind.slice(8, -1) };
  return { kind: "bytes", tag, bytes: new Uint8Array(view.buffer, view.byteOffset, view.byteLength) };
}

/** Run a built-in brand check; undefined when the value only pretends to be that built-in. */
function brand<T>(check: () => T): T | undefined {
  try {
    return check();
  } catch {
    return undefined;
  }
}

function getter<T>(proto: object, key: string): (this: unknown) => T {
  const get = Object.getOwnPropertyDescriptor(proto, key)?.get;
  if (get === undefined) throw new Error(`missing built-in getter ${key}`);
  return get as (this: unknown) => T;
}

function className(value: object): string {
  try {
    const ctor: unknown = (value as { constructor?: unknown }).constructor;
    if (typeof ctor === "function" && ctor.name) return ctor.name;
  } catch {
    // fall back to the built-in tag
  }
  return Object.prototype.toString.call(value).slice(8, -1);
}
