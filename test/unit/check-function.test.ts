import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkFunctionSource } from "../../src/api/check-function.ts";
import { FaasError } from "../../src/faas-error.ts";

/** [payload, expected JavaScript code] */
const ACCEPTED: [string, string][] = [
  ["(x) => x * 2", "(x) => x * 2"],
  ["x => x", "x => x"],
  ["function double(x) { return x * 2 }", "function double(x) { return x * 2 }"],
  ["function (x) { return x }", "function (x) { return x }"],
  ["async (n) => { return n + 1 }", "async (n) => { return n + 1 }"],
  ["async function f() { await 1 }", "async function f() { await 1 }"],
  ["function* gen() { yield 1 }", "function* gen() { yield 1 }"],
  ["async function* agen() { yield 1 }", "async function* agen() { yield 1 }"],
  ["((x) => x)", "(x) => x"],
  ["  \n(x) => x;\n  ", "(x) => x"],
  ["/* lead */ (x) => x // trail", "(x) => x"],
  ["(x) => { if (false) { return 1 } return 2 }", "(x) => { if (false) { return 1 } return 2 }"],
  ["(x) => `a ${x} b`", "(x) => `a ${x} b`"],
  ["() => import('node:os')", "() => import('node:os')"],
  // TypeScript: types stripped, the rest kept.
  ["(x: number): number => x * 2", "(x) => x * 2"],
  ["<T,>(x: T): T => x", "(x) => x"],
  ["(x) => x as number", "(x) => x"],
  ["function (x: number) { return x }", "function(x) {\n  return x;\n}"],
  ["async (n: number) => { if (false) return 1; return n }", "async (n) => {\n  if (false)\n    return 1;\n  return n;\n}"],
  ["(x: number) => process.env.NODE_ENV", "(x) => process.env.NODE_ENV"],
];

/** [payload, a part of the expected message] */
const REJECTED: [string, string][] = [
  ["", "empty"],
  ["   \n\t ", "empty"],
  ["payload", 'identifier "payload"'],
  ["1+1", "not a function"],
  ["42", "literal"],
  ["(() => { return 1 })()", "a call"],
  ["new Function('return 1')", "a call"],
  ["(x) => x, process.exit()", "comma-separated"],
  ["(x) => x; (y) => y", "more than one statement"],
  ["(x) => x\nprocess.exit()", "line 2, column 1"],
  ["function f() {}\nfunction g() {}", "more than one statement"],
  ["(x) => x;;", "more than one statement"],
  ["class A {}", "a class"],
  ["class { run() {} }", "a class"],
  ["({ f(x) { return x } })", "ObjectExpression"],
  ["(x) => {", "line 1, column 9"],
  ["(x) => { return x +* 1 }", "line 1, column 20"],
  ["(x: number) => {", "not valid JavaScript"],
  ["enum E { A }", "not valid JavaScript"],
  // Attempts to close the wrapper the TypeScript path transpiles in.
  ["x) => 1); process.exit(); ((y", "not a function"],
  ["x => 1); process.exit(); (y", "more than one statement"],
  ["(x: number) => 1); process.exit(); (0", "not a single function expression"],
  ["x => 1); declare const a: number; (0", "more than one statement"],
  ["import fs from 'node:fs'", "not valid JavaScript"],
  ["(x: number) => x; export {}", "not valid JavaScript"],
];

describe("checkFunctionSource", () => {
  test.each(ACCEPTED)("accepts %p", (payload, code) => {
    expect(checkFunctionSource(payload)).toEqual({ code });
  });

  test.each(REJECTED)("rejects %p", (payload, part) => {
    let thrown: unknown;
    try {
      checkFunctionSource(payload);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FaasError);
    expect((thrown as FaasError).code).toBe("INVALID_FUNCTION");
    expect((thrown as FaasError).status).toBe(400);
    expect((thrown as FaasError).message).toContain(part);
  });

  test("accepts a payload as large as the body limit allows", () => {
    const big = `(x) => ${JSON.stringify("a".repeat(500_000))}.length + x`;
    expect(checkFunctionSource(big).code).toBe(big);
  });
});

describe("Bun macros in a payload are never run", () => {
  const dir = mkdtempSync(join(tmpdir(), "faas-macro-"));
  const marker = join(dir, "ran");
  const macro = join(dir, "macro.ts");
  writeFileSync(macro, `import { writeFileSync } from "node:fs";\nexport function boom() { writeFileSync(${JSON.stringify(marker)}, "x"); return 1; }\n`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const payload = `(x: number) => 1); import { boom } from ${JSON.stringify(macro)} with { type: "macro" }; boom(); (0`;

  test("a macro import closing the wrapper is refused before transpiling", () => {
    expect(() => checkFunctionSource(payload)).toThrow(/import or export statement/);
    expect(existsSync(marker)).toBe(false);
  });

  test("control: Bun's transpiler would have run it", () => {
    new Bun.Transpiler({ loader: "ts" }).transformSync(`export default (\n${payload}\n);`);
    expect(existsSync(marker)).toBe(true);
  });
});
