/** Locating the one function expression a piece of JavaScript must consist of (parse only, never evaluate). */
import { getLineInfo, parse, parseExpressionAt, tokenizer, type Expression, type Node, type Options } from "acorn";

/** Where the function is, or why the text is not exactly one function. */
export type FoundFunction =
  | { kind: "function"; start: number; end: number }
  | { kind: "not-function"; message: string }
  | { kind: "syntax"; message: string };

/** An example of what is accepted, quoted in rejection messages. */
export const FUNCTION_HINT = 'send the source of one function expression, e.g. "(x) => x * 2"';

const FUNCTION_TYPES = new Set(["FunctionExpression", "ArrowFunctionExpression", "FunctionDeclaration"]);

/**
 * Find the single function expression `js` consists of: one expression, optionally followed by one `;`,
 * with only whitespace and comments around it. `sourceType` default: "script" (how workers evaluate code).
 */
export function findFunction(js: string, sourceType: "script" | "module" = "script"): FoundFunction {
  const options: Options = { ecmaVersion: "latest", sourceType, preserveParens: true };
  let expr: Expression;
  try {
    expr = parseExpressionAt(js, 0, options);
  } catch (err) {
    return { kind: "syntax", message: syntaxMessage(err) };
  }
  const fn = unwrapParens(expr);
  if (!FUNCTION_TYPES.has(fn.type)) return { kind: "not-function", message: describeNonFunction(fn) };
  const trailing = checkNothingAfter(js, expr.end, options);
  if (trailing) return { kind: "not-function", message: trailing };
  return { kind: "function", start: fn.start, end: fn.end };
}

/**
 * Find the function of a module whose only statement is `export default <function>` (transpiler output).
 * Anything else in the module (a second statement, a helper the transpiler injected) is a rejection.
 */
export function findDefaultExportFunction(module: string): FoundFunction {
  let body;
  try {
    body = parse(module, { ecmaVersion: "latest", sourceType: "module", preserveParens: true }).body;
  } catch (err) {
    return { kind: "syntax", message: syntaxMessage(err) };
  }
  const [first, ...rest] = body;
  if (!first || first.type !== "ExportDefaultDeclaration" || rest.length > 0) {
    const n = body.length;
    return { kind: "not-function", message: `payload is not a single function expression (as TypeScript it makes ${n} statement${n === 1 ? "" : "s"}); ${FUNCTION_HINT}` };
  }
  const fn = unwrapParens(first.declaration);
  if (!FUNCTION_TYPES.has(fn.type)) return { kind: "not-function", message: describeNonFunction(fn) };
  return { kind: "function", start: fn.start, end: fn.end };
}

function unwrapParens(node: Node): Node {
  let n = node;
  while (n.type === "ParenthesizedExpression") n = (n as unknown as { expression: Node }).expression;
  return n;
}

/** Null when only whitespace, comments and at most one `;` follow `end`; else what is wrong. */
function checkNothingAfter(js: string, end: number, options: Options): string | null {
  // Blank out the parsed part so offsets stay those of `js` while the tokenizer sees only the tail.
  const tail = js.slice(0, end).replace(/[^\n\r\u2028\u2029]/g, " ") + js.slice(end);
  let semicolons = 0;
  try {
    for (const token of tokenizer(tail, options)) {
      if (token.type.label === ";" && semicolons === 0) {
        semicolons++;
        continue;
      }
      return `payload has more than one statement or expression (extra code at ${where(js, token.start)}); ${FUNCTION_HINT}`;
    }
  } catch (err) {
    return `payload has extra code after the function: ${syntaxMessage(err)}; ${FUNCTION_HINT}`;
  }
  return null;
}

function describeNonFunction(node: Node): string {
  switch (node.type) {
    case "Identifier":
      return `payload is the identifier "${(node as unknown as { name: string }).name}", not a function; ${FUNCTION_HINT}`;
    case "CallExpression":
    case "NewExpression":
    case "TaggedTemplateExpression":
      return `payload is a call, not a function: send the function itself, not an expression that calls it; ${FUNCTION_HINT}`;
    case "SequenceExpression":
      return `payload is several comma-separated expressions, not one function; ${FUNCTION_HINT}`;
    case "ClassExpression":
    case "ClassDeclaration":
      return `payload is a class, not a function; ${FUNCTION_HINT}`;
    case "Literal":
    case "TemplateLiteral":
      return `payload is a literal value, not a function; ${FUNCTION_HINT}`;
    default:
      return `payload is an expression (${node.type}), not a function; ${FUNCTION_HINT}`;
  }
}

/** Acorn's message with a 1-based line and column, e.g. "Unexpected token at line 1, column 4". */
export function syntaxMessage(err: unknown): string {
  if (err instanceof SyntaxError) {
    const loc = (err as SyntaxError & { loc?: { line: number; column: number } }).loc;
    const text = err.message.replace(/ \(\d+:\d+\)$/, "");
    return loc ? `${text} at line ${loc.line}, column ${loc.column + 1}` : text;
  }
  return String(err);
}

function where(js: string, offset: number): string {
  const { line, column } = getLineInfo(js, offset);
  return `line ${line}, column ${column + 1}`;
}
