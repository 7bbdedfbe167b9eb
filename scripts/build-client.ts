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

const result = await Bun.build({
  entrypoints: entries,
  root: join(root, "src"),
  outdir: out,
  target: "browser",
  format: "esm",
  splitting: true,
  sourcemap: "none",
  minify: { whitespace: false, syntax: true, identifiers: false },
  naming: { entry: "[dir]/[name].js", chunk: "shared/[name]-[hash].js" },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  console.error("client build failed");
  process.exit(1);
}
const zmtpEntry = join(root, "src/zmtp/index.ts");
const zmtp = await Bun.build({
  entrypoints: [zmtpEntry],
  root: join(root, "src"),
  outdir: out,
  target: "bun",
  format: "esm",
  splitting: true, // libsodium-wrappers is imported dynamically: a chunk of its own, loaded by CURVE only
  sourcemap: "none",
  minify: { whitespace: false, syntax: true, identifiers: false },
  naming: { entry: "[dir]/[name].js", chunk: "zmtp/chunks/[name]-[hash].js" },
});
if (!zmtp.success) {
  for (const log of zmtp.logs) console.error(log);
  console.error("zmtp build failed");
  process.exit(1);
}
for (const lib of ["libsodium", "libsodium-wrappers"]) copyFileSync(join(root, "node_modules", lib, "LICENSE"), join(out, "zmtp", `LICENSE.${lib}`));

const tsc = Bun.spawnSync([
  process.execPath, join(root, "node_modules/typescript/bin/tsc"), "--ignoreConfig", ...entries,
  "--declaration", "--emitDeclarationOnly", "--outDir", out, "--rootDir", join(root, "src"),
  "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler", "--allowImportingTsExtensions",
  "--strict", "--skipLibCheck", "--lib", "es2023,dom", "--types", "",
], { stdout: "inherit", stderr: "inherit" });
if (tsc.exitCode !== 0) {
  console.error("client declarations failed");
  process.exit(1);
}
const tscZmtp = Bun.spawnSync([
  process.execPath, join(root, "node_modules/typescript/bin/tsc"), "--ignoreConfig", zmtpEntry,
  "--declaration", "--emitDeclarationOnly", "--outDir", out, "--rootDir", join(root, "src"),
  "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler", "--allowImportingTsExtensions",
  "--strict", "--skipLibCheck", "--lib", "esnext", "--types", "bun",
], { stdout: "inherit", stderr: "inherit" });
if (tscZmtp.exitCode !== 0) {
  console.error("zmtp declarations failed");
  process.exit(1);
}
for (const file of walk(out)) {
  if (!file.endsWith(".d.ts")) continue;
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace(/(from\s+["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2"));
}
console.log(`built ${relative(process.cwd(), out) || out} (bunfaas/client, bunfaas/codec, bunfaas/zmtp) in ${Math.round(performance.now() - started)} ms`);

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}
