/** The decode post-pass: turn tags in a parsed payload back into values, validating every tag. */
import { buildError } from "./build-error.ts";
import { CodecError } from "./codec-error.ts";
import { formatPath, type PathSegment } from "./path.ts";
import { setOwn } from "./set-own.ts";
import { isLeafTag, readLeafTag } from "./read-leaf-tag.ts";
import { MAX_DEPTH, TAG, TAG_NAMES } from "./tags.ts";

/**
 * The value a parsed payload stands for. Rewrites `parsed` in place (it must be fresh from
 * JSON.parse) and throws CodecError for a malformed tag or nesting deeper than MAX_DEPTH.
 */
export function fromWire(parsed: unknown): unknown {
  return new WireReader().read(parsed, 0);
}

type WireObject = Record<string, unknown>;

class WireReader {
  private readonly path: PathSegment[] = [];

  read(value: unknown, depth: number): unknown {
    if (typeof value !== "object" || value === null) return value;
    this.enter(depth);
    if (Array.isArray(value)) return this.items(value, depth);
    const record = value as WireObject;
    return Object.hasOwn(record, TAG) ? this.tag(record, depth) : this.fields(record, depth);
  }

  /** Decode each element of an array in place. */
  private items(array: unknown[], depth: number): unknown[] {
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      if (typeof item !== "object" || item === null) continue;
      this.path.push(i);
      const decoded = this.read(item, depth + 1);
      this.path.pop();
      if (decoded !== item) array[i] = decoded;
    }
    return array;
  }

  /** Decode each property of an object in place (the object itself is not a tag). */
  private fields(record: WireObject, depth: number): WireObject {
    for (const key in record) {
      const item = record[key];
      if (typeof item !== "object" || item === null || !Object.hasOwn(record, key)) continue;
      this.path.push(key);
      const decoded = this.read(item, depth + 1);
      this.path.pop();
      if (decoded !== item) setOwn(record, key, decoded);
    }
    return record;
  }

  private tag(record: WireObject, depth: number): unknown {
    const type = record[TAG];
    if (typeof type !== "string") throw this.fail(`"${TAG}" must be a string, got ${typeName(type)}`);
    if (!TAG_NAMES.has(type)) throw this.fail(`unknown ${TAG} ${quoteTag(type)}`);
    if (type === "undefined") {
      if (Object.keys(record).length !== 1) throw this.fail(`undefined tag must have no other key than "${TAG}"`);
      return undefined;
    }
    if (!Object.hasOwn(record, "value") || Object.keys(record).length !== 2) {
      throw this.fail(`${quoteTag(type)} tag must have exactly the keys "${TAG}" and "value"`);
    }
    const value = record.value;
    this.path.push("value");
    const decoded = this.tagValue(type, value, depth);
    this.path.pop();
    return decoded;
  }

  private tagValue(type: string, value: unknown, depth: number): unknown {
    switch (type) {
      case "map":
        return this.map(value, depth);
      case "set":
        return new Set(this.items(this.array(value, "set", depth + 1), depth + 1));
      case "error":
        return this.error(value, depth);
      case "object":
        return this.fields(this.object(value, "object", depth + 1), depth + 1);
    }
    if (!isLeafTag(type)) throw this.fail(`unknown ${TAG} ${quoteTag(type)}`);
    if (type === "regexp") this.enter(depth + 1);
    const leaf = readLeafTag(type, value);
    if (!leaf.ok) throw this.fail(leaf.problem);
    return leaf.value;
  }

  private map(value: unknown, depth: number): Map<unknown, unknown> {
    const entries = this.array(value, "map", depth + 1);
    const map = new Map<unknown, unknown>();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      this.path.push(i);
      if (!Array.isArray(entry) || entry.length !== 2) throw this.fail("map entry must be a [key, value] array");
      this.enter(depth + 2);
      const [key, item] = this.items(entry, depth + 2);
      map.set(key, item);
      this.path.pop();
    }
    return map;
  }

  private error(value: unknown, depth: number): Error {
    const record = this.object(value, "error", depth + 1);
    const { name, message, stack } = record;
    if (typeof name !== "string" || typeof message !== "string") {
      throw this.fail(`error tag value must have string "name" and "message"`);
    }
    if (stack !== undefined && typeof stack !== "string") throw this.fail(`error tag "stack" must be a string`);
    const fields = this.fields(record, depth + 1);
    const aggregate = name === "AggregateError" && Array.isArray(fields.errors);
    const props: [string, unknown][] = [];
    for (const key of Object.keys(fields)) {
      if (key === "name" || key === "message" || key === "stack" || key === "cause") continue;
      if (aggregate && key === "errors") continue;
      props.push([key, fields[key]]);
    }
    return buildError({
      name,
      message,
      stack,
      cause: Object.hasOwn(fields, "cause") ? { value: fields.cause } : undefined,
      errors: aggregate ? (fields.errors as unknown[]) : undefined,
      props,
    });
  }

  private array(value: unknown, type: string, depth: number): unknown[] {
    if (!Array.isArray(value)) throw this.fail(`${type} tag value must be an array`);
    this.enter(depth);
    return value;
  }

  private object(value: unknown, type: string, depth: number): WireObject {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw this.fail(`${type} tag value must be an object`);
    }
    this.enter(depth);
    return value as WireObject;
  }

  /** Throw unless an array/object may open at `depth`. */
  private enter(depth: number): void {
    if (depth >= MAX_DEPTH) throw this.fail(`payload nested deeper than ${MAX_DEPTH} levels`);
  }

  private fail(message: string): CodecError {
    return new CodecError(`${message} at ${formatPath(this.path)}`);
  }
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

function quoteTag(type: string): string {
  return JSON.stringify(type.length > 40 ? type.slice(0, 40) + "..." : type);
}
