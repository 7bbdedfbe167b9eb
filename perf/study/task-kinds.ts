/** The task kinds of the performance study: no-op, 10 ms sleep (I/O-bound) and a ~10 ms CPU loop. */

/** Name of a task kind, as written in the results CSV. */
export type TaskKind = "noop" | "sleep10" | "cpu10";

/** Every kind, in study order. */
export const TASK_KINDS: readonly TaskKind[] = ["noop", "sleep10", "cpu10"];

/** What a kind registers and sends. */
export interface KindSpec {
  kind: TaskKind;
  /** Human label for tables and graphs. */
  label: string;
  /** The function expression registered with `POST /register_function`. */
  source: string;
  /** The arguments payload (JSON text of an array) for one task, given the calibrated CPU loop count. */
  args(cpuIterations: number): string;
}

/**
 * The CPU loop: `n` dependent integer steps, returned so no engine can drop the loop. The same text is timed by
 * the calibration (in a Bun worker thread) and registered as the `cpu10` function.
 */
export const CPU_LOOP_SOURCE = "(n) => { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) | 0; return x; }";

/** The specs of the three kinds. */
export const KIND_SPECS: Readonly<Record<TaskKind, KindSpec>> = {
  noop: { kind: "noop", label: "no-op", source: "() => null", args: () => "[]" },
  sleep10: {
    kind: "sleep10",
    label: "sleep 10 ms",
    source: "async () => { await new Promise((r) => setTimeout(r, 10)); return null; }",
    args: () => "[]",
  },
  cpu10: { kind: "cpu10", label: "CPU ~10 ms", source: CPU_LOOP_SOURCE, args: (n) => `[${n}]` },
};

/** Parse a kind name; throws on anything else. */
export function parseTaskKind(text: string): TaskKind {
  if ((TASK_KINDS as readonly string[]).includes(text)) return text as TaskKind;
  throw new Error(`unknown task kind "${text}" (expected ${TASK_KINDS.join(", ")})`);
}
