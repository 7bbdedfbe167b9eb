/** Validating a function payload: a Python function (base64 of a pickle, walked) or exactly one JavaScript or TypeScript function expression, never evaluated. */
import { checkPythonPayload, pythonCode } from "../codec/python-payload.ts";
import { FaasError } from "../faas-error.ts";
import { FUNCTION_HINT, findDefaultExportFunction, findFunction } from "./find-function.ts";
import { transpileTypeScript } from "./transpile-typescript.ts";

/** A payload that passed the check. */
export interface CheckedFunction {
  /** The JavaScript text of the function expression (what workers evaluate). */
  code: string;
}

/** A function payload that passed the check, with the runtime that runs it. */
export interface CheckedPayload extends CheckedFunction {
  runtime: "js" | "python";
}

/**
 * Tell the runtime of a function payload without running anything: strict base64 of a well-formed pickle (a
 * structural walk of its opcodes, never unpickled) is a Python function, whose carried code is `pythonCode(payload)`;
 * anything else must pass {@link checkFunctionSource}.
 *
 * @throws FaasError `INVALID_FUNCTION` with a message saying what is wrong.
 */
export function checkFunctionPayload(payload: string): CheckedPayload {
  if (checkPythonPayload(payload).ok) return { code: pythonCode(payload), runtime: "python" };
  return { ...checkFunctionSource(payload), runtime: "js" };
}

/**
 * Check that `source` is exactly one function expression or arrow function (async and generators
 * allowed), in JavaScript or TypeScript, and return its JavaScript.
 *
 * JavaScript is kept verbatim; TypeScript is transpiled (types stripped) first. The code is only
 * parsed, never run.
 *
 * @throws FaasError `INVALID_FUNCTION` with a message saying what is wrong.
 */
export function checkFunctionSource(source: string): CheckedFunction {
  if (source.trim() === "") throw invalid(`payload is empty; ${FUNCTION_HINT}`);

  const js = findFunction(source);
  if (js.kind === "function") return { code: source.slice(js.start, js.end) };

  // Not one JavaScript function: maybe TypeScript (e.g. "(x: number) => x" or "(x) => x as number").
  const ts = fromTypeScript(source);
  if (ts.kind === "function") return { code: ts.code };
  if (ts.reason === "import") throw invalid(ts.message);
  if (js.kind === "not-function") throw invalid(js.message);
  if (ts.reason === "not-function") throw invalid(ts.message);
  throw invalid(`payload is not valid JavaScript (${js.message}) nor TypeScript (${ts.message})`);
}

type TypeScriptOutcome =
  | { kind: "function"; code: string }
  | { kind: "rejected"; reason: "syntax" | "import" | "not-function"; message: string };

function fromTypeScript(source: string): TypeScriptOutcome {
  const ts = transpileTypeScript(source);
  if (!ts.ok) return { kind: "rejected", reason: ts.reason, message: ts.message };
  const found = findDefaultExportFunction(ts.module);
  if (found.kind !== "function") return { kind: "rejected", reason: "not-function", message: found.message };
  const code = ts.module.slice(found.start, found.end);
  // The extracted code must stand on its own as exactly that function.
  const again = findFunction(code);
  if (again.kind !== "function" || again.start !== 0 || again.end !== code.length) {
    return { kind: "rejected", reason: "not-function", message: `payload did not transpile to a single function expression; ${FUNCTION_HINT}` };
  }
  return { kind: "function", code };
}

function invalid(message: string): FaasError {
  return new FaasError("INVALID_FUNCTION", message);
}
