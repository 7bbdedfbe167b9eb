import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildMap } from "../../scripts/agents-map.ts";

test("AGENTS.md maps every file of src/ with its opening line (run `bun scripts/agents-map.ts`)", () => {
  const doc = readFileSync(resolve(import.meta.dir, "../../AGENTS.md"), "utf8");
  const map = buildMap();
  expect(map).not.toContain("(no summary)");
  expect(doc).toContain(map);
});
