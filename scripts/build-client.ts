/** Builds the installable package into dist/pkg/: `bunfaas/client` and `bunfaas/codec` (ESM for Node ≥ 20 and browsers) and `bunfaas/zmtp` (ESM for Bun), with `.d.ts`. */
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/**
 * Usage: `bun run build:client` (also run by `bun run build`).
 *
 * - JavaScript: `Bun.build` with target `browser` (no Bun or Node API), ESM, the codec shared as one chunk:
 *   `dist/pkg/client/index.js`, `dist/pkg/codec/index.js`.
 * - `bunfaas/zmtp`: a separate `Bun.build` with target `bun` (it uses `Bun.listen`/`Bun.connect`, `node:crypto`, `node:fs`):
 *   `dist/pkg/zmtp/index.js`. libsodium (CURVE) is bundled in, as its own chunk `dist/pkg/zmtp/chunks/` that only the
 *   dynamic import of the first CURVE socket loads, so the package keeps no dependencies; its ISC licences ship beside it.
 * - Types: `tsc` declarations only, beside them; relative `.ts` imports rewritten to `.js`. The zmtp declarations are
 *   emitted with Bun's types (`--types bun`) and name nothing of Bun's or libsodium's (the e2e test checks they typecheck
 *   without either).
 * package.json `exports` point there and `files` ships only dist/pkg (never the binary, `.faas/` or sources).
 */
const root = resolve(import.meta.dir, "..");
const out = join(root, "dist/pkg");
const entries = ["src/client/index.ts", "src/codec/index.ts"].map((e) => join(root, e));
const started = performance.now();
rmSync(out, { recursive: true, force: true });

await bundle("client", entries, "browser", "shared/[name]-[hash].js");
// libsodium-wrappers is imported dynamically by CURVE: a chunk of its own, loaded by the first CURVE socket only.
const zmtpEntry = join(root, "src/zmtp/index.ts");
await bundle("zmtp", [zmtpEntry], "bun", "zmtp/chunks/[name]-[hash].js");
for (const lib of ["libsodium", "libsodium-wrappers"]) copyFileSync(join(root, "node_modules", lib, "LICENSE"), join(out, "zmtp", `LICENSE.${lib}`));
declarations("client", entries, ["--lib", "es2023,dom", "--types", ""]);
declarations("zmtp", [zmtpEntry], ["--lib", "esnext", "--types", "bun"]);
for (const file of walk(out)) {
  if (!file.endsWith(".d.ts")) continue;
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace(/(from\s+["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2"));
}
console.log(`built ${relative(process.cwd(), out) || out} (bunfaas/client, bunfaas/codec, bunfaas/zmtp) in ${Math.round(performance.now() - started)} ms`);

/** ESM JavaScript of `entrypoints` for `target` into dist/pkg (entries at `[dir]/[name].js`, chunks at `chunk`); exits 1 on failure. */
async function bundle(what: string, entrypoints: string[], target: "browser" | "bun", chunk: string): Promise<void> {
  const result = await Bun.build({
    entrypoints, root: join(root, "src"), outdir: out, target, format: "esm", splitting: true, sourcemap: "none",
    minify: { whitespace: false, syntax: true, identifiers: false },
    naming: { entry: "[dir]/[name].js", chunk },
  });
  if (result.success) return;
  for (const log of result.logs) console.error(log);
  console.error(`${what} build failed`);
  process.exit(1);
}

/** `tsc` declarations only of `entrypoints` into dist/pkg, with `libAndTypes` (`--lib …`, `--types …`); exits 1 on failure. */
function declarations(what: string, entrypoints: string[], libAndTypes: string[]): void {
  const tsc = Bun.spawnSync([
    process.execPath, join(root, "node_modules/typescript/bin/tsc"), "--ignoreConfig", ...entrypoints,
    "--declaration", "--emitDeclarationOnly", "--outDir", out, "--rootDir", join(root, "src"),
    "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler", "--allowImportingTsExtensions",
    "--strict", "--skipLibCheck", ...libAndTypes,
  ], { stdout: "inherit", stderr: "inherit" });
  if (tsc.exitCode === 0) return;
  console.error(`${what} declarations failed`);
  process.exit(1);
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}
