/** The encode slow path: turn any supported value into its wire form, a JSON-safe tree with tags. */
import { bytesToBase64 } from "./base64.ts";
import { CodecError } from "./codec-error.ts";
import { classifyObject } from "./classify-object.ts";
import { formatPath, type PathSegment } from "./path.ts";
import { setOwn } from "./set-own.ts";
import { MAX_DEPTH, TAG } from "./tags.ts";

/** How `toWire` treats what it cannot encode. */
export interface ToWireOptions {
  /**
   * Replace unsupported values (functions, symbols, class instances, circular or too-deep data)
   * with a descriptive string such as `"[function retry]"` instead of throwing.
   * @default false
   */
  readonly lenient?: boolean;
  /**
   * Keep only the stack lines of encoded errors for which it returns true.
   * @default undefined (keep every line)
   */
  readonly stackFilter?: (line: string) => boolean;
}

/** The wire form of `value`; throws CodecError naming the path of an unsupported value unless lenient. */
export function toWire(value: unknown, options: ToWireOptions = {}): unknown {
  return new WireWriter(options).write(value, 0);
}

type Wire = unknown;
type WireObject = Record<string, Wire>;

const ERROR_OWN_KEYS = new Set(["name", "message", "stack", "cause"]);

class WireWriter {
  private readonly path: PathSegment[] = [];
  private readonly ancestors = new Set<object>();

  constructor(private readonly options: ToWireOptions) {}

  /** The wire form of `value`, whose JSON will sit `depth` arrays/objects deep. */
  write(value: unknown, depth: number): Wire {
    switch (typeof value) {
      case "string":
      case "boolean":
        return value;
      case "number":
        if (Number.isFinite(value) && (value !== 0 || 1 / value > 0)) return value;
        return this.leafTag(depth, "number", numberWord(value));
      case "bigint":
        return this.leafTag(depth, "bigint", value.toString());
      case "undefined":
        return this.container(depth) ?? { [TAG]: "undefined" };
      case "function":
        return this.unsupported("function", `function${value.name ? " " + value.name : ""}`);
      case "symbol":
        return this.unsupported("symbol", value.toString());
      case "object":
        if (value === null) return null;
        return this.object(value, depth);
    }
  }

  private object(value: object, depth: number): Wire {
    const refused = this.container(depth);
    if (refused !== undefined) return refused;
    if (this.ancestors.has(value)) return this.unsupported("circular reference", "circular");
    this.ancestors.add(value);
    const wire = this.objectBody(value, depth);
    this.ancestors.delete(value);
    return wire;
  }

  private objectBody(value: object, depth: number): Wire {
    const it = classifyObject(value);
    switch (it.kind) {
      case "array":
        return this.array(value as unknown[], depth);
      case "plain":
        return this.plain(value as WireObject, depth);
      case "date":
        return this.leafTag(depth, "date", Number.isNaN(it.time) ? null : new Date(it.time).toISOString());
      case "regexp":
        return this.leafTag(depth, "regexp", { source: it.source, flags: it.flags }, 1);
      case "map":
        return this.map(it.entries, depth);
      case "set":
        return this.set(it.items, depth);
      case "bytes":
        return this.leafTag(depth, it.tag, bytesToBase64(it.bytes));
      case "error":
        return this.error(value as Error, depth);
      case "unsupported":
        return this.unsupported(it.name, it.name);
    }
  }

  private array(value: readonly unknown[], depth: number): Wire[] {
    const out: Wire[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      this.path.push(i);
      out[i] = this.write(value[i], depth + 1);
      this.path.pop();
    }
    return out;
  }

  private plain(value: WireObject, depth: number): Wire {
    const keys = Object.keys(value);
    const escaped = keys.includes(TAG);
    if (escaped) {
      const refused = this.container(depth + 1);
      if (refused !== undefined) return refused;
    }
    const childDepth = escaped ? depth + 2 : depth + 1;
    const out: WireObject = {};
    for (const key of keys) {
      this.path.push(key);
      setOwn(out, key, this.write(value[key], childDepth));
      this.path.pop();
    }
    return escaped ? { [TAG]: "object", value: out } : out;
  }

  private map(entries: Iterable<[unknown, unknown]>, depth: number): Wire {
    const refused = this.container(depth + 2);
    if (refused !== undefined) return refused;
    const pairs: Wire[] = [];
    let i = 0;
    for (const [key, item] of entries) {
      this.path.push({ text: `.keys()[${i}]` });
      const wireKey = this.write(key, depth + 3);
      this.path.pop();
      this.path.push({ text: `.values()[${i}]` });
      pairs.push([wireKey, this.write(item, depth + 3)]);
      this.path.pop();
      i++;
    }
    return { [TAG]: "map", value: pairs };
  }

  private set(items: Iterable<unknown>, depth: number): Wire {
    const refused = this.container(depth + 1);
    if (refused !== undefined) return refused;
    const out: Wire[] = [];
    let i = 0;
    for (const item of items) {
      this.path.push({ text: `.values()[${i++}]` });
      out.push(this.write(item, depth + 2));
      this.path.pop();
    }
    return { [TAG]: "set", value: out };
  }

  private error(err: Error, depth: number): Wire {
    const refused = this.container(depth + 1);
    if (refused !== undefined) return refused;
    const fields = err as Error & WireObject;
    const value: WireObject = { name: text(fields.name, "Error"), message: text(fields.message, "") };
    const stack = fields.stack;
    if (typeof stack === "string") value.stack = this.filterStack(stack);
    if (Object.hasOwn(err, "cause")) value.cause = this.child("cause", fields.cause, depth + 2);
    const aggregate = err instanceof AggregateError && Array.isArray(fields.errors);
    if (aggregate) value.errors = this.child("errors", fields.errors, depth + 2);
    for (const key of Object.keys(err)) {
      if (ERROR_OWN_KEYS.has(key) || (aggregate && key === "errors")) continue;
      setOwn(value, key, this.child(key, fields[key], depth + 2));
    }
    return { [TAG]: "error", value };
  }

  private child(key: string, value: unknown, depth: number): Wire {
    this.path.push(key);
    const wire = this.write(value, depth);
    this.path.pop();
    return wire;
  }

  private filterStack(stack: string): string {
    const keep = this.options.stackFilter;
    return keep === undefined ? stack : stack.split("\n").filter(keep).join("\n");
  }

  /** A tag around a JSON leaf (`extraLevels` = nesting inside `value`, e.g. 1 for the regexp object). */
  private leafTag(depth: number, tag: string, value: Wire, extraLevels = 0): Wire {
    return this.container(depth + extraLevels) ?? { [TAG]: tag, value };
  }

  /** Undefined when a container may open at `depth`; otherwise the lenient placeholder (or throws). */
  private container(depth: number): Wire {
    if (depth < MAX_DEPTH) return undefined;
    return this.unsupported(`value nested deeper than ${MAX_DEPTH} levels`, "too deep");
  }

  private unsupported(what: string, placeholder: string): string {
    if (this.options.lenient) return `[${placeholder}]`;
    throw new CodecError(`cannot encode ${what} at ${formatPath(this.path)}`);
  }
}

function numberWord(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === 0) return "-0";
  return n > 0 ? "Infinity" : "-Infinity";
}

function text(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  return value === undefined ? fallback : String(value);
}
