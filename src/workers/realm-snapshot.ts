/** A snapshot of the thread's realm (globals, built-ins, `Bun`, `process`) taken before user code, and the cheap check of what changed since. */

// Captured at load, before any user code: the check never calls anything user code could have replaced.
const ownKeys = Reflect.ownKeys;
const describeOwn = Object.getOwnPropertyDescriptor;
const protoOf = Object.getPrototypeOf;
const isExtensible = Object.isExtensible;
const same = Object.is;
const hasOwn = Object.hasOwn;
const define = Object.defineProperty;
const preventExtensions = Object.preventExtensions;
const toName = String;

/** A property as it was: its flags and its value (data) or accessor functions. */
interface Prop {
  key: string | symbol;
  value: unknown;
  get: unknown;
  set: unknown;
  flags: number;
  /** Its value is made afresh on every read (e.g. `PerformanceObserver.supportedEntryTypes`): only flags compare. */
  volatile: boolean;
  /** Non-configurable and (if data) non-writable: it can never change, so only its key is compared. */
  fixed: boolean;
  /** A non-configurable data property: it stays one, so its value is read directly (no getter can run). */
  direct: boolean;
}

/** One object watched: its prototype, extensibility and own properties in order. */
interface Watched {
  name: string;
  object: object;
  proto: object | null;
  extensible: boolean;
  /** Non-extensible with every property non-configurable: its keys cannot change, only values are read. */
  sealed: boolean;
  props: Prop[];
}

/** What {@link takeRealmSnapshot} returns. */
export interface RealmSnapshot {
  /** What changed since the snapshot (the first difference found), or null when nothing did. */
  changed(): string | null;
  /** How many objects and properties it compares. */
  readonly size: { objects: number; properties: number };
}

/**
 * ECMAScript intrinsics with no global name, reached through values that have one. Their prototypes are
 * shared by every array, iterator, generator and async function a task makes.
 */
function hiddenIntrinsics(): [string, object][] {
  const arrayIterator = protoOf([][Symbol.iterator]()) as object;
  const generator = protoOf(function* () {}) as object;
  const asyncGenerator = protoOf(async function* () {}) as object;
  const typedArray = protoOf(Int8Array) as object;
  return [
    ["%ArrayIteratorPrototype%", arrayIterator],
    ["%IteratorPrototype%", protoOf(arrayIterator) as object],
    ["%StringIteratorPrototype%", protoOf(""[Symbol.iterator]()) as object],
    ["%MapIteratorPrototype%", protoOf(new Map().entries()) as object],
    ["%SetIteratorPrototype%", protoOf(new Set().values()) as object],
    ["%RegExpStringIteratorPrototype%", protoOf(/a/[Symbol.matchAll]("")) as object],
    ["%GeneratorFunction.prototype%", generator],
    ["%GeneratorPrototype%", (generator as { prototype: object }).prototype],
    ["%AsyncGeneratorFunction.prototype%", asyncGenerator],
    ["%AsyncGeneratorPrototype%", (asyncGenerator as { prototype: object }).prototype],
    ["%AsyncIteratorPrototype%", protoOf((asyncGenerator as { prototype: object }).prototype) as object],
    ["%AsyncFunction.prototype%", protoOf(async function () {}) as object],
    ["%TypedArray%", typedArray],
    ["%TypedArray.prototype%", (typedArray as { prototype: object }).prototype],
  ];
}

/**
 * Objects that stay extensible (user code and the runtime add properties to them); every other watched object is
 * made non-extensible at the snapshot: a task can no longer add a method to `Array.prototype` (in sloppy code the
 * assignment does nothing, in strict code it throws), and its keys need not be listed on every check.
 */
const STAY_EXTENSIBLE = new Set(["globalThis", "Bun", "process", "console", "Object.prototype"]);

/** The global constructors and namespaces whose statics and prototypes are watched, beyond `globalThis` itself. */
const WATCHED_GLOBALS = [
  "Object", "Function", "Array", "Number", "Boolean", "String", "Symbol", "BigInt", "Math", "JSON", "Reflect",
  "Atomics", "Date", "RegExp", "Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError",
  "URIError", "AggregateError", "Promise", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry",
  "ArrayBuffer", "SharedArrayBuffer", "DataView", "Uint8Array", "Iterator", "Proxy", "Intl",
  "Bun", "process", "console", "Buffer", "EventTarget", "MessagePort", "MessageEvent", "Event",
  "TextEncoder", "TextDecoder", "URL", "Headers", "Request", "Response", "AbortController", "AbortSignal",
];

/**
 * Snapshot the realm now. Call it before any user code runs; `changed()` then tells whether a task altered
 * what every later task on this thread would see: `globalThis`'s own properties (names, values, descriptors),
 * the statics and prototypes of the built-ins above (symbol keys too), `Bun` and `process`.
 */
export function takeRealmSnapshot(): RealmSnapshot {
  const watched: Watched[] = [];
  const seen = new Set<object>();
  const watch = (name: string, object: unknown): void => {
    if ((typeof object !== "object" && typeof object !== "function") || object === null || seen.has(object)) return;
    seen.add(object);
    watched.push(capture(name, object));
  };
  // Object.prototype first: once its keys are known unchanged, reading `value`/`get`/… of a descriptor
  // can fall through to nothing user code installed.
  watch("Object.prototype", Object.prototype);
  watch("globalThis", globalThis);
  for (const name of WATCHED_GLOBALS) {
    const d = describeOwn(globalThis, name);
    if (d === undefined || !hasOwn(d, "value")) continue;
    watch(name, d.value);
    if (typeof d.value === "function") {
      const p = describeOwn(d.value, "prototype");
      if (p !== undefined && hasOwn(p, "value")) watch(`${name}.prototype`, p.value);
    }
  }
  for (const [name, object] of hiddenIntrinsics()) watch(name, object);
  // Lock last: the prototypes above were read through `Object.prototype` and friends while still open.
  for (const w of watched) seal(w);
  let properties = 0;
  for (const w of watched) properties += w.props.length;
  return { changed: () => compare(watched), size: { objects: watched.length, properties } };
}

/** writable | enumerable | configurable | data, as bits (a data descriptor always has `writable`). */
function flagsOf(d: PropertyDescriptor): number {
  return (d.writable === true ? 1 : 0) | (d.enumerable ? 2 : 0) | (d.configurable ? 4 : 0) | (d.writable !== undefined ? 8 : 0);
}

/**
 * Make a property non-configurable, keeping its value, writability and enumerability: user code may still assign
 * it (the check then sees the new value), but can no longer delete it or turn it into an accessor, so the check
 * reads it directly instead of asking for its descriptor (about 10 times cheaper).
 */
function pin(object: object, key: string | symbol): void {
  try {
    define(object, key, { configurable: false });
  } catch {
    // an exotic object that refuses: the property is compared through its descriptor
  }
}

function capture(name: string, object: object): Watched {
  const props: Prop[] = [];
  for (const key of ownKeys(object)) {
    if (describeOwn(object, key)!.configurable) pin(object, key);
    const d = describeOwn(object, key)!;
    const again = describeOwn(object, key)!;
    const flags = flagsOf(d);
    const fixed = (flags & 4) === 0 && (flags & 9) !== 9;
    const direct = (flags & 4) === 0 && (flags & 9) === 9;
    props.push({ key, value: d.value, get: d.get, set: d.set, flags, volatile: !same(d.value, again.value), fixed, direct });
  }
  return { name, object, proto: protoOf(object), extensible: isExtensible(object), sealed: false, props };
}

function seal(w: Watched): void {
  if (!STAY_EXTENSIBLE.has(w.name)) {
    try {
      preventExtensions(w.object);
    } catch {
      // refused: its keys are compared on every check
    }
  }
  w.extensible = isExtensible(w.object);
  w.sealed = !w.extensible;
  for (const p of w.props) if ((p.flags & 4) !== 0) w.sealed = false;
}

function compare(watched: Watched[]): string | null {
  for (let i = 0; i < watched.length; i++) {
    const w = watched[i]!;
    const { object, props } = w;
    if (protoOf(object) !== w.proto) return `${w.name}'s prototype was replaced`;
    if (isExtensible(object) !== w.extensible) return `${w.name} was made non-extensible`;
    const keys = w.sealed ? null : ownKeys(object);
    if (keys !== null && keys.length !== props.length) return `${w.name} has ${keys.length > props.length ? "new" : "deleted"} properties`;
    for (let j = 0; j < props.length; j++) {
      const p = props[j]!;
      if (keys !== null && keys[j] !== p.key) return `${w.name}.${toName(p.key)} was deleted or redefined`;
      if (p.fixed) continue;
      if (p.direct) {
        const v = (object as Record<string | symbol, unknown>)[p.key];
        if (v !== p.value && !p.volatile && v === v) return `${w.name}.${toName(p.key)} was changed`;
        continue;
      }
      const d = describeOwn(object, p.key)!;
      const v = d.value;
      if (flagsOf(d) !== p.flags || d.get !== p.get || d.set !== p.set || (v !== p.value && !p.volatile && v === v)) {
        return `${w.name}.${toName(p.key)} was changed`;
      }
    }
  }
  return null;
}
