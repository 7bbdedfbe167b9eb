/** Paths into a value or payload (`$[0].f`), as shown in CodecError messages. */

/** One step: an array index, an object key, or a preformatted step such as `.keys()[2]`. */
export type PathSegment = string | number | { readonly text: string };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const SHOWN_AT_EACH_END = 6;

/** Format a path as JS-like accessors from the root `$`; very long paths keep both ends around `...`. */
export function formatPath(segments: readonly PathSegment[]): string {
  const n = segments.length;
  if (n <= SHOWN_AT_EACH_END * 2) return "$" + segments.map(formatSegment).join("");
  const head = segments.slice(0, SHOWN_AT_EACH_END).map(formatSegment).join("");
  const tail = segments.slice(n - SHOWN_AT_EACH_END).map(formatSegment).join("");
  return `$${head}...(${n - SHOWN_AT_EACH_END * 2} more)...${tail}`;
}

function formatSegment(segment: PathSegment): string {
  if (typeof segment === "number") return `[${segment}]`;
  if (typeof segment !== "string") return segment.text;
  if (IDENTIFIER.test(segment)) return `.${segment}`;
  const shown = segment.length > 40 ? segment.slice(0, 40) + "..." : segment;
  return `[${JSON.stringify(shown)}]`;
}
