// The one-way import rules of AGENTS.md, checked on every source file (a rule broken here fails the suite).
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");

/** What each part of src/ may import of ours (its own files always). A part is a folder, or a file at the top. */
const ALLOWED: Record<string, string[]> = {
  zmtp: [],
  codec: [],
  protocol: [],
  log: [],
  "faas-error": [],
  store: ["codec", "faas-error", "log"],
  workers: ["codec", "protocol", "zmtp", "log", "faas-error"],
  api: ["store", "codec", "log", "faas-error"],
  client: ["codec"],
  dispatcher: ["store", "workers", "protocol", "zmtp", "codec", "log", "faas-error"],
  config: ["faas-error", "log", "zmtp", "protocol"],
  "help-text": ["config"],
  roles: ["api", "dispatcher", "store", "workers", "zmtp", "codec", "protocol", "client", "config", "log", "faas-error"],
  cli: ["config", "faas-error", "help-text", "log", "roles"],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const partOf = (file: string) => relative(SRC, file).split(sep)[0]!.replace(/\.ts$/, "");

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"/g)) out.push(resolve(dirname(file), m[1]!));
  for (const m of text.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g)) out.push(resolve(dirname(file), m[1]!));
  return out.filter((p) => p.startsWith(SRC + sep));
}

test("every part of src/ imports only what AGENTS.md allows", () => {
  const broken: string[] = [];
  for (const file of files(SRC)) {
    const from = partOf(file);
    const allowed = ALLOWED[from];
    if (allowed === undefined) {
      broken.push(`${relative(SRC, file)}: part "${from}" has no rule here (add it to ALLOWED and AGENTS.md)`);
      continue;
    }
    for (const target of imports(file)) {
      const to = partOf(target);
      if (to !== from && !allowed.includes(to)) broken.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} → ${to})`);
    }
  }
  expect(broken).toEqual([]);
});

test("roles never import each other (a role is a src/roles/run-*.ts file)", () => {
  const broken: string[] = [];
  for (const file of files(join(SRC, "roles"))) {
    for (const target of imports(file)) {
      const a = relative(SRC, file);
      const b = relative(SRC, target);
      if (a !== b && /^roles\/run-/.test(a) && /^roles\/run-/.test(b)) broken.push(`${a} imports ${b}`);
    }
  }
  expect(broken).toEqual([]);
});

test("the rules see imports (a file importing across a forbidden edge would be caught)", () => {
  const codec = files(join(SRC, "codec"));
  expect(codec.length).toBeGreaterThan(0);
  const api = files(join(SRC, "api")).flatMap(imports).map(partOf);
  expect(api).toContain("store");
});
