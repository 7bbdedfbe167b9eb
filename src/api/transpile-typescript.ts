/** Stripping TypeScript types from a function payload with Bun's transpiler, safely (no macros, no rewrites). */

/** The wrapper the payload is transpiled in: a lone expression statement could be dropped or rewritten. */
const PREFIX = "export default (\n";
const SUFFIX = "\n);";

/** Import kinds that may appear inside a function body; static imports (and so macros) may not appear at all. */
const ALLOWED_IMPORT_KINDS = new Set(["dynamic-import", "require-call", "require-resolve"]);

let transpiler: Bun.Transpiler | null = null;

function getTranspiler(): Bun.Transpiler {
  transpiler ??= new Bun.Transpiler({
    loader: "ts",
    // Keep the user's code as written: no dead-code elimination, no build-time constants.
    deadCodeElimination: false,
    define: { "process.env.NODE_ENV": "process.env.NODE_ENV", "process.browser": "process.browser" },
  });
  return transpiler;
}

/** The transpiled module `export default (<payload as JavaScript>);`, or why it could not be produced. */
export type TranspiledPayload =
  | { ok: true; module: string }
  | { ok: false; reason: "syntax" | "import"; message: string };

/**
 * Transpile a TypeScript function payload, wrapped as `export default (…);`.
 *
 * Static imports are refused before transpiling: Bun runs `with { type: "macro" }` imports at
 * transpile time, which would execute user code in this process. The caller must still check that
 * the output is exactly one default-exported function (a payload can close the wrapper's parenthesis).
 */
export function transpileTypeScript(source: string): TranspiledPayload {
  const wrapped = PREFIX + source + SUFFIX;
  const t = getTranspiler();
  let imports: { kind: string }[];
  try {
    imports = t.scanImports(wrapped);
  } catch (err) {
    return { ok: false, reason: "syntax", message: bunErrorMessage(err, source) };
  }
  if (imports.some((i) => !ALLOWED_IMPORT_KINDS.has(i.kind))) {
    return { ok: false, reason: "import", message: "payload contains an import or export statement; a function payload must be a single function expression (use `await import(...)` inside it instead)" };
  }
  try {
    return { ok: true, module: t.transformSync(wrapped) };
  } catch (err) {
    return { ok: false, reason: "syntax", message: bunErrorMessage(err, source) };
  }
}

interface BunPosition {
  line?: number;
  column?: number;
}

/** First message of Bun's (Aggregate)Error, with the line number of the user's payload (wrapper removed). */
function bunErrorMessage(err: unknown, source: string): string {
  const first = (err as { errors?: unknown[] } | null)?.errors?.[0] ?? err;
  const msg = (first as { message?: unknown } | null)?.message;
  const text = typeof msg === "string" ? msg : String(first);
  const pos = (first as { position?: BunPosition | null } | null)?.position;
  if (pos && typeof pos.line === "number" && typeof pos.column === "number") {
    // The wrapper adds one line before the payload; Bun's columns are already 1-based.
    const line = pos.line - 1;
    if (line > source.split("\n").length) return `${text} at the end of the payload`;
    return `${text} at line ${Math.max(1, line)}, column ${pos.column}`;
  }
  return text;
}
