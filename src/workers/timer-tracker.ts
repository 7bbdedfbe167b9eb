/** Tracks the timers (setTimeout, setInterval, setImmediate) a task creates, to tell whether it left any active when it ended. */

/** What {@link trackTimers} returns. */
export interface TimerTracker {
  /** Forget the timers of the previous task: timers created from now on belong to the next one. */
  begin(): void;
  /** How many timers created since `begin()` are still pending (not fired, cleared or closed). */
  active(): number;
  /** The original `setImmediate`, captured before user code (the thread entry's own macrotask turn). */
  readonly setImmediate: typeof setImmediate;
}

type Scheduler = (...args: never[]) => object;

/**
 * Replace the global `setTimeout`, `setInterval`, `setImmediate` (and `node:timers`' ones) with wrappers that
 * record every handle they return. Call once, before any user code and before the realm snapshot (the wrappers
 * are then part of the state the snapshot expects). A handle is pending until Bun marks it `_destroyed` (fired
 * once, cleared by handle or id, closed); `refresh()` arms it again and is seen too.
 */
export function trackTimers(): TimerTracker {
  const g = globalThis as unknown as Record<string, Scheduler>;
  const originalImmediate = globalThis.setImmediate;
  const destroyed = destroyedReaders();
  const apply = Reflect.apply;
  const create = Object.create;
  /** Handles created since `begin()`, by index; no prototype, so storing one never reaches a setter user code defined. */
  let created: Record<number, object> = create(null);
  let count = 0;

  const wrap = (original: Scheduler): Scheduler =>
    function (this: unknown, ...args: never[]): object {
      const handle = apply(original, this, args) as object;
      created[count++] = handle;
      return handle;
    };
  const wrapped: Record<string, Scheduler> = {};
  for (const name of ["setTimeout", "setInterval", "setImmediate"]) {
    const original = g[name]!;
    const w = wrap(original);
    Object.defineProperty(w, "name", { value: name });
    wrapped[name] = w;
    g[name] = w;
  }
  patchNodeTimers(wrapped);

  return {
    begin() {
      if (count > 0) {
        created = create(null);
        count = 0;
      }
    },
    active() {
      let n = 0;
      for (let i = 0; i < count; i++) if (!isDestroyed(destroyed, created[i]!)) n++;
      return n;
    },
    setImmediate: originalImmediate,
  };
}

/** The `_destroyed` getters of Bun's Timeout and Immediate prototypes, captured from probe timers. */
function destroyedReaders(): ((handle: object) => unknown)[] {
  const readers: ((handle: object) => unknown)[] = [];
  const call = Function.prototype.call;
  const timeout = setTimeout(() => {}, 0);
  const immediate = setImmediate(() => {});
  clearTimeout(timeout);
  clearImmediate(immediate);
  for (const probe of [timeout, immediate]) {
    const getter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(probe), "_destroyed")?.get;
    if (getter !== undefined) readers.push(call.bind(getter) as (handle: object) => unknown);
  }
  return readers;
}

/** A handle is pending when a `_destroyed` getter that accepts it says false; anything unknown counts as pending. */
function isDestroyed(readers: ((handle: object) => unknown)[], handle: object): boolean {
  for (let i = 0; i < readers.length; i++) {
    try {
      return readers[i]!(handle) === true;
    } catch {
      // not this kind of handle: try the next getter
    }
  }
  return false;
}

/** `require("node:timers")` hands out the same functions: point its exports at the wrappers too, where it allows. */
function patchNodeTimers(wrapped: Record<string, Scheduler>): void {
  try {
    const timers = process.getBuiltinModule?.("node:timers") as Record<string, unknown> | undefined;
    if (timers !== undefined) for (const name in wrapped) timers[name] = wrapped[name];
  } catch {
    // read-only in this runtime: the pool's blame rule covers what escapes tracking
  }
}
