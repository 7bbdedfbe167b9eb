/** Regenerates the map of src/ in AGENTS.md (between the map markers) from each module's opening line. */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const START = "<!-- map:start -->";
const END = "<!-- map:end -->";

/** One line per file under src/: `path` — the module's opening `/** … *\/` sentence. */
export function buildMap(): string {
  const files = [...new Bun.Glob("src/**/*.{ts,mjs}").scanSync({ cwd: root })].sort();
  return files.map((f) => `- \`${f}\` — ${openingLine(readFileSync(resolve(root, f), "utf8"))}`).join("\n");
}

/** The first `/** … *\/` or `//` comment line of a module, or "(no summary)". */
export function openingLine(text: string): string {
  const m = /^\s*(?:\/\*\*\s*([^\n]*?)\s*\*\/|\/\/\s*([^\n]*))/.exec(text);
  return (m?.[1] ?? m?.[2] ?? "(no summary)").trim();
}

if (import.meta.main) {
  const path = resolve(root, "AGENTS.md");
  const doc = readFileSync(path, "utf8");
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error("AGENTS.md lacks the map markers");
  writeFileSync(path, `${doc.slice(0, a + START.length)}\n${buildMap()}\n${doc.slice(b)}`);
  console.log("AGENTS.md map updated");
}
