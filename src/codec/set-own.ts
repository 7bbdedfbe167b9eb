/** setOwn: writing a key as plain data, so `__proto__` never reaches the prototype setter. */

/** Set `target[key] = value` as an own enumerable data property, even when `key` is `"__proto__"`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
