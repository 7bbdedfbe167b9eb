/** buildError: make a real Error instance from the parts of an error payload. */
import { setOwn } from "./set-own.ts";

/** The decoded parts of an error payload. */
export interface ErrorParts {
  readonly name: string;
  readonly message: string;
  /** Stack text; when absent the stack is just `name: message` (never a frame of the decoder). */
  readonly stack?: string;
  /** Present when the original error had an own `cause` (which may itself be undefined). */
  readonly cause?: { readonly value: unknown };
  /** The `errors` of an AggregateError. */
  readonly errors?: readonly unknown[];
  /** Extra own properties such as `code`, in order. */
  readonly props?: ReadonlyArray<readonly [string, unknown]>;
}

const BUILT_IN: ReadonlyMap<string, ErrorConstructor> = new Map<string, ErrorConstructor>([
  ["Error", Error],
  ["TypeError", TypeError],
  ["RangeError", RangeError],
  ["SyntaxError", SyntaxError],
  ["ReferenceError", ReferenceError],
  ["EvalError", EvalError],
  ["URIError", URIError],
]);

const CREATION_SITE_KEYS = ["line", "column", "sourceURL", "originalLine", "originalColumn"];

/**
 * An Error with the given parts. Built-in names (TypeError, RangeError, AggregateError, ...) get
 * their own class so `instanceof` works; any other name is an Error whose `name` is set.
 */
export function buildError(parts: ErrorParts): Error {
  const err =
    parts.name === "AggregateError"
      ? new AggregateError(parts.errors ?? [], parts.message)
      : new (BUILT_IN.get(parts.name) ?? Error)(parts.message);
  // Bun records where the Error was made (here); drop that so inspectors show the carried stack.
  for (const key of CREATION_SITE_KEYS) {
    if (Object.hasOwn(err, key)) Reflect.deleteProperty(err, key);
  }
  if (err.name !== parts.name) hidden(err, "name", parts.name);
  if (parts.cause !== undefined) hidden(err, "cause", parts.cause.value);
  const header = parts.message === "" ? parts.name : `${parts.name}: ${parts.message}`;
  hidden(err, "stack", parts.stack ?? header);
  for (const [key, value] of parts.props ?? []) {
    if (Object.hasOwn(err, key)) delete (err as unknown as Record<string, unknown>)[key];
    setOwn(err as unknown as Record<string, unknown>, key, value);
  }
  return err;
}

function hidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: false, configurable: true });
}
